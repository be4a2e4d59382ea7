//go:build !linux

package process

// growHeapHuge does nothing where there is no madvise(2) MADV_HUGEPAGE
// (see hugepages_linux.go).
func growHeapHuge(int) error { return nil }
