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
// stays small (batches in flight); with Go's default of 100 the collector
// took 11-12% of serve's CPU in a profile of `rebond bench`, and 400 cut
// serve's CPU per event by a fifth or more (docs/SCALING.md, "measured
// before/after") for a heap a few times the small live one.
const serveGCPercent = 400

// tuneGC sets serveGCPercent unless the operator chose GOGC (the runtime
// documents GOGC in package runtime; an explicit value always wins).
func tuneGC(log *slog.Logger) {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(serveGCPercent)
	log.Debug("garbage collector target set", "gogc", serveGCPercent)
}

// setMemProfileRate sets runtime.MemProfileRate and returns the previous
// rate, so that a command can turn heap profiling off for its run the way
// debug.SetGCPercent is used.
func setMemProfileRate(rate int) int {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = rate
	return old
}
