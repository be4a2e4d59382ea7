package process

import (
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// growHeapHuge grows the heap by n bytes of address space that the kernel
// backs with transparent huge pages (madvise(2) MADV_HUGEPAGE), then frees
// it for the allocator to reuse: Go's page allocator hands out the lowest
// free addresses, and the region sits just above the heap in use.
//
// Why: a short, allocation-heavy command touches fresh heap pages at a high
// rate, and on Linux each 4 KiB page costs a fault, often two (a read maps
// the zero page, the first write copies it and flushes the TLB of every CPU
// the process runs on); with 2 MiB pages a run takes a few dozen faults
// instead of one or two per 4 KiB page touched. The advice only
// matters where THP is in "madvise" mode (the default of most
// distributions); with "never" the kernel ignores it, with "always" it is
// already so. Called at the start of the process (TuneBatch), the region
// comes fresh from the system and is never touched here, so it costs
// address space, not memory, until the allocator uses it; called later,
// it may reuse heap memory, which make zeroes.
//
// It returns madvise's error (EINVAL on a kernel without THP), which
// changes nothing for the caller: the heap is only slower to grow.
func growHeapHuge(n int) error {
	err := adviseHuge(make([]byte, n))
	// Free it now, while the heap is small: a collection that found it
	// live would set the next heap goal several times its size.
	runtime.GC()
	return err
}

// adviseHuge asks the kernel to back the whole pages of buf with huge
// pages. madvise wants a page-aligned start; a large Go object is aligned
// to the runtime's 8 KiB pages only, less than a 16 or 64 KiB system page.
func adviseHuge(buf []byte) error {
	ps := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	skip := int((ps - start%ps) % ps)
	n := (len(buf) - skip) / int(ps) * int(ps)
	if n <= 0 {
		return nil // no whole page (madvise of nothing is EINVAL)
	}
	return unix.Madvise(buf[skip:skip+n], unix.MADV_HUGEPAGE)
}
