package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
)

// serveGCPercent is serve's garbage-collector target when GOGC is not set.
// Every event is decoded and encoded as JSON several times on its way
// (HTTP, bus, inbox, apply), so serve allocates fast while its live heap
// stays small (batches in flight): Go's default of 100 collects that small
// heap very often, and 400 trades a heap a few times the live one for a
// quarter as many collections.
const serveGCPercent = 400

// tuneGC sets serveGCPercent unless the operator chose GOGC.
func tuneGC(log *slog.Logger) {
	if setGCPercent(serveGCPercent) {
		log.Debug("garbage collector target set", "gogc", serveGCPercent)
	}
}

// setGCPercent sets the garbage collector's target to percent unless GOGC
// is set (the runtime documents GOGC in package runtime; an explicit
// value always wins), and reports whether it did.
func setGCPercent(percent int) bool {
	if os.Getenv("GOGC") != "" {
		return false
	}
	debug.SetGCPercent(percent)
	return true
}

// runtimeAnnotation marks a command whose process main tunes for its kind
// of run; runtimeBatch is a short batch that allocates fast
// (tuneBatch). It is read in main, before the command runs, because these
// settings belong to the process: set and restored by each run, they
// raced when tests ran commands in parallel in one process.
const (
	runtimeAnnotation = "rebond.runtime"
	runtimeBatch      = "batch"
)

// batchGCPercent is a batch command's garbage-collector target when GOGC
// is not set, and batchHeapHuge the heap it backs with huge pages
// (growHeapHuge). A lower target collects more often for no gain in a
// short run; a higher one pays off only on huge pages, since with 4 KiB
// pages the larger heap costs more in page faults than the collections it
// saves.
const (
	batchGCPercent = 400
	batchHeapHuge  = 32 << 20
)

// tuneBatch sets the runtime up for a batch command, at the start of the
// process:
//   - no heap profile sampling: a one-shot run serves no profile, and
//     sampling one allocation per 512 KiB (the runtime's default) costs a
//     stack walk and bucket pages for nothing; the runtime
//     wants MemProfileRate set once, as early as possible;
//   - GOGC batchGCPercent unless GOGC is set (an explicit value wins, as
//     for serve's tuneGC): collecting a quarter as often for a few MiB;
//   - the heap's growth backed by huge pages (growHeapHuge).
func tuneBatch() {
	runtime.MemProfileRate = 0
	setGCPercent(batchGCPercent)
	_ = growHeapHuge(batchHeapHuge) // advice: the run is the same without it
}
