#!/usr/bin/env bash
# sum-tests.sh: adds up the "Ok: / Fail: / Skipped:" lines of several `meson test` logs and prints
# the one closing line `make check` ends with: "N passed, N failed[, N skipped]".
# Exit status: 0 when nothing failed and at least one test ran.
set -u
pass=0 fail=0 skip=0
for log in "$@"; do
	[ -f "$log" ] || { echo "sum-tests: missing log $log" >&2; fail=$((fail + 1)); continue; }
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	xf=$(sed -n 's/^Expected Fail: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	fl=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	up=$(sed -n 's/^Unexpected Pass: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	sk=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ -z "$ok" ]; then
		echo "sum-tests: no summary in $log" >&2
		fail=$((fail + 1))
		continue
	fi
	pass=$((pass + ok + ${xf:-0}))
	fail=$((fail + ${fl:-0} + ${up:-0} + ${to:-0}))
	skip=$((skip + ${sk:-0}))
done
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
