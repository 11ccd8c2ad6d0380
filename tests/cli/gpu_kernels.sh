#!/usr/bin/env bash
# gpu_kernels.sh: scorch gpu's kernel trace on gpu_app (tests/programs/gpu_app.c) against the
# stand-in libcuda.so.1 and libcupti.so (tests/fake/cuda/), whose script (gpu_kernels.script)
# fixes every GPU time, so every number is exact:
#   - kernels.txt whole; kernels.json's kernels (calls, total, mean, min, max, registers, shared,
#     grid and block) and copies (kinds, bytes, times);
#   - gpu.pb.gz: GPU time by launching call site (step_a 6 ms under axpy, step_b 10 ms under
#     reduce, upload's copy and memset, download's copy), every stack reaching main, the driver's
#     own frames under the API function left out;
#   - trace.json: the API calls on the program's thread, kernels and copies on tracks per stream
#     ("GPU 0 stream 13": axpy, 2000 us each), joined to their launch by correlation id;
#   - the summary's top kernels; the report set of gpu.pb.gz;
#   - the clock: CUPTI without a timestamp callback (the offset measured once) gives the same.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
FAKE=$BUILD/tests/fake/cuda
[ -f "$FAKE/libcupti.so" ] || skip "no CUDA headers at build time: libscorch-cupti.so and the stand-ins are not built"
APP=$BUILD/tests/programs/gpu_app
export SCORCH_FAKE_CUDA="$SRCDIR/tests/cli/gpu_kernels.script"
export SCORCH_CUPTI_LIB="$FAKE/libcupti.so"
export SCORCH_NVML_LIB="$TMP/no-nvml.so" # the metrics part: off, with its one line

"$SCORCH" gpu -o "$TMP/out" -- "$APP" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
[ "$rc" = 0 ] || fail "exit $rc: $(cat "$TMP/stderr")"
grep -v '^scorch gpu: NVML' "$TMP/stderr" | grep . && fail "warnings on a clean run: $(cat "$TMP/stderr")"

cat >"$TMP/want.txt" <<'T'
GPU kernels: 5 launches of 2 kernels, 16.000 ms of GPU time; 3 copies, 0.850 ms
   total ms  share  calls   mean ms    min ms    max ms  regs  grid x block        kernel
     10.000  62.5%      2     5.000     5.000     5.000    32  64x1x1 x 256x1x1    reduce
      6.000  37.5%      3     2.000     2.000     2.000    16  256x1x1 x 128x1x1   axpy

copies and memsets
  kind      count          bytes    time ms      GB/s
  HtoD          1        4194304      0.500      8.39
  DtoH          1        1048576      0.250      4.19
  memset        1           4096      0.100      0.04
T
diff -u "$TMP/want.txt" "$TMP/out/kernels.txt" || fail "kernels.txt"
ok "kernels.txt: calls, total, mean, min, max, registers, shapes, copies"

grep -q '^GPU kernels: 5 launches of 2 kernels, 16.000 ms of GPU time$' "$TMP/stdout" &&
	grep -q '10.000  62.5%      2 .*reduce$' "$TMP/stdout" ||
	fail "the summary's kernels: $(cat "$TMP/stdout")"
for f in flamegraph.html summary.txt report.md gpu.pb.gz kernels.json trace.json metrics.csv; do
	[ -s "$TMP/out/$f" ] || fail "no $f"
done
ok "summary and the report set of gpu.pb.gz"

"$SCORCH" report "$TMP/out/gpu.pb.gz" --format folded --root none >"$TMP/folded" 2>&1 ||
	fail "scorch report gpu.pb.gz: $(cat "$TMP/folded")"
python3 - "$TMP/out" "$TMP/folded" <<'PY' || fail "kernels.json, trace.json or gpu.pb.gz"
import json, sys
out, folded = sys.argv[1], sys.argv[2]
k = json.load(open(out + "/kernels.json"))
assert k["version"] == 1, k["version"]
assert k["totals"] == {"launches": 5, "kernels": 2, "gpu_time_ns": 16000000, "copies": 3,
                       "copy_bytes": 4194304 + 1048576 + 4096, "copy_time_ns": 850000,
                       "api_calls": k["totals"]["api_calls"]}, k["totals"]
want = {
    "reduce": dict(calls=2, total_ns=10000000, mean_ns=5000000, min_ns=5000000, max_ns=5000000,
                   registers=32, shared_bytes=512 + 1024,
                   shapes=[{"grid": [64, 1, 1], "block": [256, 1, 1], "calls": 2}]),
    "axpy": dict(calls=3, total_ns=6000000, mean_ns=2000000, min_ns=2000000, max_ns=2000000,
                 registers=16, shared_bytes=0,
                 shapes=[{"grid": [256, 1, 1], "block": [128, 1, 1], "calls": 3}]),
}
assert [x["name"] for x in k["kernels"]] == ["reduce", "axpy"], k["kernels"]
for x in k["kernels"]:
    for key, v in want[x["name"]].items():
        assert x[key] == v, (x["name"], key, x[key], v)
copies = {c["kind"]: (c["count"], c["bytes"], c["time_ns"]) for c in k["copies"]}
assert copies == {"HtoD": (1, 4194304, 500000), "DtoH": (1, 1048576, 250000),
                  "memset": (1, 4096, 100000)}, copies
assert k["warnings"] == [], k["warnings"]

# gpu.pb.gz, folded: GPU ns by stack, outermost first.
by_site = {}
for line in open(folded):
    stack, v = line.rsplit(" ", 1)
    frames = stack.split(";")
    assert "main" in frames, stack
    site = ";".join(frames[frames.index("main"):])
    by_site[site] = by_site.get(site, 0) + int(v)
assert by_site == {
    "main;step_a;cuLaunchKernel;axpy": 6000000,
    "main;step_b;cuLaunchKernel;reduce": 10000000,
    "main;upload;cuMemcpyHtoD_v2;[memcpy HtoD]": 500000,
    "main;upload;cuMemsetD8_v2;[memset]": 100000,
    "main;download;cuMemcpyDtoH_v2;[memcpy DtoH]": 250000,
}, by_site

# trace.json: API calls on the program's thread, GPU work per stream, joined by correlation.
t = json.load(open(out + "/trace.json"))
ev = t["traceEvents"]
api = [e for e in ev if e.get("cat") == "cuda_api"]
launches = [e for e in api if e["name"] == "cuLaunchKernel"]
assert len(launches) == 5, len(launches)
pid = launches[0]["pid"]
assert all(e["pid"] == pid and e["tid"] == pid for e in api), "API calls off the main thread"
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e.get("ph") == "M" and e["name"] == "thread_name"}
kern = [e for e in ev if e.get("cat") == "kernel"]
assert len(kern) == 5, len(kern)
by_corr = {e["args"]["correlation"]: e for e in api}
for e in kern:
    track = names[(e["pid"], e["tid"])]
    want_track, want_dur = {"axpy": ("GPU 0 stream 13", 2000.0),
                            "reduce": ("GPU 0 stream 14", 5000.0)}[e["name"]]
    assert track == want_track, (e["name"], track)
    assert e["dur"] == want_dur, (e["name"], e["dur"])
    assert e["pid"] == pid
    assert by_corr[e["args"]["correlation"]]["name"] == "cuLaunchKernel"
    # One clock: a kernel starts after its launch (the stand-in starts it at once, or when
    # its stream is free), within the run.
    assert e["ts"] >= by_corr[e["args"]["correlation"]]["ts"], e
    assert e["ts"] - by_corr[e["args"]["correlation"]]["ts"] < 1e6, e
    assert e["args"]["grid"] == {"axpy": "256x1x1", "reduce": "64x1x1"}[e["name"]]
cp = sorted((e["name"], e["args"]["bytes"], names[(e["pid"], e["tid"])], e["dur"])
            for e in ev if e.get("cat") in ("memcpy", "memset"))
assert cp == [("memcpy DtoH", 1048576, "GPU 0 stream 7", 250.0),
              ("memcpy HtoD", 4194304, "GPU 0 stream 7", 500.0),
              ("memset", 4096, "GPU 0 stream 7", 100.0)], cp
PY
ok "kernels.json, gpu.pb.gz by call site, trace.json rows"

# CUPTI without a timestamp callback: its own clock (1000 s ahead here), moved by an offset.
sed 's/^copy memset.*/&\nno_timestamp_callback/' "$SRCDIR/tests/cli/gpu_kernels.script" >"$TMP/nots.script"
SCORCH_FAKE_CUDA="$TMP/nots.script" "$SCORCH" gpu -q -o "$TMP/nots" -- "$APP" >/dev/null 2>"$TMP/nots.err" ||
	fail "no timestamp callback: $(cat "$TMP/nots.err")"
diff -u "$TMP/want.txt" "$TMP/nots/kernels.txt" || fail "kernels.txt without a timestamp callback"
python3 - "$TMP/nots/trace.json" <<'PY' || fail "the offset clock"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
api = {e["args"]["correlation"]: e for e in ev if e.get("cat") == "cuda_api"}
kern = [e for e in ev if e.get("cat") == "kernel"]
assert len(kern) == 5
for e in kern:  # 1000 s apart without the offset
    assert abs(e["ts"] - api[e["args"]["correlation"]]["ts"]) < 1e6, e
PY
ok "CUPTI's own clock moved onto CLOCK_MONOTONIC"

# --metrics-only (with the stand-in NVML of tests/fake/nvml): no injection, no kernel files.
echo "devices 1" >"$TMP/nvml.script"
SCORCH_FAKE_NVML="$TMP/nvml.script" SCORCH_NVML_LIB="$BUILD/tests/fake/nvml/libnvidia-ml.so.1" \
	"$SCORCH" gpu --metrics-only -o "$TMP/mo" -- "$APP" >"$TMP/mo.out" 2>&1 ||
	fail "--metrics-only: $(cat "$TMP/mo.out")"
[ -s "$TMP/mo/metrics.csv" ] || fail "--metrics-only wrote no metrics.csv"
[ -e "$TMP/mo/kernels.txt" ] && fail "--metrics-only wrote kernels.txt"
grep -q '"cat":"kernel"' "$TMP/mo/trace.json" && fail "--metrics-only traced kernels"
ok "--metrics-only leaves the kernels alone"
