#!/usr/bin/env python3
"""push_server.py: a loopback stand-in for Grafana Pyroscope's /ingest and Parca's WriteRaw
(gRPC-Web), for the tests of `scorch push` and `scorch record --continuous`. Python stdlib only.

    push_server.py [--tls CERT KEY] DIR [ANSWER...]

Listens on 127.0.0.1 on a free port and writes the port to DIR/port. Each request N (from 1) is
checked and written down:
    DIR/req-N.json     method, path, query (parsed), content type, the X-Scope-OrgID header
                       (Pyroscope's tenant) or null, and for Pyroscope the
                       multipart form's field names and its sample_type_config (parsed JSON);
                       for Parca the gRPC frame's flag and
                       length, and the WriteRawRequest's labels (decoded by the small protobuf
                       reader below), or "error" when the request could not be decoded
    DIR/req-N.profile  the profile the request carried (the form field "profile", or the
                       raw_profile of the single sample)
ANSWERs, used in turn, then 200 for every later request: "500", "429", "400:some text" (that
status with that body), "grpc:3:bad labels" (HTTP 200 with grpc-status 3 in the trailer frame),
"close" (drop the connection without answering). With --tls the server speaks HTTPS with that
certificate and key (PEM files).
"""
import email.parser
import email.policy
import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer


def varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf):
            raise ValueError("varint runs past the end")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def fields(buf):
    """(field number, wire type, value) of a protobuf message; bytes for wire type 2."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            if i + n > len(buf):
                raise ValueError("field %d runs past the end" % num)
            v, i = buf[i:i + n], i + n
        else:
            raise ValueError("unexpected wire type %d" % wt)
        yield num, wt, v


def decode_writeraw(msg):
    """WriteRawRequest{series=2: RawProfileSeries{labels=1: LabelSet{labels=1: Label{name=1,
    value=2}}, samples=2: RawSample{raw_profile=1}}} -> (labels, [raw profiles])."""
    series = [v for n, _, v in fields(msg) if n == 2]
    if len(series) != 1:
        raise ValueError("%d series, expected 1" % len(series))
    labels, raws = [], []
    for n, _, v in fields(series[0]):
        if n == 1:
            for ln, _, lv in fields(v):
                if ln == 1:
                    kv = {k: x.decode() for k, _, x in fields(lv)}
                    labels.append([kv.get(1, ""), kv.get(2, "")])
        elif n == 2:
            raws += [x for k, _, x in fields(v) if k == 1]
    return labels, raws


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        srv = self.server
        srv.count += 1
        n = srv.count
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        url = urllib.parse.urlsplit(self.path)
        rec = {"method": "POST", "path": url.path,
               "query": urllib.parse.parse_qs(url.query),
               "content_type": self.headers.get("Content-Type", ""),
               "org_id": self.headers.get("X-Scope-OrgID")}
        profile = None
        try:
            if rec["content_type"].startswith("multipart/form-data"):
                head = b"Content-Type: " + rec["content_type"].encode() + b"\r\n\r\n"
                m = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
                parts = list(m.iter_parts())
                rec["fields"] = [p.get_param("name", header="content-disposition")
                                 for p in parts]
                for p in parts:
                    field = p.get_param("name", header="content-disposition")
                    if field == "profile":
                        profile = p.get_payload(decode=True)
                    elif field == "sample_type_config":
                        rec["sample_type_config"] = json.loads(p.get_payload(decode=True))
            elif rec["content_type"].startswith("application/grpc"):
                if len(body) < 5:
                    raise ValueError("no gRPC frame")
                length = int.from_bytes(body[1:5], "big")
                rec["frame"] = [body[0], length, len(body) - 5]
                if length != len(body) - 5:
                    raise ValueError("frame length %d, body %d" % (length, len(body) - 5))
                rec["labels"], raws = decode_writeraw(body[5:])
                rec["samples"] = len(raws)
                profile = raws[0] if raws else None
        except ValueError as e:
            rec["error"] = str(e)
        if profile is not None:
            with open(os.path.join(srv.dir, "req-%d.profile" % n), "wb") as f:
                f.write(profile)
        with open(os.path.join(srv.dir, "req-%d.json" % n), "w") as f:
            json.dump(rec, f)
        answer = srv.answers.pop(0) if srv.answers else "200"
        if answer == "close":
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        grpc = rec["content_type"].startswith("application/grpc")
        status, text, gstatus, gmsg = 200, b"", 0, ""
        if answer.startswith("grpc:"):
            _, code, gmsg = answer.split(":", 2)
            gstatus = int(code)
        else:
            code, _, rest = answer.partition(":")
            status, text = int(code), rest.encode()
        if grpc and status == 200:
            trailer = "grpc-status: %d\r\n" % gstatus
            if gmsg:
                trailer += "grpc-message: %s\r\n" % urllib.parse.quote(gmsg)
            t = trailer.encode()
            text = b"\x00\x00\x00\x00\x00" + b"\x80" + len(t).to_bytes(4, "big") + t
        self.send_response(status)
        self.send_header("Content-Type", "application/grpc-web+proto" if grpc and status == 200
                         else "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


def main():
    args = sys.argv[1:]
    srv = HTTPServer(("127.0.0.1", 0), Handler)
    if args[:1] == ["--tls"]:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args[1], args[2])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        args = args[3:]
    srv.dir, srv.answers, srv.count = args[0], args[1:], 0
    tmp = os.path.join(srv.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, os.path.join(srv.dir, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
