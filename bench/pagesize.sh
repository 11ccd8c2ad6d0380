#!/usr/bin/env bash
# bench/pagesize.sh: the flamegraph page's size on a memgraph recording, by part, and what
# writing it costs; with a second scorch binary, the same page from both, side by side.
#
#   bash bench/pagesize.sh [BUILD_DIR] [OTHER_SCORCH] [PROFILE]
#
# Records examples/memgraph (scorch record, default options) unless PROFILE names a recording's
# profile.pb.gz, or is `synthetic`: 120,000 samples with times, 4,000 stacks of 3,000 functions
# over 120 s (tests/data/views/mkpprof.py encodes it). Then it writes `scorch report --format html` of it with BUILD_DIR's scorch (and
# OTHER_SCORCH's, e.g. a build of the commit before the timeline), ROUNDS times (default 5) for
# the median CPU time (user + system). Prints the page's bytes and those of each part of its
# JSON document (tree, names, timeline, annotate...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init pagesize "${1:-build}"
other=${2:-}
profile=${3:-}
rounds=${ROUNDS:-5}
bench_need "$scorch" "build first ($scorch missing)"
bench_tmpdir
bench_cputime
if [ "$profile" = synthetic ]; then
	python3 - "$tmp/synthetic.txt" <<'PY'
import random, sys
random.seed(1)
out = ["types samples/count cpu/nanoseconds", "ns 1000000", "time_ns", "thread 11 worker",
       "mapping app /usr/bin/app 400000 5000000 0"]
for i in range(3000):
    out.append("loc l%d app %x f%d@/nonexistent/app.c:%d" % (i, 0x400000 + 16 * i, i, 10 + i % 60))
t = 1
for k in range(4000):
    stack = " ".join("l%d" % random.randrange(3000) for _ in range(4))
    out.append("sample 30 1 11 %d %s" % (t, stack))
    t += 30
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
	python3 "$top/tests/data/views/mkpprof.py" "$tmp/synthetic.txt" "$tmp/synthetic.pb"
	profile="$tmp/synthetic.pb"
elif [ -z "$profile" ]; then
	memgraph="$top/$build/examples/memgraph/memgraph"
	bench_need "$memgraph" "build first ($memgraph missing)"
	"$scorch" record -o "$tmp/rec" -- "$memgraph" >/dev/null 2>&1 ||
		bench_die "scorch record of memgraph failed"
	profile="$tmp/rec/profile.pb.gz"
fi
echo "profile: $profile ($("$scorch" report --by thread "$profile" | head -1))"
echo "load: $(bench_loadavg) (1-minute average, at the start)"

measure()
{
	local name=$1 bin=$2
	for _ in $(seq "$rounds"); do
		"$tmp/cputime" "$tmp/t" "$bin" report --format html -o "$tmp/$name.html" "$profile"
		cat "$tmp/t"
	done | bench_median >"$tmp/$name.cpu"
	echo "$name: $(stat -c %s "$tmp/$name.html") bytes, CPU $(cat "$tmp/$name.cpu") s" \
		"(median of $rounds)"
	python3 - "$tmp/$name.html" <<'PY'
import json, re, sys
page = open(sys.argv[1]).read()
m = re.search(r'<script type="application/json" id="scorch-data">\n(.*?)\n</script>', page, re.S)
doc = json.loads(m.group(1))
parts = sorted(((len(json.dumps(v, separators=(",", ":"))), k) for k, v in doc.items()),
               reverse=True)
print("  JSON %d bytes; scripts and markup %d bytes" % (len(m.group(1)), len(page) - len(m.group(1))))
print("  " + ", ".join("%s %d" % (k, n) for n, k in parts if n > 100))
PY
}

measure new "$scorch"
if [ -n "$other" ]; then
	measure other "$other"
fi
