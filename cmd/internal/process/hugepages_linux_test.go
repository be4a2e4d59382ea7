package process

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGrowHeapHuge checks that growHeapHuge and adviseHuge leave the heap
// advised for huge pages (VmFlags "hg" in /proc/self/smaps, proc(5)),
// unless the kernel has no transparent huge pages at all.
func TestGrowHeapHuge(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skipf("kernel without transparent huge pages: %v", err)
	}
	// growHeapHuge first: nothing else in this test binary advises.
	if err := growHeapHuge(8 << 20); err != nil {
		t.Fatalf("growHeapHuge: %v", err)
	}
	if n := hugeAdvised(t); n < 8<<20-2*int64(os.Getpagesize()) {
		t.Errorf("after growHeapHuge(8 MiB), %d bytes are advised for huge pages", n)
	}

	// An unaligned start, in a mapping of its own (not the heap, which
	// growHeapHuge advised), so that it is not advised yet.
	buf, err := unix.Mmap(-1, 0, 8<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = unix.Munmap(buf) }()
	addr, err := strconv.ParseUint(strings.TrimPrefix(fmt.Sprintf("%p", &buf[4<<20]), "0x"), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	if flags := vmFlags(t, addr); slices.Contains(flags, "hg") {
		t.Fatalf("mapping of %#x has VmFlags %q before adviseHuge", addr, flags)
	}
	if err := adviseHuge(buf[123:]); err != nil {
		t.Fatalf("adviseHuge: %v", err)
	}
	if flags := vmFlags(t, addr); !slices.Contains(flags, "hg") {
		t.Errorf("mapping of %#x has VmFlags %q, want hg", addr, flags)
	}
	// Less than a whole page is nothing to advise, not an error.
	for _, b := range [][]byte{nil, make([]byte, 100), buf[1 : 1+os.Getpagesize()]} {
		if err := adviseHuge(b); err != nil {
			t.Errorf("adviseHuge(%d bytes): %v", len(b), err)
		}
	}
}

// smapsEntry is one mapping of /proc/self/smaps.
type smapsEntry struct {
	lo, hi uint64
	flags  []string
}

// smaps reads the process's mappings.
func smaps(t *testing.T) []smapsEntry {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var out []smapsEntry
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				out = append(out, smapsEntry{lo: l, hi: h})
			}
			continue
		}
		if f[0] == "VmFlags:" && len(out) > 0 {
			out[len(out)-1].flags = f[1:]
		}
	}
	return out
}

// hugeAdvised returns how many bytes of the process's mappings are advised
// for huge pages.
func hugeAdvised(t *testing.T) int64 {
	var n int64
	for _, m := range smaps(t) {
		if slices.Contains(m.flags, "hg") {
			n += int64(m.hi - m.lo)
		}
	}
	return n
}

// vmFlags returns the VmFlags of the mapping that holds addr.
func vmFlags(t *testing.T, addr uint64) []string {
	t.Helper()
	for _, m := range smaps(t) {
		if m.lo <= addr && addr < m.hi {
			return m.flags
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return nil
}
