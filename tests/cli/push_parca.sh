#!/usr/bin/env bash
# push_parca.sh: scorch push --parca --grpc-web, checked by the loopback stand-in
# (push_server.py decodes the gRPC frame and the WriteRawRequest with its own protobuf reader):
# the method's path, the frame's length, the labels (sorted, __name__ from the kind of profile,
# --label), and raw_profile equal to the file; a grpc-status other than 0 in the trailer frame
# is a failure that quotes grpc-message. gRPC over HTTP/2 (the default) cannot be served by a
# stdlib Python server: against this HTTP/1.1 one it must fail clearly, not hang or pass; it is
# checked against push_h2server.go instead (Go's net/http: HTTP/2 over TLS, real trailers) when
# go is installed: HTTP/2, te: trailers, the same message, grpc-status from the trailers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/push_lib.sh"
make_tmp
make_profiles "$TMP/rec"

start_server "$TMP/s1"
"$SCORCH" push --parca "127.0.0.1:$PORT" --grpc-web --app demo --label env=test "$TMP/rec" \
	2>"$TMP/err1" || fail "push exited $?: $(cat "$TMP/err1")"
[ "$(requests "$TMP/s1")" -eq 2 ] || fail "expected 2 requests, got $(requests "$TMP/s1")"
python3 - "$TMP/s1" <<'PY' || exit 1
import json, sys
d = sys.argv[1]
for n, name in ((1, "memory"), (2, "process_cpu")):
    r = json.load(open("%s/req-%d.json" % (d, n)))
    if "error" in r:
        sys.exit("FAIL push_parca: request %d does not decode: %s" % (n, r["error"]))
    if r["path"] != "/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw":
        sys.exit("FAIL push_parca: path %s" % r["path"])
    if r["content_type"] != "application/grpc-web+proto" or r["frame"][0] != 0:
        sys.exit("FAIL push_parca: %s, frame %r" % (r["content_type"], r["frame"]))
    want = sorted([["__name__", name], ["env", "test"], ["host", r["labels"][2][1]],
                   ["service", "demo"], ["version", "0.1.0"]])
    if r["labels"] != want or r["samples"] != 1:
        sys.exit("FAIL push_parca: request %d: labels %r (%d samples), expected %r"
                 % (n, r["labels"], r["samples"], want))
print("ok: WriteRaw requests decode, with the labels sorted and __name__ per profile kind")
PY
cmp -s "$TMP/s1/req-1.profile" "$TMP/rec/heap.pb.gz" || fail "raw_profile 1 is not heap.pb.gz"
cmp -s "$TMP/s1/req-2.profile" "$TMP/rec/profile.pb.gz" || fail "raw_profile 2 is not profile.pb.gz"
ok "raw_profile is the file, byte for byte"
grep -q "grpc-status 0" "$TMP/err1" || fail "no success line: $(cat "$TMP/err1")"

# A gRPC error in the trailer frame.
start_server "$TMP/s2" "grpc:3:invalid label set"
"$SCORCH" push --parca "http://127.0.0.1:$PORT" --grpc-web "$TMP/rec/profile.pb.gz" 2>"$TMP/err2"
rc=$?
[ "$rc" -eq 1 ] || fail "push exited $rc on grpc-status 3"
grep -q "answered gRPC status 3: invalid label set (HTTP 200)" "$TMP/err2" || fail "$(cat "$TMP/err2")"
ok "grpc-status 3 fails and quotes grpc-message"

# gRPC over HTTP/2 (prior knowledge) against an HTTP/1.1-only server: a clear failure.
start_server "$TMP/s3"
timeout 60 "$SCORCH" push --parca "127.0.0.1:$PORT" --timeout 5 "$TMP/rec/profile.pb.gz" \
	2>"$TMP/err3"
rc=$?
[ "$rc" -eq 1 ] || fail "push over HTTP/2 to an HTTP/1.1 server exited $rc, expected 1: $(cat "$TMP/err3")"
grep -q "scorch push: .*profile.pb.gz: " "$TMP/err3" && grep -q "add --grpc-web" "$TMP/err3" ||
	fail "$(cat "$TMP/err3")"
ok "HTTP/2 to an HTTP/1.1 server fails clearly: $(tail -2 "$TMP/err3" | sed 's/.*profile.pb.gz: //' | cut -c1-80)"

# gRPC over HTTP/2 (TLS, ALPN) against Go's net/http, with grpc-status in real trailers.
if build_h2_server; then
	start_h2_server "$TMP/h1" 0 "3:invalid label set"
	"$SCORCH" push --parca "https://127.0.0.1:$PORT" --insecure --app demo --label env=test \
		"$TMP/rec/profile.pb.gz" 2>"$TMP/err4" || fail "push over HTTP/2 exited $?: $(cat "$TMP/err4")"
	grep -q "HTTP 200, grpc-status 0" "$TMP/err4" || fail "$(cat "$TMP/err4")"
	python3 - "$TMP/h1" "$SRCDIR/tests/cli" "$TMP/rec/profile.pb.gz" <<'PY' || exit 1
import json, sys
sys.path.insert(0, sys.argv[2])
from push_server import decode_writeraw
r = json.load(open(sys.argv[1] + "/req-1.json"))
want = {"proto": "HTTP/2.0", "method": "POST", "te": "trailers",
        "content_type": "application/grpc+proto",
        "path": "/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw"}
for k, v in want.items():
    if r.get(k) != v:
        sys.exit("FAIL push_parca: HTTP/2 request: %s is %r, expected %r" % (k, r.get(k), v))
msg = open(sys.argv[1] + "/req-1.msg", "rb").read()
if r["frame"] != [0, len(msg), len(msg)]:
    sys.exit("FAIL push_parca: HTTP/2 frame %r" % r["frame"])
labels, raws = decode_writeraw(msg)
names = [k for k, _ in labels]
if names != sorted(names) or ["env", "test"] not in labels or ["__name__", "process_cpu"] not in labels:
    sys.exit("FAIL push_parca: HTTP/2 labels %r" % labels)
if raws != [open(sys.argv[3], "rb").read()]:
    sys.exit("FAIL push_parca: HTTP/2 raw_profile is not the file")
print("ok: gRPC over HTTP/2: te: trailers, the WriteRawRequest decodes, raw_profile is the file")
PY
	"$SCORCH" push --parca "https://127.0.0.1:$PORT" --insecure "$TMP/rec/profile.pb.gz" \
		2>"$TMP/err5"
	rc=$?
	[ "$rc" -eq 1 ] || fail "grpc-status 3 in HTTP/2 trailers: exit $rc"
	grep -q "answered gRPC status 3: invalid label set (HTTP 200)" "$TMP/err5" || fail "$(cat "$TMP/err5")"
	ok "grpc-status 3 in the HTTP/2 trailers fails and quotes grpc-message"
	"$SCORCH" push --parca "https://127.0.0.1:$PORT" "$TMP/rec/profile.pb.gz" 2>"$TMP/err6"
	[ $? -eq 1 ] && grep -q "certificate" "$TMP/err6" || fail "self-signed over HTTP/2: $(cat "$TMP/err6")"
	ok "the HTTP/2 stand-in's self-signed certificate is refused without --insecure"
else
	echo "note: go is missing or cannot build push_h2server.go ($(head -c 200 "$TMP/gobuild.log" 2>/dev/null)); gRPC over HTTP/2 not checked"
fi
