package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// part is one long-running piece of serve.
type part struct {
	name string
	run  func(ctx context.Context) error
}

// runParts runs every part until ctx ends; if one fails, the others are
// stopped and its error returned. A stop asked from outside (ctx ends:
// SIGINT, SIGTERM) is logged when it starts and when every part has
// drained, so an operator sees that a slow stop is draining, not hung.
func runParts(ctx context.Context, parts []part, log *slog.Logger) error {
	outer := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	done := make(chan result, len(parts))
	for _, p := range parts {
		go func() { done <- result{p.name, p.run(ctx)} }()
	}
	var first error
	stopping, asked := outer.Done(), time.Now()
	for left := len(parts); left > 0; {
		select {
		case <-stopping:
			stopping, asked = nil, time.Now()
			log.Info("rebond stopping: draining every part (in-flight requests, batches and receipts finish)", "parts", left)
		case r := <-done:
			left--
			if r.err != nil && first == nil {
				first = fmt.Errorf("%s: %w", r.name, r.err)
				log.Error("part failed; stopping", "part", r.name, "error", r.err)
			}
			cancel()
		}
	}
	if outer.Err() != nil {
		log.Info("rebond stopped", "drain", time.Since(asked).Round(time.Millisecond))
	}
	return first
}

// announce waits until addr accepts connections and reports it; a helper
// for tests and for the startup log.
func announce(addr string, ready func(string)) func(context.Context) error {
	return func(ctx context.Context) error {
		for ctx.Err() == nil {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				ready(addr)
				<-ctx.Done()
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}
}
