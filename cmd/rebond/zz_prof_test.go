package main

import (
	"bytes"
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func TestZZProf(t *testing.T) {
	f, _ := os.Create("/tmp/cli.prof")
	pprof.StartCPUProfile(f)
	for i := 0; i < 5; i++ {
		var out, errb bytes.Buffer
		t0 := time.Now()
		cmd := newRootCmd(&out, &errb)
		cmd.SetArgs([]string{"classify", "email", "/tmp/corpus10"})
		cmd.Execute()
		t.Logf("run %d: %v %d bytes", i, time.Since(t0), out.Len())
	}
	pprof.StopCPUProfile()
	f.Close()
}
