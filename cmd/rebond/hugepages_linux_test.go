package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAdviseHuge checks that adviseHuge leaves the mapping that holds its
// buffer advised for huge pages (VmFlags "hg" in /proc/self/smaps,
// proc(5)), unless the kernel has no transparent huge pages at all, and
// that growHeapHuge runs.
func TestAdviseHuge(t *testing.T) {
	buf := make([]byte, 8<<20)
	if err := adviseHuge(buf); err != nil {
		if _, serr := os.Stat("/sys/kernel/mm/transparent_hugepage"); serr != nil {
			t.Skipf("kernel without transparent huge pages: %v", err)
		}
		t.Fatalf("adviseHuge: %v", err)
	}
	addr, err := strconv.ParseUint(strings.TrimPrefix(fmt.Sprintf("%p", &buf[0]), "0x"), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	if flags := vmFlags(t, addr); !slices.Contains(flags, "hg") {
		t.Errorf("mapping of %#x has VmFlags %q, want hg", addr, flags)
	}
	if err := growHeapHuge(8 << 20); err != nil {
		t.Errorf("growHeapHuge: %v", err)
	}
}

// vmFlags returns the VmFlags of the mapping that holds addr.
func vmFlags(t *testing.T, addr uint64) []string {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, line := range strings.Split(string(smaps), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && l <= addr && addr < h
			continue
		}
		if in && f[0] == "VmFlags:" {
			return f[1:]
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return nil
}
