// Package process holds the process-wide runtime settings rebond's commands
// choose at start: the heap of a short batch run, and the open-file limit
// that bounds a listener's connections. Only settings that measurably pay
// live here (docs/perf-log.md has the figures); each is set once, by main,
// before the command runs, because the runtime's settings belong to the
// whole process.
package process

import (
	"os"
	"runtime/debug"
)

// Batch heap settings: the garbage collector's target when GOGC is not
// set, and how much of the heap's growth is backed by huge pages
// (growHeapHuge). They pay only together: a short run that allocates
// fast touches fresh heap pages at a high rate, and with 4 KiB pages a
// larger heap cost more in page faults than the collections it saved.
const (
	batchGCPercent = 400
	batchHeapHuge  = 32 << 20
)

// TuneBatch sets the runtime up for a short batch command that allocates
// fast (rebond classify email): GOGC batchGCPercent unless GOGC is set
// (an explicit value always wins; the runtime documents GOGC in package
// runtime), and the heap's growth backed by transparent huge pages. Call
// it once, at the start of the process.
func TuneBatch() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(batchGCPercent)
	}
	_ = growHeapHuge(batchHeapHuge) // advice: the run is the same without it
}
