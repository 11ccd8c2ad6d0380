#!/usr/bin/env bash
# bench/callgraph.sh: scorch record --call-graph dwarf/auto against perf record --call-graph dwarf,
# side by side in one run, on a workload without frame pointers.
#
# Measures, in interleaved rounds (so drift in machine speed hits every configuration alike):
#   1. the target's CPU time (user + system, read by bench/cputime, which includes the kernel's
#      sampling and stack-copy work done on its behalf): bare, under scorch --call-graph dwarf,
#      auto and fp, and under perf record --call-graph dwarf (same rate, same stack copy size);
#   2. the profiler's own CPU time (cputime around the profiler minus the target's): scorch's
#      record process unwinds while recording, then symbolizes and writes; perf record copies the
#      stacks to perf.data;
#   3. perf's deferred cost: `perf report --stdio` on that perf.data, where perf unwinds (CPU time);
#   4. bytes stored per sample: profile.pb.gz vs perf.data, divided by the samples taken;
#   5. the share of samples whose stack reaches the workload's entry (ENTRY, a function name),
#      from scorch's stacks.folded and from `perf script`.
# Both profilers copy STACK bytes of user stack per sample (perf's default is 8192; scorch's 16384:
# STACK=16384 gives both the same).
#
# Usage: bench/callgraph.sh [BUILD_DIR]    environment: ROUNDS (default 5), FREQ (default 1000),
#   STACK (default 16384), WORKLOAD (a command; default Debian's python3 running a json loop for
#   about 3 s, no frame pointers), ENTRY (default Py_RunMain).
# Needs perf_event_paranoid <= 1 (or root) and perf. Prints a Markdown table.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init bench "${1:-build}"
rounds=${ROUNDS:-5}
freq=${FREQ:-1000}
stack=${STACK:-16384}
entry=${ENTRY:-Py_RunMain}
bench_need "$scorch" "build first ($scorch missing)"
bench_skip_without perf "perf is not installed"
bench_tmpdir
bench_cputime
if [ -n "${WORKLOAD:-}" ]; then
	read -r -a wl <<<"$WORKLOAD"
else
	[ -x /usr/bin/python3 ] || bench_die "no /usr/bin/python3; set WORKLOAD"
	cat >"$tmp/work.py" <<'PY'
import json
for i in range(1000000):
    json.dumps({"a": [1, 2, 3] * 10, "b": str(i)})
PY
	wl=(/usr/bin/python3 "$tmp/work.py")
fi

sub() { awk -v a="$(cat "$1")" -v b="$(cat "$2")" 'BEGIN {print a - b}'; }

for r in $(seq "$rounds"); do
	"$tmp/cputime" "$tmp/bare.$r" "${wl[@]}" >/dev/null
	for m in dwarf auto fp; do
		args=(--call-graph "$m")
		[ "$m" = fp ] || args=(--call-graph "$m,$stack")
		"$tmp/cputime" "$tmp/all.sc$m.$r" "$scorch" record -q -F "$freq" "${args[@]}" \
			-o "$tmp/sc$m" -- "$tmp/cputime" "$tmp/sc$m.$r" "${wl[@]}" >/dev/null
		sub "$tmp/all.sc$m.$r" "$tmp/sc$m.$r" >"$tmp/own.sc$m.$r"
	done
	"$tmp/cputime" "$tmp/all.perf.$r" perf record -q -F "$freq" --call-graph "dwarf,$stack" \
		-o "$tmp/perf.data" -- "$tmp/cputime" "$tmp/perf.$r" "${wl[@]}" >/dev/null 2>&1
	sub "$tmp/all.perf.$r" "$tmp/perf.$r" >"$tmp/own.perf.$r"
	"$tmp/cputime" "$tmp/post.perf.$r" perf report -i "$tmp/perf.data" --stdio >/dev/null 2>&1
done

bare=$(cat "$tmp"/bare.[0-9]* | bench_median)
cell()
{
	local med
	med=$(cat "$tmp/$1".[0-9]* | bench_median)
	awk -v a="$med" -v b="$bare" -v r="$(cat "$tmp/$1".[0-9]* | bench_range)" \
		'BEGIN {printf "%.2f s (%+.1f%%; %s)", a, (a / b - 1) * 100, r}'
}
own() { printf '%.2f s (%s)' "$(cat "$tmp/own.$1".[0-9]* | bench_median)" "$(cat "$tmp/own.$1".[0-9]* | bench_range)"; }

# Bytes per sample and stacks reaching ENTRY, from the last round's files.
sc_stats()
{
	python3 - "$tmp/$1/stacks.folded" "$(stat -c %s "$tmp/$1/profile.pb.gz")" "$entry" <<'PY'
import sys
total = hit = 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip("\n").rpartition(" ")
    total += int(n)
    hit += int(n) * (sys.argv[3] in stack.split(";"))
print("%.0f B (%s B / %d) | %.1f%%" % (int(sys.argv[2]) / total, sys.argv[2], total, 100.0 * hit / total))
PY
}
perf script -i "$tmp/perf.data" -F ip,sym 2>/dev/null >"$tmp/perf.txt" || true
perf_stats=$(python3 - "$tmp/perf.txt" "$(stat -c %s "$tmp/perf.data")" "$entry" <<'PY'
import sys
total = hit = 0
cur = None
for line in open(sys.argv[1]):
    s = line.strip()
    if not s:
        if cur is not None:
            total += 1
            hit += cur
        cur = None
        continue
    if cur is None:
        cur = 0
    parts = s.split(None, 1)
    if len(parts) > 1 and parts[1].split("+")[0] == sys.argv[3]:
        cur = 1
if cur is not None:
    total += 1
    hit += cur
print("%.0f B (%s B / %d) | %.1f%%" % (int(sys.argv[2]) / max(total, 1), sys.argv[2], total, 100.0 * hit / max(total, 1)))
PY
)
IFS='|' read -r dw_bytes dw_entry <<<"$(sc_stats scdwarf)"
IFS='|' read -r au_bytes au_entry <<<"$(sc_stats scauto)"
IFS='|' read -r fp_bytes fp_entry <<<"$(sc_stats scfp)"
IFS='|' read -r pf_bytes pf_entry <<<"$perf_stats"
post=$(printf '%.2f s (%s)' "$(cat "$tmp"/post.perf.[0-9]* | bench_median)" "$(cat "$tmp"/post.perf.[0-9]* | bench_range)")

cat <<EOF
Workload: ${wl[*]}; ${freq} Hz; ${stack}-byte stack copies; median of $rounds interleaved rounds (range).

| measure | scorch --call-graph dwarf | scorch --call-graph auto | scorch --call-graph fp | perf record --call-graph dwarf |
|---|---|---|---|---|
| target CPU time (bare: $(printf '%.2f' "$bare") s, range $(cat "$tmp"/bare.[0-9]* | bench_range)) | $(cell scdwarf) | $(cell scauto) | $(cell scfp) | $(cell perf) |
| profiler's own CPU time (the whole \`record\` process: scorch's includes unwinding, symbolizing, writing) | $(own scdwarf) | $(own scauto) | $(own scfp) | $(own perf) |
| deferred unwinding (\`perf report --stdio\`, CPU) | - (done while recording) | - | - | ${post} |
| bytes stored per sample | ${dw_bytes} | ${au_bytes} | ${fp_bytes} | ${pf_bytes} |
| samples whose stack reaches ${entry} | ${dw_entry} | ${au_entry} | ${fp_entry} | ${pf_entry} |
EOF
