#!/usr/bin/env bash
# push_parca.sh: scorch push --parca --grpc-web, checked by the loopback stand-in
# (push_server.py decodes the gRPC frame and the WriteRawRequest with its own protobuf reader):
# the method's path, the frame's length, the labels (sorted, __name__ from the kind of profile,
# --label), and raw_profile equal to the file; a grpc-status other than 0 in the trailer frame
# is a failure that quotes grpc-message. gRPC over HTTP/2 (the default) cannot be served by a
# stdlib Python server: against this HTTP/1.1 one it must fail clearly, not hang or pass.
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
