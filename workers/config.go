package workers

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the bridge, the Asynq server and the periodic jobs. The zero
// value is usable: WithDefaults fills every field.
type Config struct {
	// RedisURL is the Asynq broker, e.g. redis://127.0.0.1:6379/0; required.
	RedisURL string `koanf:"redis_url"`
	// BatchSize is how many events the bridge fetches, stores and hands to
	// one apply task at once (default 1000). Each batch costs a fixed
	// number of statements, one transaction and one Asynq task, so larger
	// batches cost less per event; past about a thousand that fixed cost is
	// a small share, and a larger batch only holds its row locks longer
	// and carries more ids in its task.
	BatchSize int `koanf:"batch_size"`
	// FetchWait bounds how long the bridge waits to fill a batch (default
	// 200ms): the latency floor of a lone event.
	FetchWait time.Duration `koanf:"fetch_wait"`
	// Bridges is the number of concurrent fetch loops (default 2).
	Bridges int `koanf:"bridges"`
	// Concurrency is the number of Asynq tasks run at once (default 4).
	Concurrency int `koanf:"concurrency"`
	// TaskCheckInterval is how often Asynq moves due scheduled tasks (retry
	// notices) to their queue (default 1s).
	TaskCheckInterval time.Duration `koanf:"task_check_interval"`
	// IdlePoll is how long an idle Asynq worker waits before it looks for
	// a task again (default 50ms; Asynq's own default, 1s, was most of the
	// inbox-to-verdict latency at a steady load: every batch waited for a
	// worker to wake up). Each idle worker costs Redis one poll per period.
	IdlePoll time.Duration `koanf:"idle_poll"`
	// ReconcileEvery and ReconcileAfter: how often the scheduler scans for
	// inbox rows never applied, and how old a row must be to count (default
	// 15s and 30s).
	ReconcileEvery time.Duration `koanf:"reconcile_every"`
	ReconcileAfter time.Duration `koanf:"reconcile_after"`
	// ReleaseEvery is how often ended quarantines and suspensions are
	// released, and lost retries re-enqueued (default 30s).
	ReleaseEvery time.Duration `koanf:"release_every"`
	// Retention removes the events of every month that ended longer ago
	// than this (by occurred_at, UTC), once all of that month's events are
	// applied: their monthly partition is dropped whole (and DEFAULT
	// partition rows deleted in batches), each ReleaseEvery. Rejected
	// payloads received longer ago go too, in batches. 0 keeps everything.
	// Rates, messages, recipients and audit rows are not touched: only the
	// raw facts go (a replay cannot reach past the retention).
	Retention time.Duration `koanf:"retention"`
	// RejectedRetention removes the rejected payloads (mail that is no
	// bounce, undecodable events) received longer ago than this, and
	// RejectedMaxRows all but the newest that many, each ReleaseEvery
	// (defaults 720h and 10000; a negative value turns either off). Anyone
	// who can reach the bounce listener can fill this table: it keeps a
	// bounded, expiring sample of what was refused.
	RejectedRetention time.Duration `koanf:"rejected_retention"`
	RejectedMaxRows   int           `koanf:"rejected_max_rows"`
	// ShutdownTimeout bounds how long running tasks may finish on stop
	// (default 20s); unfinished ones go back to their queue.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defInt(&c.BatchSize, 1000)
	defInt(&c.Bridges, 2)
	defInt(&c.Concurrency, 4)
	def(&c.FetchWait, 200*time.Millisecond)
	def(&c.TaskCheckInterval, time.Second)
	def(&c.IdlePoll, 50*time.Millisecond)
	def(&c.ReconcileEvery, 15*time.Second)
	def(&c.ReconcileAfter, 30*time.Second)
	def(&c.ReleaseEvery, 30*time.Second)
	def(&c.ShutdownTimeout, 20*time.Second)
	def(&c.RejectedRetention, 30*24*time.Hour)
	defInt(&c.RejectedMaxRows, 10000)
	return c
}

// Validate names the offending field.
func (c Config) Validate() error {
	if c.RedisURL == "" {
		return errors.New("workers.redis_url: required (REBOND_REDIS_URL)")
	}
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		return fmt.Errorf("workers.batch_size: %d is out of 1..10000", c.BatchSize)
	}
	if c.Bridges < 1 || c.Concurrency < 1 {
		return errors.New("workers.bridges and workers.concurrency: must be at least 1")
	}
	return nil
}
