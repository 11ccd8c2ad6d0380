#!/usr/bin/env bash
# template.sh: C++ names and inlined frames (tests/programs/template.cpp). The demangled
# geo::Matrix<float>::mul and geo::Matrix<double>::mul have 54% and 36% of the samples (60:40
# between them); the always_inline inline_helper shows as a frame under outer_with_inline.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
record "$TMP/out" "$(prog template)" 1.0
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, template exits 0"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
at_least_samples "$TMP/top.json" 300
f=$(pct "$TMP/top.json" 'geo::Matrix<float>::mul' self)
d=$(pct "$TMP/top.json" 'geo::Matrix<double>::mul' self)
grep -q '_ZNK3geo6Matrix' "$TMP/top.json" && fail "mangled names in the report"
near "$f" 54 5 "geo::Matrix<float>::mul self"
near "$d" 36 5 "geo::Matrix<double>::mul self"
near "$(python3 -c "print(round(100 * $f / ($f + $d), 2) if $f + $d else 0)")" 60 5 \
	"float share of the two mul"
share=$(folded_share "$TMP/out/stacks.folded" 'outer_with_inline;inline_helper')
python3 -c "import sys; sys.exit(0 if $share >= 4 else 1)" ||
	fail "stacks.folded: outer_with_inline;inline_helper has $share% of samples (expected ~10%)"
ok "outer_with_inline;inline_helper: $share% of samples"
