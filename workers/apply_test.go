package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// fakeApplier returns its plan for any batch.
type fakeApplier struct{ plan lifecycle.Plan }

func (f fakeApplier) Apply(context.Context, []string, store.Decider) (lifecycle.Plan, error) {
	return f.plan, nil
}

// TestApplyLogsABatchLine: a batch is one Info line with its counts
// (events, verdicts by outcome, state changes, retries); each verdict,
// state change and retry is a Debug line; a batch applied before (nothing
// in its plan) says nothing at Info.
func TestApplyLogsABatchLine(t *testing.T) {
	t.Parallel()
	verdict := func(id string, o channels.Outcome) lifecycle.Applied {
		return lifecycle.Applied{EventID: id, Channel: channels.Email, Verdict: channels.Verdict{Outcome: o}}
	}
	plan := lifecycle.Plan{
		Applied: []lifecycle.Applied{verdict("e1", channels.OutcomeDelivered), verdict("e2", channels.OutcomeHard),
			verdict("e3", channels.OutcomeSoft), verdict("e4", channels.OutcomeDelivered)},
		Audit: []lifecycle.Audit{{Tenant: "default", Channel: channels.Email, Address: "b@example.com",
			From: channels.StateActive, To: channels.StateQuarantined, EventID: "e2"}},
		Retries: []lifecycle.Retry{{Tenant: "default", Channel: channels.Email, MessageID: "m3", Attempt: 1, DueAt: time.Now().Add(time.Hour)}},
	}
	// Asynq is unreachable: the retry's enqueue fails (a Warn line),
	// which the scheduler's scan of due retries makes good.
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	task, err := NewApplyTask([]string{"e1", "e2", "e3", "e4"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		plan  lifecycle.Plan
		level slog.Level
		want  []string // the lines, by level and message
	}{
		{"info", plan, slog.LevelInfo, []string{"INFO batch applied", "WARN schedule retry failed; the scheduler will pick it up"}},
		{"debug", plan, slog.LevelDebug, []string{"DEBUG event classified", "DEBUG event classified", "DEBUG event classified",
			"DEBUG event classified", "DEBUG recipient state changed", "DEBUG retry scheduled", "INFO batch applied",
			"WARN schedule retry failed; the scheduler will pick it up"}},
		{"applied before", lifecycle.Plan{}, slog.LevelInfo, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: c.level}))
			h := &ApplyHandler{store: fakeApplier{c.plan}, enq: NewEnqueuer(client, 500), log: log,
				metrics: NewMetrics(prometheus.NewRegistry())}
			if err := h.ProcessTask(context.Background(), task); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if line == "" {
					continue
				}
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				got = append(got, fmt.Sprint(rec["level"], " ", rec["msg"]))
				if rec["msg"] != "batch applied" {
					continue
				}
				counts := fmt.Sprint(rec["events"], rec["verdicts"], rec["state_changes"], rec["retries"])
				if want := "4 map[delivered:2 hard:1 soft:1] 1 1"; counts != want {
					t.Errorf("batch line %s: counts %s, want %s", line, counts, want)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}
