// push_h2server.go: a loopback stand-in for Parca's gRPC endpoint over HTTP/2, for
// tests/cli/push_parca.sh. Go's standard library only (no modules): net/http speaks HTTP/2 over
// TLS (ALPN) and sends HTTP trailers, which Python's standard library cannot.
//
//	push_h2server DIR [ANSWER...]
//
// Listens on 127.0.0.1 with a self-signed certificate made at start, writes the port to
// DIR/port; request N (from 1) is written down as DIR/req-N.json (proto, method, path, content
// type, te header, the gRPC frame's flag and length) and DIR/req-N.msg (the message after the
// 5-byte prefix). ANSWERs, used in turn, then "0" for later requests: a gRPC status code, or
// "CODE:MESSAGE"; the status goes in the grpc-status trailer, the message in grpc-message.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func main() {
	dir, answers := os.Args[1], os.Args[2:]
	var mu sync.Mutex
	count := 0
	handler := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		count++
		n := count
		answer := "0"
		if len(answers) > 0 {
			answer, answers = answers[0], answers[1:]
		}
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		rec := map[string]interface{}{
			"proto": r.Proto, "method": r.Method, "path": r.URL.Path,
			"content_type": r.Header.Get("Content-Type"), "te": r.Header.Get("Te"),
		}
		if len(body) >= 5 {
			length := int(body[1])<<24 | int(body[2])<<16 | int(body[3])<<8 | int(body[4])
			rec["frame"] = []int{int(body[0]), length, len(body) - 5}
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("req-%d.msg", n)), body[5:], 0o644)
		}
		js, _ := json.Marshal(rec)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("req-%d.json", n)), js, 0o644)
		code, msg, _ := strings.Cut(answer, ":")
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
		w.WriteHeader(http.StatusOK)
		if code == "0" {
			w.Write([]byte{0, 0, 0, 0, 0}) // an empty WriteRawResponse
		}
		// Sent now, the trailers follow in a HEADERS frame of their own.
		w.(http.Flusher).Flush()
		w.Header().Set("Grpc-Status", code)
		w.Header().Set("Grpc-Message", msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	tmp := filepath.Join(dir, "port.tmp")
	os.WriteFile(tmp, []byte(fmt.Sprint(port)), 0o644)
	os.Rename(tmp, filepath.Join(dir, "port"))
	srv := &http.Server{Handler: http.HandlerFunc(handler), ErrorLog: log.New(io.Discard, "", 0),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned()},
			NextProtos: []string{"h2"}}}
	panic(srv.Serve(tls.NewListener(ln, srv.TLSConfig)))
}
