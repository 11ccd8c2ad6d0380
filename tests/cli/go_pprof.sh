#!/usr/bin/env bash
# go_pprof.sh: profile.pb.gz is a pprof profile that Go's own pprof reads, and it agrees with
# scorch report: the top function of `go tool pprof -top` has the same self (flat) samples as
# scorch report's top row. Skips when go is not installed.
. "$(dirname "$0")/lib.sh"
command -v go >/dev/null || skip "go is not installed (go tool pprof)"
make_tmp
require_perf
record "$TMP/out" "$(prog hot)" 0.5
[ "$RC" -eq 0 ] || fail "scorch record exited $RC"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
# pprof keeps state under $HOME/pprof; keep it in the temporary folder.
HOME="$TMP" PPROF_TMPDIR="$TMP" go tool pprof -top -symbolize=none -sample_index=samples \
	"$TMP/out/profile.pb.gz" >"$TMP/pprof.txt" 2>"$TMP/pprof.err" ||
	fail "go tool pprof failed: $(cat "$TMP/pprof.err")"
python3 - "$TMP/top.json" "$TMP/pprof.txt" <<'PY' || exit 1
import json, re, sys
doc = json.load(open(sys.argv[1]))
top = doc["by_self"][0]
# pprof -top rows: flat flat% sum% cum cum% name
rows = []
for line in open(sys.argv[2]):
    m = re.match(r"\s*([\d.]+)\s+([\d.]+)%\s+[\d.]+%\s+([\d.]+)\s+[\d.]+%\s+(.*\S)", line)
    if m:
        rows.append((float(m.group(1)), float(m.group(2)), m.group(4)))
if not rows:
    sys.exit("FAIL go_pprof: no rows in go tool pprof -top output")
flat, flat_pct, name = rows[0]
if name != top["name"]:
    sys.exit("FAIL go_pprof: pprof's top function is %r, scorch's %r" % (name, top["name"]))
if flat != top["self"] or abs(flat_pct - top["self_pct"]) > 0.1:
    sys.exit("FAIL go_pprof: %s: pprof flat %g (%.2f%%), scorch self %d (%.2f%%)"
             % (name, flat, flat_pct, top["self"], top["self_pct"]))
print("ok: %s: pprof flat %g (%.2f%%) = scorch self %d (%.2f%%)"
      % (name, flat, flat_pct, top["self"], top["self_pct"]))
PY
