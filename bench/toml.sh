#!/usr/bin/env bash
# bench/toml.sh: the TOML reader (src/config/toml.c) on a big file, beside Python's tomllib.
#
# Writes a TOML file of about SIZE MiB (default 15; the reader's cap is 16) of keys holding inline
# tables, strings with escapes, floats and arrays, then reads it RUNS times (default 5) with
# `scorch config check` (which parses it whole and applies the schema: every key is unknown to
# it, so it also reports, at most 100, errors) and with Python 3.11's tomllib (the peer: a
# reader that is part of CPython). Prints the median CPU time (user + system) and peak RSS of each.
#
# Usage: bench/toml.sh [BUILD_DIR]        Environment: SIZE (MiB), RUNS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init toml "${1:-build}"
bench_need "$scorch" "build first ($scorch missing)"
bench_skip_without python3
bench_tmpdir
bench_cputime
size=${SIZE:-15}
runs=${RUNS:-5}
python3 - "$tmp/big.toml" "$size" <<'PY'
import sys
path, mib = sys.argv[1], float(sys.argv[2])
with open(path, "w") as f:
    f.write("[profiling]\n")
    i = 0
    while f.tell() < mib * 1024 * 1024:
        f.write('key_%d = { a = %d, b = "text \\u00e9 %d", c = [1.5, 2e3, true] }\n' % (i, i, i))
        i += 1
    print("toml: %d keys, %d bytes" % (i, f.tell()), file=sys.stderr)
PY
python3 -c 'import tomllib' 2>/dev/null || { echo "toml: python3 has no tomllib (3.11+); skipping" >&2; exit 0; }
measure()
{
	local name=$1
	shift
	for _ in $(seq "$runs"); do
		"$tmp/cputime" "$tmp/cpu" "$@" >/dev/null 2>&1 || true
		cat "$tmp/cpu"
	done | bench_median >"$tmp/median"
	local rss=?
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>&1 || true
		rss=$(($(tail -1 "$tmp/rss") / 1024))
	fi
	printf '%-22s %8.2f s CPU   %6s MiB peak RSS\n' "$name" "$(cat "$tmp/median")" "$rss"
}
echo "$(ls -l "$tmp/big.toml" | awk '{print $5}') bytes; $runs runs each; load average $(bench_loadavg)"
measure "scorch config check" "$scorch" config check "$tmp/big.toml"
measure "python3 tomllib" python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$tmp/big.toml"
