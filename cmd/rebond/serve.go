package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/natsbus"
	"github.com/rebond/rebond/sms/smpp"
	"github.com/rebond/rebond/store"
	"github.com/rebond/rebond/ui"
	"github.com/rebond/rebond/workers"
)

// allRoles are the parts serve can run; by default it runs them all.
var allRoles = []string{"api", "bridge", "worker", "scheduler", "smtp", "smpp"}

func newServeCmd(g *globals) *cobra.Command {
	var roles []string
	var migrate bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the pipeline: HTTP API, NATS bridge, Asynq workers and periodic jobs",
		Long: `serve runs rebond. With no NATS URL configured it starts an embedded NATS
server with JetStream in data_dir/nats. --roles runs only some parts, to scale
them apart: api (HTTP ingestion and reads), bridge (NATS -> inbox -> Asynq),
worker (apply and retry tasks), scheduler (reconciler, releases, lost retries),
smtp (the bounce listener; off while smtp.domains is empty), smpp (binds to
the SMSCs of smpp.gateways for delivery receipts; off while the list is
empty). The bridge role also parses the mail the listener spooled.
SIGINT or SIGTERM stops it gracefully: running tasks finish or go back to
their queue, and nothing acknowledged is lost.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, r := range roles {
				if !slices.Contains(allRoles, r) {
					return fmt.Errorf("--roles: unknown role %q (want any of %s)", r, strings.Join(allRoles, ","))
				}
			}
			cfg, log, err := g.load()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, serveOptions{roles: roles, migrate: migrate}, log)
		},
	}
	cmd.Flags().StringSliceVar(&roles, "roles", allRoles, "parts to run: "+strings.Join(allRoles, ","))
	cmd.Flags().BoolVar(&migrate, "migrate", true, "apply pending database migrations before serving")
	return cmd
}

type serveOptions struct {
	roles   []string
	migrate bool
	// ready, if set, is called with the API's address once it listens.
	ready func(addr string)
	// webhooks are mounted over the configured ones (tests inject adapters
	// built with test certificates this way).
	webhooks map[string]channels.Webhook
}

// serve wires every part and runs them until ctx ends or one fails.
func serve(ctx context.Context, cfg Config, opt serveOptions, log *slog.Logger) error {
	has := func(r string) bool { return slices.Contains(opt.roles, r) }
	defer startPprof(log)()
	if err := cfg.validateServe(opt.roles); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return fmt.Errorf("%w\n  is PostgreSQL running and does the database exist? (make run creates it)", err)
	}
	defer st.Close()
	if opt.migrate {
		applied, err := st.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			log.Info("database migrated", "applied", applied)
		}
	}
	natsURL, stopNATS, err := natsServer(cfg, log)
	if err != nil {
		return err
	}
	defer stopNATS()
	bus, err := natsbus.Connect(ctx, natsbus.Config{URL: natsURL, Replicas: cfg.NATS.Replicas,
		MaxAge: cfg.NATS.MaxAge, Duplicates: cfg.NATS.Duplicates, MaxBytes: cfg.NATS.MaxBytes, Name: "rebond"})
	if err != nil {
		return err
	}
	defer bus.Close()
	redisOpt, err := workers.ParseRedisURL(cfg.Redis.URL)
	if err != nil {
		return err
	}
	rdb, err := redisPinger(cfg.Redis.URL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	client := asynq.NewClient(redisOpt)
	defer client.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := workers.NewMetrics(reg)
	st.OnApplied(metrics.ObserveApplied)
	st.ShareUserUnknown(cfg.Tenancy.ShareUserUnknown)
	enq := workers.NewEnqueuer(client, cfg.Workers.BatchSize)
	provTable, err := providerTable(cfg)
	if err != nil {
		return err
	}

	var parts []part
	if has("api") {
		hooks, err := buildWebhooks(cfg.Webhooks)
		if err != nil {
			return err
		}
		maps.Copy(hooks, opt.webhooks)
		book, _, err := ruleBook(cfg, st)
		if err != nil {
			return err
		}
		queues := asynqmon.New(asynqmon.Options{RootPath: ui.Prefix + "queues", RedisConnOpt: redisOpt})
		defer queues.Close()
		dashboard, err := ui.New(ui.Config{AdminToken: cfg.AdminToken, SecureCookies: cfg.HTTP.SecureCookies,
			MinVolume: cfg.HTTP.RatesMinVolume, Queues: queues, Numbers: cfg.numberRegions()}, st, log)
		if err != nil {
			return err
		}
		srv, err := api.New(api.Config{Addr: cfg.HTTP.Addr, AdminToken: cfg.AdminToken, UI: dashboard,
			MaxBodyBytes: cfg.HTTP.MaxBodyBytes, MaxBatch: cfg.HTTP.MaxBatch,
			TextCheck: smsTextCheck, SMSMaxSegments: cfg.SMS.MaxSegments, SMSRequireGSM: cfg.SMS.RequireGSM,
			Webhooks: hooks, Rejects: st, Numbers: cfg.numberRegions(), RatesMinVolume: cfg.HTTP.RatesMinVolume, MaxEventBytes: bus.MaxPayload(), RateLimit: cfg.HTTP.RateLimit, RateBurst: cfg.HTTP.RateBurst, AuthFailureRate: cfg.HTTP.AuthFailuresPerMinute / 60, AuthFailureBurst: cfg.HTTP.AuthFailureBurst,
			WebhookUnverifiedBytes: cfg.HTTP.WebhookUnverifiedBodyBytes, WebhookUnverifiedReads: cfg.HTTP.WebhookUnverifiedReads,
			Operator: st, Rules: book, Tokens: st,
			Providers: provTable},
			bus, st, map[string]api.Pinger{"postgres": st, "redis": rdb, "nats": bus}, reg, log)
		if err != nil {
			return err
		}
		parts = append(parts, part{"api", srv.Run})
		if opt.ready != nil {
			parts = append(parts, part{"api-ready", announce(cfg.HTTP.Addr, opt.ready)})
		}
	}
	if !has("api") {
		// Probes and scraping still need an HTTP listener.
		ops := api.NewOps(cfg.HTTP.Addr, map[string]api.Pinger{"postgres": st, "redis": rdb, "nats": bus}, reg, log)
		parts = append(parts, part{"ops", ops.Run})
	}
	if has("bridge") {
		consumer, err := bus.Consumer(ctx, "bridge")
		if err != nil {
			return err
		}
		parts = append(parts, part{"bridge", workers.NewBridge(cfg.Workers, consumer, st, enq, metrics, log).Run})
		loop, err := inboundLoop(ctx, cfg, bus, st, metrics, log)
		if err != nil {
			return err
		}
		parts = append(parts, part{"inbound", loop})
	}
	if has("smpp") && len(cfg.SMPP.Gateways) > 0 {
		// Receipts arrive one per deliver_sm and each waits for JetStream
		// before its answer: the coalescer publishes those of the binds'
		// windows together (natsbus.Coalescer), 2 ms at most apart.
		esme, err := smpp.New(cfg.SMPP, natsbus.NewCoalescer(bus, smppLinger, smppPublishTimeout), smppStore{st}, log.With("part", "smpp"), reg)
		if err != nil {
			return err
		}
		parts = append(parts, part{"smpp", esme.Run})
	}
	if has("smtp") {
		l, err := smtpListener(cfg, bus, log)
		if err != nil {
			return err
		}
		if l != nil {
			parts = append(parts, part{"smtp", l.Run})
		}
	}
	if has("worker") {
		rs, reload, err := workerRules(ctx, cfg, st, log)
		if err != nil {
			return err
		}
		parts = append(parts, reload)
		apply := workers.NewApplyHandler(st, rs, cfg.Policy, enq, metrics, log)
		retry := workers.NewRetryHandler(st, bus, cfg.Policy, enq, metrics, log)
		parts = append(parts, part{"worker", workers.NewServer(cfg.Workers, redisOpt, apply, retry, log).Run})
	}
	if has("scheduler") {
		sched := workers.NewScheduler(cfg.Workers, cfg.Policy, bus, st, enq, metrics, log)
		inspector := asynq.NewInspector(redisOpt)
		defer inspector.Close()
		sched.SetQueueDepth(workers.ApplyQueueDepth(inspector))
		parts = append(parts, part{"scheduler", sched.Run})
		parts = append(parts, part{"alerts", workers.NewAlerter(cfg.Alerts, provTable, st, bus, log).Run})
		parts = append(parts, part{"streams", newStreamWatcher(bus, cfg.NATS.UsageAlert, reg, log).Run})
	}
	log.Info("rebond serving", "roles", opt.roles, "http", cfg.HTTP.Addr, "nats", maskURLs(natsURL), "version", version)
	return runParts(ctx, parts, log)
}

// smppLinger is how long a receipt waits for others to share its NATS
// message; smppPublishTimeout bounds that message's publish (the
// gateways' response_timeout bounds each receipt's wait as well).
const (
	smppLinger         = 2 * time.Millisecond
	smppPublishTimeout = 10 * time.Second
)

// natsServer returns the NATS URL to use, starting the embedded server when
// none is configured.
func natsServer(cfg Config, log *slog.Logger) (string, func(), error) {
	if cfg.NATS.URL != "" {
		return cfg.NATS.URL, func() {}, nil
	}
	host, port, err := net.SplitHostPort(cfg.NATS.EmbeddedAddr)
	if err != nil {
		return "", nil, fmt.Errorf("nats.embedded_addr: %w", err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", nil, fmt.Errorf("nats.embedded_addr: port %q: %w", port, err)
	}
	dir := filepath.Join(cfg.DataDir, "nats")
	pass, err := embeddedPassword(cfg)
	if err != nil {
		return "", nil, err
	}
	srv, err := natsbus.StartEmbedded(natsbus.EmbeddedConfig{Dir: dir, Host: host, Port: p, Password: pass})
	if err != nil {
		return "", nil, fmt.Errorf("start embedded NATS (is port %d taken? set nats.url to use an external server): %w", p, err)
	}
	log.Info("embedded NATS server started", "url", srv.Addr(), "user", "rebond", "store", dir)
	return srv.URL(), srv.Shutdown, nil
}

// natsPasswordFile holds the embedded NATS server's generated password,
// under data_dir.
const natsPasswordFile = "nats-password"

// embeddedPassword is the embedded NATS server's password: the configured
// one, else the one in data_dir/nats-password, generated there (0600, in a
// 0700 data_dir) on first start, so that restarts and local producers
// keep using the same.
func embeddedPassword(cfg Config) (string, error) {
	if cfg.NATS.EmbeddedPassword != "" {
		return cfg.NATS.EmbeddedPassword, nil
	}
	path := filepath.Join(cfg.DataDir, natsPasswordFile)
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= minSecretBytes {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("embedded NATS password: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("data_dir: %w", err)
	}
	pass := natsbus.RandomSecret()
	if err := os.WriteFile(path, []byte(pass+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("embedded NATS password: %w", err)
	}
	return pass, nil
}

// redisClient answers /readyz for Redis.
type redisClient struct{ *redis.Client }

func (r redisClient) Ping(ctx context.Context) error { return r.Client.Ping(ctx).Err() }

func redisPinger(url string) (redisClient, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return redisClient{}, fmt.Errorf("redis.url: %w", err)
	}
	return redisClient{redis.NewClient(opt)}, nil
}

func schemaVersion() int { return channels.SchemaVersion }
