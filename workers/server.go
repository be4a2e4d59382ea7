package workers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// Server runs the Asynq task handlers.
type Server struct {
	srv *asynq.Server
	mux *asynq.ServeMux
}

// NewServer builds the Asynq server for the apply, retry and alert
// delivery handlers; a nil handler's tasks are not taken (they wait).
func NewServer(cfg Config, redis asynq.RedisConnOpt, apply *ApplyHandler, retry *RetryHandler, alerts *AlertDeliveryHandler, log *slog.Logger) *Server {
	srv := asynq.NewServer(redis, asynq.Config{
		Concurrency: cfg.Concurrency,
		// Alert deliveries are few and wait on someone else's server:
		// the lowest weight, never starved (Asynq picks by weight).
		Queues: map[string]int{QueueEvents: 6, QueueRetries: 3, QueueAlerts: 1},
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			if alerts != nil && t.Type() == TypeAlertDeliver {
				return ceilSecond(time.Now(), alerts.RetryDelay(n))
			}
			return asynq.DefaultRetryDelayFunc(n, err, t)
		},
		DelayedTaskCheckInterval: cfg.TaskCheckInterval,
		TaskCheckInterval:        cfg.IdlePoll,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		Logger:                   asynqLogger{log.With("component", "asynq")},
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			log.WarnContext(ctx, "task failed; asynq will retry it", "type", t.Type(), "error", err)
		}),
	})
	mux := asynq.NewServeMux()
	if apply != nil {
		mux.Handle(TypeApply, apply)
	}
	if retry != nil {
		mux.Handle(TypeRetry, retry)
	}
	if alerts != nil {
		mux.Handle(TypeAlertDeliver, alerts)
	}
	return &Server{srv: srv, mux: mux}
}

// Run processes tasks until ctx ends, then stops taking new ones and waits
// up to ShutdownTimeout for running ones; the rest go back to their queue.
func (s *Server) Run(ctx context.Context) error {
	if err := s.srv.Start(s.mux); err != nil {
		return fmt.Errorf("start asynq server: %w", err)
	}
	<-ctx.Done()
	s.srv.Shutdown()
	return nil
}

// ParseRedisURL reads a redis:// URL into Asynq's connection options.
func ParseRedisURL(url string) (asynq.RedisConnOpt, error) {
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		return nil, fmt.Errorf("workers.redis_url: %w", err)
	}
	return opt, nil
}

// asynqLogger routes Asynq's own log lines into slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// ceilSecond lengthens d so that now+d falls on a whole second: Asynq
// keeps retry times in whole Unix seconds and runs a task once its second
// has begun, so an unrounded delay could be cut by up to a second.
func ceilSecond(now time.Time, d time.Duration) time.Duration {
	at := now.Add(d)
	if r := at.Truncate(time.Second); !r.Equal(at) {
		return r.Add(time.Second).Sub(now)
	}
	return d
}
