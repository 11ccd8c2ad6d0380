#!/usr/bin/env bash
# crash.sh: tests/programs/crash.c works in crash_work, then dies of SIGSEGV. scorch must still
# write the profile (with crash_work in it) and exit 139 = 128 + SIGSEGV, as a shell reports it.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
record "$TMP/out" "$(prog crash)" 1.0
[ "$RC" -eq 139 ] || fail "scorch record exited $RC, expected 139 (SIGSEGV)"
ok "exit status 139"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
s=$(pct "$TMP/top.json" crash_work self)
python3 -c "import sys; sys.exit(0 if $s >= 80 else 1)" || fail "crash_work self is $s%, expected ~100%"
ok "crash_work self $s%"
grep -q 'crash_work' "$TMP/out/stacks.folded" || fail "crash_work not in stacks.folded"
ok "crash_work in stacks.folded"
