#!/bin/bash
# report_views.sh: the views of `scorch report` on known-answer profiles, with checked numbers.
#
# tests/data/views/app.txt describes a 100-sample profile (1 ms each; three modules, threads,
# times, an inline frame, a recursion) and states the expected numbers in its comments;
# mkpprof.py encodes it as pprof. app.folded is the same profile as folded stacks, app.groups a
# --groups file. Each view is checked in text (exact output) and JSON (fields), then the filters
# (checked through the folded stacks they leave) and the error messages.
. "$(dirname "$0")/lib.sh"

make_tmp
DATA=$SRCDIR/tests/data/views
P=$TMP/app.pb
F=$DATA/app.folded
python3 "$DATA/mkpprof.py" "$DATA/app.txt" "$P" || fail "mkpprof.py could not encode app.txt"

# run ARGS...: scorch report ARGS, output in $TMP/out; fails unless the status is 0.
run()
{
	"$SCORCH" report "$@" >"$TMP/out" 2>"$TMP/err" ||
		fail "scorch report $* exited $?: $(cat "$TMP/err")"
}

# expect ARGS... <<< TEXT: the output of scorch report ARGS is exactly TEXT.
expect()
{
	local want
	want=$(cat)
	run "$@"
	if [ "$(cat "$TMP/out")" != "$want" ]; then
		diff -u <(echo "$want") "$TMP/out" | sed 's/^/  | /' >&2
		fail "scorch report $*: unexpected output"
	fi
	ok "report $*"
}

# check ARGS... -- PYTHON: runs scorch report --format json ARGS and evaluates the Python
# assertions with the document as `d` and helper row(list, name[, key, value]).
check()
{
	local args=()
	while [ "$1" != "--" ]; do
		args+=("$1")
		shift
	done
	shift
	run --format json "${args[@]}"
	python3 - "$TMP/out" "$1" <<'PY' || fail "scorch report --format json ${args[*]}: check failed"
import json, sys
d = json.load(open(sys.argv[1]))
def row(rows, name, key=None, value=None):
    for r in rows:
        if r["name"] == name and (key is None or r[key] == value):
            return r
    raise AssertionError("no row %s %s=%s" % (name, key, value))
try:
    assert d["version"] == 1, "version"
    exec(sys.argv[2])
except AssertionError as e:
    print("assertion failed: %s\n%s" % (e, json.dumps(d)[:2000]), file=sys.stderr)
    sys.exit(1)
PY
	ok "report --format json ${args[*]}"
}

# usage_error STATUS MESSAGE ARGS...: scorch report ARGS exits STATUS with exactly MESSAGE.
usage_error()
{
	local want_rc=$1 want_msg=$2 rc=0
	shift 2
	"$SCORCH" report "$@" >/dev/null 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "scorch report $* exited $rc, expected $want_rc"
	[ "$(cat "$TMP/err")" = "$want_msg" ] ||
		fail "scorch report $*: message '$(cat "$TMP/err")', expected '$want_msg'"
	ok "report $* -> $rc: $want_msg"
}

## Hot spots (functions), as go tool pprof -top computes them on the same file.
expect -n 3 "$P" <<'EOF_'
total: 100ms cpu (nanoseconds), 9 functions

by self:
  self%   self   total%  total  function  module  source
 30.00% 30.0ms   30.00% 30.0ms  cosine    app     math.c:7
 30.00% 30.0ms   30.00% 30.0ms  lex       app     app.c:62
 15.00% 15.0ms   15.00% 15.0ms  hash      app     app.c:90

by total:
  self%   self   total%  total  function  module  source
  0.00%      0  100.00%  100ms  main      app     app.c:12
 10.00% 10.0ms   50.00% 50.0ms  parse     app     app.c:42
  0.00%      0   45.00% 45.0ms  eval      app     app.c:81
EOF_
check --top 0 "$P" -- '
assert d["schema"] == "scorch.top" and d["total"] == 100000000 and d["functions"] == 9
s = {r["name"]: r["self"] // 1000000 for r in d["by_self"]}
assert s == {"cosine": 30, "lex": 30, "hash": 15, "memcpy": 10, "parse": 10, "ksys_read": 5}, s
t = {r["name"]: r["total"] // 1000000 for r in d["by_total"]}
assert t == {"main": 100, "parse": 50, "eval": 45, "cosine": 30, "lex": 30, "hash": 15,
             "memcpy": 10, "ksys_read": 5, "read": 5}, t
assert row(d["by_self"], "memcpy")["module"] == "libc.so.6"
assert row(d["by_self"], "ksys_read")["module"] == "[kernel]"
assert row(d["by_self"], "lex")["file"] == "app.c" and row(d["by_self"], "lex")["line"] == 62'
check --sample-type samples "$P" -- '
assert d["sample_type"] == "samples" and d["total"] == 100
assert d["by_self"][0]["self"] == 30 and d["by_self"][0]["self_pct"] == 30.0'

## Hot spots by source line and by address.
check --by line --top 0 "$P" -- '
assert d["by"] == "line" and d["rows"] == 15, d["rows"]
assert row(d["by_total"], "parse", "line", 42)["total"] == 30000000
assert row(d["by_total"], "parse", "line", 44)["total"] == 10000000
p47 = row(d["by_total"], "parse", "line", 47)
assert p47["self"] == 10000000 and p47["total"] == 10000000
assert row(d["by_total"], "eval", "line", 85)["total"] == 15000000'
expect --by line -n 2 "$P" <<'EOF_'
total: 100ms cpu (nanoseconds), 15 lines

by self:
  self%   self   total%  total  function (line)  module  source
 30.00% 30.0ms   30.00% 30.0ms  cosine           app     math.c:7
 30.00% 30.0ms   30.00% 30.0ms  lex              app     app.c:62

by total:
  self%   self   total%  total  function (line)  module  source
  0.00%      0   50.00% 50.0ms  main             app     app.c:12
  0.00%      0   45.00% 45.0ms  main             app     app.c:13
EOF_
check --by address --top 0 "$P" -- '
assert d["by"] == "address" and d["rows"] == 14, d["rows"]
h = row(d["by_self"], "hash")
assert h["address"] == "0x1320" and h["self"] == 15000000 and h["total"] == 15000000, h
assert row(d["by_self"], "memcpy")["address"] == "0x2340"
assert row(d["by_self"], "ksys_read")["address"] == "0xffffffff81234560"'

## Modules.
expect --modules "$P" <<'EOF_'
total: 100ms cpu (nanoseconds), 3 modules

  self%   self   total%  total  module
 85.00% 85.0ms  100.00%  100ms  app
 10.00% 10.0ms   15.00% 15.0ms  libc.so.6
  5.00% 5.00ms    5.00% 5.00ms  [kernel]
EOF_
check --modules "$P" -- '
assert d["schema"] == "scorch.modules" and d["total"] == 100000000
m = {r["name"]: (r["self_pct"], r["total_pct"]) for r in d["modules"]}
assert m == {"app": (85.0, 100.0), "libc.so.6": (10.0, 15.0), "[kernel]": (5.0, 5.0)}, m
assert row(d["modules"], "libc.so.6")["path"] == "/lib/x86_64-linux-gnu/libc.so.6"'
check --modules "$F" -- '
assert [(r["name"], r["self"]) for r in d["modules"]] == [("?", 100)]'

## Butterfly.
expect --butterfly eval "$P" <<'EOF_'
function: eval (app)
total: 45.0ms cpu (45.00% of 100ms), self: 0 (0.00%)

callers:
  share  value  function  module
100.00% 45.0ms  main      app

callees:
  share  value  function  module
 66.67% 30.0ms  cosine    app
 33.33% 15.0ms  hash      app
EOF_
check --butterfly '^(parse|lex)$' "$P" -- '
assert d["schema"] == "scorch.butterfly" and d["pattern"] == "^(parse|lex)$"
assert sorted(f["name"] for f in d["functions"]) == ["lex", "parse"]
assert d["total"] == 50000000 and d["self"] == 40000000 and d["total_pct"] == 50.0
assert [(c["name"], c["pct"]) for c in d["callers"]] == [("main", 100.0)]
assert [(c["name"], c["kind"], c["value"]) for c in d["callees"]] == [
    ("(self)", "self", 40000000), ("memcpy", "function", 10000000)], d["callees"]'
check --butterfly cosine "$F" -- '
assert d["total"] == 30 and d["self"] == 30
assert [(c["name"], c["value"]) for c in d["callers"]] == [("eval", 30)]'
check --butterfly main "$P" -- '
assert [(c["name"], c["kind"]) for c in d["callers"]] == [("(root)", "root")]
assert [(c["name"], c["value"] // 1000000) for c in d["callees"]] == [
    ("parse", 50), ("eval", 45), ("read", 5)], d["callees"]'

## Groups (components).
expect --group similarity=cosine --group 'parsing=parse|lex' --group io=read "$P" <<'EOF_'
total: 100ms cpu (nanoseconds), 3 groups

  share  value  inclusive  group       regex
 30.00% 30.0ms     30.00%  similarity  cosine
 50.00% 50.0ms     50.00%  parsing     parse|lex
  5.00% 5.00ms      5.00%  io          read
 15.00% 15.0ms             other
EOF_
check --groups "$DATA/app.groups" "$F" -- '
assert d["schema"] == "scorch.groups" and d["total"] == 100
g = [(r["name"], r["regex"], r["value"], r["inclusive"]) for r in d["groups"]]
assert g == [("similarity", "cosine", 30, 30), ("parsing", "^parse$|^lex$", 50, 50),
             ("io", "read", 5, 5), ("other", "", 15, 0)], g'
# innermost match wins: eval (outer) vs hash (inlined into it, inner)
check --group outer=eval --group inner=hash "$P" -- '
g = {r["name"]: (r["value"] // 1000000, r["inclusive"] // 1000000) for r in d["groups"]}
assert g == {"outer": (30, 45), "inner": (15, 15), "other": (55, 0)}, g'

## Filters, checked through the folded stacks they leave (values in ns: 1 ms = 1000000).
expect --format folded --sample-type samples --focus '^parse$' --ignore lex "$P" <<'EOF_'
main;parse 10
main;parse;memcpy 10
EOF_
expect --format folded --sample-type samples --fold '^eval$' "$P" <<'EOF_'
main;cosine 30
main;hash 15
main;parse 10
main;parse;lex 30
main;parse;memcpy 10
main;read;ksys_read 5
EOF_
expect --format folded --sample-type samples --merge-recursion --focus eval "$P" <<'EOF_'
main;eval;cosine 30
main;eval;hash 15
EOF_
expect --format folded --sample-type samples --tid 102,201 "$P" <<'EOF_'
main;eval;cosine 20
main;eval;eval;eval;cosine 10
main;eval;hash 15
main;read;ksys_read 5
EOF_
expect --format folded --sample-type samples --pid 200 --tid 201 --tid 101 "$P" <<'EOF_'
main;eval;eval;eval;cosine 10
main;read;ksys_read 5
EOF_
expect --format folded --sample-type samples --from 0.040 --to 0.075 "$P" <<'EOF_'
main;eval;cosine 20
main;eval;hash 15
EOF_
expect --format folded --sample-type samples --from 0.095 "$P" <<'EOF_'
main;parse 5
EOF_
# filters apply before every view
check --modules --ignore read "$P" -- '
assert d["total"] == 95000000
assert [r["name"] for r in d["modules"]] == ["app", "libc.so.6"]'
check --butterfly cosine --merge-recursion --tid 201 "$P" -- '
assert d["total"] == 10000000 and [c["name"] for c in d["callers"]] == ["eval"]'
check --group x=cosine --from 0.05 "$P" -- '
assert d["total"] == 50000000 and d["groups"][0]["value"] == 20000000'
# -o writes the view atomically
run --modules --format json -o "$TMP/modules.json" "$P"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]=="scorch.modules"' \
	"$TMP/modules.json" || fail "-o did not write the modules document"
ok "report --modules -o FILE"

## Every view has a JSON document with schema and version.
for view in "" "--by line" "--by address" "--modules" "--butterfly eval" "--group x=eval"; do
	# shellcheck disable=SC2086 # the view's words are separate arguments
	check $view "$P" -- 'assert d["schema"].startswith("scorch.") and d["version"] == 1'
done

## Errors.
usage_error 2 "scorch report: --focus 'a(': Unmatched ( or \\(" --focus 'a(' "$P"
usage_error 2 "scorch report: --fold '[b-a]': Invalid range end" --fold '[b-a]' "$P"
usage_error 2 "scorch report: --butterfly '(': Unmatched ( or \\(" --butterfly '(' "$P"
usage_error 2 "scorch report: --group 'sim=a(': Unmatched ( or \\(" --group 'sim=a(' "$P"
usage_error 2 "scorch report: --group 'sim': expected NAME=REGEX" --group sim "$P"
printf 'ok=a\nbroken\n' >"$TMP/bad.groups"
usage_error 2 "scorch report: --groups $TMP/bad.groups:2: 'broken': expected NAME=REGEX" \
	--groups "$TMP/bad.groups" "$P"
usage_error 1 "scorch report: --butterfly 'nosuch': no function matches" --butterfly nosuch "$P"
usage_error 2 "scorch report: --from/--to need per-sample times, and this profile has none (scorch's recordings and perf script output have them; folded stacks never; other pprof files only as a numeric label \"time_ns\" or \"time\")" \
	--from 1 "$F"
usage_error 2 "scorch report: --from 2 --to 1: the window must have 0 <= from < to" \
	--from 2 --to 1 "$P"
usage_error 2 "scorch report: --butterfly, --modules and --group are separate views: give one of them" \
	--modules --butterfly eval "$P"
usage_error 2 "scorch report: --modules has no html form (use --format text or json)" \
	--modules --format html "$P"
usage_error 2 "scorch report: --by has no folded form (use --format text or json)" \
	--by line --format folded "$P"
usage_error 2 "scorch report: unknown --by 'file' (valid: function, line, address, thread, process)" --by file "$P"
usage_error 2 "scorch report: --tid '12,,3': an empty id or name" --tid 12,,3 "$P"
usage_error 2 "scorch report: --pid '99999999999': 99999999999 is not an id" --pid 99999999999 "$P"

## The html forms: the butterfly page and the flamegraph coloured by groups (their content is
## tested with the pages; here, that the options reach them).
run --butterfly '^ev' --format html -o "$TMP/bf.html" "$P"
grep -q '"focus":"eval"' "$TMP/bf.html" || fail "the butterfly page does not open on eval"
run --group sim=cosine --format html -o "$TMP/fg.html" "$P"
grep -q '"groups":\["sim"' "$TMP/fg.html" || fail "the flamegraph page has no groups"
ok "report --butterfly/--group --format html"

## --format pprof: the profile itself, filters applied, readable back.
printf 'main;work;leaf 7\nmain;other 3\n' >"$TMP/pp.folded"
run --format pprof --focus work -o "$TMP/pp.pb.gz" "$TMP/pp.folded"
"$SCORCH" report --format json "$TMP/pp.pb.gz" >"$TMP/pp.json" || fail "the pprof output does not read back"
python3 - "$TMP/pp.json" <<'PY' || fail "--format pprof --focus work: $(cat "$TMP/pp.json")"
import json, sys
d = json.load(open(sys.argv[1]))
rows = {r["name"]: r["self"] for r in d["by_self"]}
sys.exit(0 if rows == {"leaf": 7} else 1)
PY
usage_error 2 "scorch report: --modules has no pprof form (use --format text or json)" \
	--modules --format pprof "$P"
ok "report --format pprof writes the filtered profile"
