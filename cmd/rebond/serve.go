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
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/providers"
	"github.com/rebond/rebond/email/mailbox"
	"github.com/rebond/rebond/natsbus"
	"github.com/rebond/rebond/store"
	"github.com/rebond/rebond/workers"
)

// allRoles are the parts serve can run; by default it runs them all.
var allRoles = []string{"api", "bridge", "worker", "scheduler", "smtp", "smpp", "mailbox"}

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
empty), mailbox (polls the IMAP bounce mailboxes of mailboxes; off while the
list is empty). The bridge role also parses the mail the listener and the
mailboxes spooled.
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

// serve wires every part and runs them until ctx ends or one fails: it
// checks the configuration, opens the store, starts the bus, connects the
// task queues, builds the parts of the roles asked for, and runs them
// together. What it opened is closed when it returns, in reverse order.
func serve(ctx context.Context, cfg Config, opt serveOptions, log *slog.Logger) error {
	defer startPprof(log)()
	if err := cfg.validateServe(opt.roles); err != nil {
		return err
	}
	sv := &services{cfg: cfg, log: log}
	defer sv.close()
	if err := sv.openStore(ctx, opt.migrate); err != nil {
		return err
	}
	if err := sv.startBus(ctx); err != nil {
		return err
	}
	if err := sv.connectQueues(); err != nil {
		return err
	}
	if err := sv.instrument(); err != nil {
		return err
	}
	if slices.Contains(opt.roles, "mailbox") {
		if err := sv.buildMailboxes(); err != nil {
			return err
		}
		sv.mailboxReady = sv.mailboxPingers(opt.roles)
	}
	parts, err := sv.roleParts(ctx, opt)
	if err != nil {
		return err
	}
	log.Info("rebond serving", "roles", opt.roles, "http", cfg.HTTP.Addr, "nats", maskURLs(sv.natsURL), "version", version)
	return runParts(ctx, parts, log)
}

// services are what serve's parts share, opened in steps by serve.
type services struct {
	cfg       Config
	log       *slog.Logger
	st        *store.Store
	natsURL   string
	bus       *natsbus.Bus
	redisOpt  asynq.RedisConnOpt
	rdb       redisClient
	enq       *workers.Enqueuer
	reg       *prometheus.Registry
	metrics   *workers.Metrics
	providers *providers.Table
	// mailboxes are the pollers of the mailbox role, mailboxReady those
	// /readyz lists (mailboxPingers).
	mailboxes    []*mailbox.Poller
	mailboxReady map[string]api.Pinger
	// closers undo the steps, run in reverse by close.
	closers []func()
}

// onClose registers f to run when serve returns.
func (sv *services) onClose(f func()) { sv.closers = append(sv.closers, f) }

// close runs the closers, last registered first.
func (sv *services) close() {
	for _, f := range slices.Backward(sv.closers) {
		f()
	}
}

// openStore opens the database and, if asked, applies pending migrations.
func (sv *services) openStore(ctx context.Context, migrate bool) error {
	st, err := store.Open(ctx, sv.cfg.Database)
	if err != nil {
		return fmt.Errorf("%w\n  is PostgreSQL running and does the database exist? (make run creates it)", err)
	}
	sv.st = st
	sv.onClose(func() { st.Close() })
	if !migrate {
		return nil
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		sv.log.Info("database migrated", "applied", applied)
	}
	return nil
}

// startBus connects to NATS, starting the embedded server when no URL is
// configured.
func (sv *services) startBus(ctx context.Context) error {
	natsURL, stopNATS, err := natsServer(sv.cfg, sv.log)
	if err != nil {
		return err
	}
	sv.natsURL = natsURL
	sv.onClose(stopNATS)
	n := sv.cfg.NATS
	bus, err := natsbus.Connect(ctx, natsbus.Config{URL: natsURL, Replicas: n.Replicas,
		MaxAge: n.MaxAge, Duplicates: n.Duplicates, MaxBytes: n.MaxBytes, Name: "rebond"})
	if err != nil {
		return err
	}
	sv.bus = bus
	sv.onClose(bus.Close)
	return nil
}

// connectQueues sets up Redis: the Asynq connection of the task queues,
// the client that enqueues, and the client /readyz pings.
func (sv *services) connectQueues() error {
	redisOpt, err := workers.ParseRedisURL(sv.cfg.Redis.URL)
	if err != nil {
		return err
	}
	rdb, err := redisPinger(sv.cfg.Redis.URL)
	if err != nil {
		return err
	}
	sv.redisOpt, sv.rdb = redisOpt, rdb
	sv.onClose(func() { rdb.Close() })
	client := asynq.NewClient(redisOpt)
	sv.onClose(func() { client.Close() })
	sv.enq = workers.NewEnqueuer(client, sv.cfg.Workers.BatchSize)
	return nil
}

// instrument builds the metrics registry and hooks the store to it, and
// loads the provider table the API and the alerts share.
func (sv *services) instrument() error {
	sv.reg = prometheus.NewRegistry()
	sv.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	sv.metrics = workers.NewMetrics(sv.reg)
	sv.st.OnApplied(sv.metrics.ObserveApplied)
	sv.st.ShareUserUnknown(sv.cfg.Tenancy.ShareUserUnknown)
	table, err := providerTable(sv.cfg)
	if err != nil {
		return err
	}
	sv.providers = table
	return nil
}

// pingers are the dependencies /readyz checks.
func (sv *services) pingers() map[string]api.Pinger {
	m := map[string]api.Pinger{"postgres": sv.st, "redis": sv.rdb, "nats": sv.bus}
	maps.Copy(m, sv.mailboxReady)
	return m
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
