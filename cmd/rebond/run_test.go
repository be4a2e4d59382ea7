package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRunPartsLogsTheDrain: a stop from outside (the signal context ends)
// says it is draining and, once every part returned, that it stopped; a
// part's failure stops the others and is no outside stop.
func TestRunPartsLogsTheDrain(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx, cancel := context.WithCancel(context.Background())
	slow := part{"slow", func(ctx context.Context) error { <-ctx.Done(); time.Sleep(20 * time.Millisecond); return nil }}
	done := make(chan error, 1)
	go func() { done <- runParts(ctx, []part{slow, slow}, log) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runParts: %v", err)
	}
	out := buf.String()
	stopping, stopped := strings.Index(out, "rebond stopping"), strings.Index(out, "rebond stopped")
	if stopping < 0 || stopped < stopping || !strings.Contains(out, "parts=2") || !strings.Contains(out, "drain=") {
		t.Errorf("log %q: want the stopping line, then the stopped line with the drain's time", out)
	}

	buf.Reset()
	failing := part{"broken", func(context.Context) error { return errors.New("boom") }}
	if err := runParts(context.Background(), []part{failing, slow}, log); err == nil || !strings.Contains(err.Error(), "broken: boom") {
		t.Fatalf("runParts: %v, want the failing part's error", err)
	}
	if strings.Contains(buf.String(), "rebond stopping") || !strings.Contains(buf.String(), "part failed") {
		t.Errorf("log %q: a failure is logged as one, not as a stop from outside", buf.String())
	}
}
