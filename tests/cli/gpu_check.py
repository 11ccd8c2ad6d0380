#!/usr/bin/env python3
"""gpu_check.py DIR SUMMARY CASE: checks scorch gpu's outputs in DIR (metrics.csv, trace.json)
and its summary (the file SUMMARY) against the script the fake NVML replayed (gpu_metrics.sh's
scripts: CASE "new" for the current API, "old" for the old-driver build).

The number of samples depends on time; the script is made so that the check is exact whatever
the count: constant values per metric, a memory and an energy counter that change once (after
the first call), process metrics that are absent before the command's pid is known and 0 after
it ended."""
import csv, json, sys

d, summary, case = sys.argv[1], sys.argv[2], sys.argv[3]
GIB = 1 << 30
errors = []


def err(msg):
    errors.append(msg)


rows = list(csv.DictReader(open(d + "/metrics.csv")))
by_dev = {0: [], 1: []}
for r in rows:
    by_dev[int(r["device"])].append(r)
n = len(by_dev[0])
if n < 2 or len(by_dev[1]) != n:
    err(f"samples: {n} of GPU 0, {len(by_dev[1])} of GPU 1; want the same, at least 2")
if by_dev[0] and by_dev[0][0]["name"] != "Fake H100, 80GB":
    err(f"name: {by_dev[0][0]['name']!r}")
if by_dev[0] and by_dev[0][0]["uuid"] != "GPU-fake-0":
    err(f"uuid: {by_dev[0][0]['uuid']!r}")
times = [float(r["time_s"]) for r in by_dev[0]]
if times != sorted(times) or (times and times[0] != 0):
    err(f"times not increasing from 0: {times}")

const0 = {"gpu_util_pct": "50", "mem_util_pct": "20", "power_mw": "150000",
          "sm_clock_mhz": "1500", "mem_clock_mhz": "5000", "pcie_tx_kbps": "100",
          "pcie_rx_kbps": "200", "mem_total_bytes": str(8 * GIB),
          "temperature_c": ""}  # an error every time: absent
for i, r in enumerate(by_dev[0]):
    for k, v in const0.items():
        if r[k] != v:
            err(f"GPU 0 sample {i}: {k} = {r[k]!r}, want {v!r}")
    want_mem = str(GIB) if i == 0 else str(3 * GIB)
    if r["mem_used_bytes"] != want_mem:
        err(f"GPU 0 sample {i}: mem_used_bytes {r['mem_used_bytes']}, want {want_mem}")
    if case == "new":
        want_e = "1000" if i == 0 else "2500"
        want_sm = "" if i == 0 else "75"  # GPM: two samples make the first value
    else:
        want_e = want_sm = ""  # an old driver: no energy counter, no GPM
    if r["energy_mj"] != want_e:
        err(f"GPU 0 sample {i}: energy_mj {r['energy_mj']!r}, want {want_e!r}")
    if r["sm_active_pct"] != want_sm:
        err(f"GPU 0 sample {i}: sm_active_pct {r['sm_active_pct']!r}, want {want_sm!r}")
pm = [r["proc_mem_bytes"] for r in by_dev[0]]
pu = [r["proc_sm_util_pct"] for r in by_dev[0]]
if pm and pm[0] != "":
    err(f"process memory before the command ran: {pm[0]!r}, want absent")
if not set(pm) <= {"", "0", "104857600"} or "104857600" not in pm:
    err(f"process memory: {sorted(set(pm))}, want 104857600 while it ran (pid 1's 4096 never)")
if not set(pu) <= {"", "0", "30"} or "30" not in pu:
    err(f"process SM utilization: {sorted(set(pu))}, want 30 while it ran")
for i, r in enumerate(by_dev[1]):
    want = {"gpu_util_pct": "10", "mem_used_bytes": "0", "power_mw": "30000"}
    for k, v in want.items():
        if r[k] != v:
            err(f"GPU 1 sample {i}: {k} = {r[k]!r}, want {v!r}")
    for k in ("energy_mj", "sm_clock_mhz", "temperature_c", "pcie_tx_kbps", "sm_active_pct",
              "proc_mem_bytes", "proc_sm_util_pct"):
        if r[k] != "":
            err(f"GPU 1 sample {i}: {k} = {r[k]!r}, want absent (not supported)")

# trace.json: one counter per non-empty cell, same value and time.
t = json.load(open(d + "/trace.json"))
ev = t["traceEvents"]
names = {(e["pid"], e["args"]["name"]) for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
if names != {(0x40000000, "GPU 0: Fake H100, 80GB"), (0x40000001, "GPU 1: Fake GPU 1")}:
    err(f"process names: {names}")
counters = [e for e in ev if e["ph"] == "C"]
cells = sum(1 for r in rows for k, v in r.items()
            if k not in ("time_s", "device", "name", "uuid") and v != "")
if len(counters) != cells:
    err(f"{len(counters)} counter events, want {cells} (one per value in metrics.csv)")
util = [e for e in counters if e["pid"] == 0x40000000 and e["name"] == "utilization (%)"]
if len(util) != n or any(e["args"]["value"] != 50 for e in util):
    err(f"GPU 0's utilization counters: {len(util)} of {n}, values {[e['args']['value'] for e in util][:5]}")
mem = [e["args"]["value"] for e in counters if e["pid"] == 0x40000000 and e["name"] == "memory used (B)"]
if mem[:1] != [GIB] or set(mem[1:]) != {3 * GIB}:
    err(f"GPU 0's memory counters: {mem[:4]}")
ts = [e["ts"] for e in util]
if ts != sorted(ts) or abs((ts[-1] - ts[0]) / 1e6 - times[-1]) > 1e-5:
    err("counter times do not follow metrics.csv's")

# The summary.
s = open(summary).read()
want_lines = [
    "GPU 0: Fake H100, 80GB (GPU-fake-0): %d samples every 50 ms" % n,
    "utilization (%)                        50             50             50",
    "power (W)                          150.00         150.00         150.00",
    "memory used                      1.00 GiB",
    "memory used: 1.00 GiB at the start, 3.00 GiB at the end, +2.00 GiB (+2147483648 B) of 8.00 GiB",
    "GPU 1: Fake GPU 1 (GPU-fake-1): %d samples" % n,
    "utilization (%)                        10             10             10",
]
if case == "new":
    want_lines += ["energy used: 1500 mJ (1.50 J) over the run",
                   "SM activity (%)                        75             75             75",
                   "command's memory                      "]
for w in want_lines:
    if w not in s:
        err(f"summary lacks {w!r}")
if case == "old" and ("energy used" in s or "SM activity" in s):
    err("summary of an old driver shows energy or SM activity")
if "temperature" in s:
    err("summary shows a temperature no sample had")

if errors:
    print("\n".join(errors))
    sys.exit(1)
print(f"ok: {case}: {n} samples per device, every value as scripted")
