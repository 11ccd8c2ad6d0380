#!/usr/bin/env bash
# push.sh: scorch push to Grafana Pyroscope's /ingest, checked by a loopback stand-in
# (push_server.py): the request's path and query (app name, labels, from/until, format), the
# multipart form's "profile" field holding the very file, which go tool pprof reads with the
# original's total, and its "sample_type_config" describing each of the file's sample types; a 500 then a 200 (one retry), a 400 with a body (quoted, exit 1), the server
# down (3 tries, exit 1), bad input (an error before any request), --dry-run (no request),
# HTTPS with a self-signed certificate (refused unless --insecure).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/push_lib.sh"
make_tmp
make_profiles "$TMP/rec"

# 1. A recording folder: both profiles, labels, explicit time range.
start_server "$TMP/s1"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT/" --app demo --label env=test \
	-H 'X-Scope-OrgID: team1' --label host=box1 --from 1700000000 --until 1700000010 "$TMP/rec" >"$TMP/out1" 2>"$TMP/err1" ||
	fail "push exited $?: $(cat "$TMP/err1")"
[ "$(requests "$TMP/s1")" -eq 2 ] || fail "expected 2 requests, got $(requests "$TMP/s1")"
python3 - "$TMP/s1" <<'PY' || exit 1
import json, sys
d = sys.argv[1]
for n in (1, 2):
    r = json.load(open("%s/req-%d.json" % (d, n)))
    q = r["query"]
    want = {"name": ["demo{service=demo,host=box1,version=0.1.0,env=test}"],
            "from": ["1700000000"], "until": ["1700000010"], "format": ["pprof"],
            "spyName": ["scorch"]}
    for k, v in want.items():
        if q.get(k) != v:
            sys.exit("FAIL push: request %d: %s is %r, expected %r" % (n, k, q.get(k), v))
    if r["path"] != "/ingest" or not r["content_type"].startswith("multipart/form-data"):
        sys.exit("FAIL push: request %d: %s %s" % (n, r["path"], r["content_type"]))
    if r["org_id"] != "team1":
        sys.exit("FAIL push: request %d: X-Scope-OrgID %r" % (n, r["org_id"]))
    if r.get("fields") != ["profile", "sample_type_config"]:
        sys.exit("FAIL push: request %d: form fields %r" % (n, r.get("fields")))
# Pyroscope's sample type configuration: every type of the file, with units and aggregation.
heap = json.load(open("%s/req-1.json" % d))["sample_type_config"]
cpu = json.load(open("%s/req-2.json" % d))["sample_type_config"]
want_heap = {"alloc_objects": ("objects", "sum", False), "alloc_space": ("bytes", "sum", False),
             "inuse_objects": ("objects", "average", False),
             "inuse_space": ("bytes", "average", False),
             "definite_space": ("bytes", "sum", False)}
for t, (units, agg, sampled) in want_heap.items():
    c = heap.get(t)
    if not c or (c["units"], c["aggregation"], c["sampled"], c["display-name"]) != \
            (units, agg, sampled, t):
        sys.exit("FAIL push: heap sample_type_config[%s] = %r" % (t, c))
# scorch heap's 8 types; the CPU profile made from folded stacks has samples/count only.
if len(heap) != 8 or sorted(cpu) != ["samples"] or not cpu["samples"]["sampled"]:
    sys.exit("FAIL push: cpu sample_type_config %r" % cpu)
print("ok: /ingest requests name the app, the labels and the time range, carry -H; "
      "sample_type_config holds the %d heap and %d CPU sample types" % (len(heap), len(cpu)))
PY
# Files go in name order: heap.pb.gz, then profile.pb.gz.
cmp -s "$TMP/s1/req-1.profile" "$TMP/rec/heap.pb.gz" || fail "request 1 does not carry heap.pb.gz"
cmp -s "$TMP/s1/req-2.profile" "$TMP/rec/profile.pb.gz" ||
	fail "request 2 does not carry profile.pb.gz"
if command -v go >/dev/null; then
	for pair in "1 heap" "2 profile"; do
		set -- $pair
		got=$(pprof_total "$TMP/s1/req-$1.profile")
		want=$(pprof_total "$TMP/rec/$2.pb.gz")
		[ -n "$got" ] && [ "$got" = "$want" ] ||
			fail "go tool pprof: $2 sent has total '$got', the original '$want' ($(cat "$TMP/pprof.err"))"
		ok "go tool pprof reads the $2 profile that arrived: total $got, as the original"
	done
else
	echo "note: go is not installed; the profiles were compared byte for byte only"
fi
grep -q "heap.pb.gz -> http://127.0.0.1:$PORT/: HTTP 200" "$TMP/err1" ||
	fail "no success line: $(cat "$TMP/err1")"

# 2. The profile's own time range and host by default.
start_server "$TMP/s2"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app demo "$TMP/rec/heap.pb.gz" \
	2>"$TMP/err2" || fail "push exited $?: $(cat "$TMP/err2")"
python3 - "$TMP/s2/req-1.json" "$(hostname)" <<'PY' || exit 1
import json, sys, time
q = json.load(open(sys.argv[1]))["query"]
f, u = int(q["from"][0]), int(q["until"][0])
if not (u > f and abs(time.time() - f) < 600):
    sys.exit("FAIL push: from %d until %d: not the recording's time" % (f, u))
if "host=%s," % sys.argv[2] not in q["name"][0]:
    sys.exit("FAIL push: no host=%s in %s" % (sys.argv[2], q["name"][0]))
print("ok: from/until and host come from the profile")
PY

# 3. A 500, then a 200: one retry.
start_server "$TMP/s3" 500
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app demo "$TMP/rec/profile.pb.gz" \
	2>"$TMP/err3" || fail "push exited $? after a 500 then a 200: $(cat "$TMP/err3")"
[ "$(requests "$TMP/s3")" -eq 2 ] || fail "expected 2 requests, got $(requests "$TMP/s3")"
grep -q "HTTP 500; retrying in 0.5 s (try 2 of 3)" "$TMP/err3" ||
	fail "the retry is not said: $(cat "$TMP/err3")"
ok "a 500 is retried and the second try succeeds"

# 4. A 400 with a body: no retry, the message quotes it, exit 1.
start_server "$TMP/s4" "400:invalid label name 'x'"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app demo "$TMP/rec/profile.pb.gz" \
	2>"$TMP/err4"
rc=$?
[ "$rc" -eq 1 ] || fail "push exited $rc after a 400, expected 1"
[ "$(requests "$TMP/s4")" -eq 1 ] || fail "a 400 was retried"
grep -q "http://127.0.0.1:$PORT/ingest?name=demo.* answered HTTP 400: \"invalid label name 'x'\"" \
	"$TMP/err4" || fail "the 400 is not reported with the URL and the body: $(cat "$TMP/err4")"
ok "a 400 names the URL and quotes the body"

# 5. The server down: 3 tries, then a clear message and exit 1.
start_server "$TMP/s5"
stop_server
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app demo "$TMP/rec/profile.pb.gz" \
	2>"$TMP/err5"
rc=$?
[ "$rc" -eq 1 ] || fail "push exited $rc with the server down, expected 1"
[ "$(grep -c "retrying" "$TMP/err5")" -eq 2 ] || fail "expected 2 retries: $(cat "$TMP/err5")"
grep -q "cannot reach http://127.0.0.1:$PORT/ingest?.* after 3 tries: .*onnect" "$TMP/err5" ||
	fail "no clear message with the server down: $(cat "$TMP/err5")"
ok "server down: 2 retries, then: $(tail -1 "$TMP/err5" | cut -c1-60)..."

# 6. Bad input: an error naming the file before any request.
start_server "$TMP/s6"
echo "not a profile" >"$TMP/junk.pb.gz"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app demo "$TMP/rec/profile.pb.gz" \
	"$TMP/junk.pb.gz" 2>"$TMP/err6"
rc=$?
[ "$rc" -eq 1 ] || fail "push exited $rc on a file that is not pprof"
grep -q "'$TMP/junk.pb.gz' is not a pprof profile" "$TMP/err6" || fail "$(cat "$TMP/err6")"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app demo "$TMP/missing.pb.gz" 2>"$TMP/err7"
rc=$?
[ "$rc" -eq 1 ] || fail "push exited $rc on a missing file"
grep -q "cannot read '$TMP/missing.pb.gz': No such file" "$TMP/err7" || fail "$(cat "$TMP/err7")"
mkdir "$TMP/empty"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app demo "$TMP/empty" 2>"$TMP/err8"
[ $? -eq 1 ] && grep -q "holds no profile" "$TMP/err8" || fail "empty folder: $(cat "$TMP/err8")"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" "$TMP/rec" 2>"$TMP/err9"
[ $? -eq 2 ] && grep -q "needs --app" "$TMP/err9" || fail "no --app: $(cat "$TMP/err9")"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app x --label 'a=b,c' "$TMP/rec" 2>"$TMP/err10"
[ $? -eq 2 ] && grep -q "label 'a=b,c'" "$TMP/err10" || fail "bad label: $(cat "$TMP/err10")"
"$SCORCH" push --pyroscope "http://127.0.0.1:$PORT" --app x -H 'no colon' "$TMP/rec" 2>"$TMP/err11"
[ $? -eq 2 ] && grep -q "header 'no colon'" "$TMP/err11" || fail "bad header: $(cat "$TMP/err11")"
[ "$(requests "$TMP/s6")" -eq 0 ] || fail "a request was sent despite bad input"
ok "bad input: clear errors, nothing sent"

# 7. --dry-run prints the request and sends nothing.
"$SCORCH" push --dry-run --pyroscope "http://127.0.0.1:$PORT" --app demo "$TMP/rec/profile.pb.gz" \
	>"$TMP/out11" 2>&1 || fail "dry run failed: $(cat "$TMP/out11")"
grep -q "would POST http://127.0.0.1:$PORT/ingest?name=demo%7B" "$TMP/out11" || fail "$(cat "$TMP/out11")"
[ "$(requests "$TMP/s6")" -eq 0 ] || fail "--dry-run sent a request"
ok "--dry-run sends nothing"

# 8. HTTPS: the certificate is verified unless --insecure.
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 || fail "openssl req failed"
	start_server "$TMP/s8" --tls "$TMP/cert.pem" "$TMP/key.pem"
	"$SCORCH" push --pyroscope "https://127.0.0.1:$PORT" --app demo "$TMP/rec/profile.pb.gz" \
		2>"$TMP/err12"
	rc=$?
	[ "$rc" -eq 1 ] || fail "push to a self-signed server exited $rc, expected 1"
	grep -q "retrying" "$TMP/err12" && fail "a certificate failure was retried: $(cat "$TMP/err12")"
	grep -qi "certificate" "$TMP/err12" || fail "no word of the certificate: $(cat "$TMP/err12")"
	"$SCORCH" push --insecure --pyroscope "https://127.0.0.1:$PORT" --app demo \
		"$TMP/rec/profile.pb.gz" 2>"$TMP/err13" || fail "--insecure: $(cat "$TMP/err13")"
	[ "$(requests "$TMP/s8")" -eq 1 ] || fail "expected 1 request over HTTPS"
	cmp -s "$TMP/s8/req-1.profile" "$TMP/rec/profile.pb.gz" || fail "the HTTPS upload differs"
	ok "HTTPS: a self-signed certificate is refused ($(sed 's/.*after 1 try: //' "$TMP/err12" | cut -c1-60)), --insecure sends"
else
	echo "note: openssl is not installed; HTTPS not checked"
fi
