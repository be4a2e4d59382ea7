package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// pprofEnv names the address of the optional profiling listener. It is an
// environment variable and not a config key on purpose: profiling is an
// operator's one-off, to see where a running serve spends its CPU, never part
// of a deployment, and the listener has no authentication, so it must be
// bound to loopback, e.g. REBOND_PPROF_ADDR=127.0.0.1:6060.
const pprofEnv = "REBOND_PPROF_ADDR"

// startPprof serves net/http/pprof on $REBOND_PPROF_ADDR when it is set and
// returns a function that stops it; with the variable unset it does nothing.
func startPprof(log *slog.Logger) (stop func()) {
	addr := os.Getenv(pprofEnv)
	if addr == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn("pprof listener not started", "addr", addr, "error", err)
		return func() {}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("pprof listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }
}
