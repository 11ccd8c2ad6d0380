// go-cpu.go: makes tests/data/go-cpu.pb.gz, a real CPU profile from Go's runtime/pprof, which
// tests/unit/test_pprof.c reads to check that scorch accepts another producer's pprof files.
//
// Regenerate (needs a writable Go cache):
//
//	GOCACHE=/tmp/gocache GOPATH=/tmp/gopath GOFLAGS=-mod=mod go run go-cpu.go go-cpu.pb.gz
//
// The profile spends about one second in main.burn, called from main.main.
package main

import (
	"os"
	"runtime/pprof"
	"time"
)

var sink uint64

//go:noinline
func burn(d time.Duration) uint64 {
	x := uint64(1)
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

func main() {
	out := "go-cpu.pb.gz"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	f, err := os.Create(out)
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	sink = burn(time.Second)
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		panic(err)
	}
}
