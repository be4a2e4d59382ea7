// Package api is rebond's HTTP interface: event ingestion, the read APIs
// (rates, exclusions, recipients), health, readiness and metrics.
//
// Every /v1 route requires a bearer token. Handlers share one JSON writer
// and one error shape ({"error": "..."}), bound every body, and never panic
// (a recover middleware answers 500).
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/channels/providers"
	"github.com/rebond/rebond/store"
)

// Config configures the HTTP server.
type Config struct {
	// Addr is the listen address (default ":8080").
	Addr string
	// AdminToken is a bearer token of role admin for every /v1 route (the
	// bootstrap token); required.
	AdminToken string
	// Tokens looks up the stored API tokens with roles (`rebond tokens`);
	// nil accepts the admin token alone.
	Tokens TokenLookup
	// TokenCacheTTL is how long a token lookup is reused (default 30s;
	// negative: never): a revoked token stops working within it.
	TokenCacheTTL time.Duration
	// MaxBodyBytes bounds request bodies (default 8 MiB).
	MaxBodyBytes int64
	// MaxBatch bounds events or recipients per request (default 10000).
	MaxBatch int
	// MaxEventBytes is the largest message the event bus takes (NATS
	// max_payload); a larger event is refused by index, never accepted and
	// then lost. 0: no check.
	MaxEventBytes int64
	// Operator serves the list and release routes; nil answers them 501.
	Operator Operator
	// Events serves the activity log (GET /v1/events and
	// GET /v1/events/{id}); nil answers them 501.
	Events EventLog
	// Providers groups domains by mailbox provider for
	// GET /v1/rates?group_by=provider; nil: the built-in table.
	Providers *providers.Table
	// RateLimit bounds requests per second per token (a token bucket of
	// RateBurst; 0: twice RateLimit); 0 means the default (2,500/s, burst
	// 5,000: one event per request from a busy sender), negative means
	// no limit. Over it: 429 with Retry-After. A request costs one unit
	// whatever it carries, so an array of events is the cheap way.
	RateLimit float64
	RateBurst int
	// AuthFailureRate and AuthFailureBurst throttle failed
	// authentications per client address (bearer tokens, webhook
	// signatures, the dashboard's sign-in): a bucket of AuthFailureBurst
	// failures refilled at AuthFailureRate per second; an empty bucket
	// answers 429 with Retry-After before looking at the credentials. 0
	// means the default (10 failures, then one per 6 s), negative no
	// throttle.
	AuthFailureRate  float64
	AuthFailureBurst int
	// RatesMinVolume flags rate rows with fewer sent messages as
	// low_volume (default 100; ?min_volume= overrides it per request).
	RatesMinVolume int64
	// Webhooks are the provider adapters mounted at POST /v1/webhooks/{name};
	// they authenticate calls themselves (signatures, shared secrets).
	Webhooks map[string]channels.Webhook
	// InboundWebhooks are the SMS providers' adapters of mobile-originated
	// messages (sms/dlr.NewInbound), mounted at POST (and GET)
	// /v1/webhooks/{name}/inbound under their webhook's name.
	InboundWebhooks map[string]channels.Webhook
	// WebhookUnverifiedBytes bounds the body of a webhook call its URL
	// and headers do not authenticate (a provider that signs its body):
	// it is read whole before it can be verified (default 1 MiB, above
	// SendGrid's 768 KB batches and SNS's 256 KB messages). A call
	// authenticated by its headers may send MaxBodyBytes.
	WebhookUnverifiedBytes int64
	// WebhookUnverifiedReads caps the webhook bodies read at once before
	// they are verified (default 32); over it, 503 with Retry-After. With
	// WebhookUnverifiedBytes it bounds the memory unauthenticated callers
	// can hold.
	WebhookUnverifiedReads int
	// Numbers are the default regions SMS numbers are read in (national
	// forms, international call prefixes): per tenant, else the default.
	// Every number the API takes (events, exclusions, the recipient
	// routes, lists) is read into E.164 with its tenant's region, and one
	// that cannot be is refused.
	Numbers phone.Regions
	// Rejects keeps the webhook payloads an adapter refuses as malformed
	// (bounded: keepRejected); nil keeps none.
	Rejects RejectKeeper
	// TextCheck is the SMS pre-send text check (POST /v1/sms/check and the
	// text of an SMS exclusion request); nil disables both.
	TextCheck TextChecker
	// SMSMaxSegments and SMSRequireGSM are the check's defaults when a
	// request does not say (0 segments: no limit).
	SMSMaxSegments int
	SMSRequireGSM  bool
	// Rules is the rule book of the /v1/rules and /v1/qualification
	// routes; nil answers them 501.
	Rules RuleBook
	// UI is the web dashboard, mounted at GET and POST /ui/ (package ui;
	// it signs in with the same tokens, then keeps its own session cookie;
	// the 401s of its sign-in count in the failure throttle below); nil
	// mounts nothing.
	UI http.Handler
	// Consent configures the consent URLs and the public pages behind
	// them (consent.go, consent_pages.go).
	Consent ConsentConfig
	// Consents reads consents for exclusion checks and the export; nil:
	// checks answer from states alone and the export is 501.
	Consents ConsentReader
}

// Validate names the offending field.
func (c Config) Validate() error {
	if c.AdminToken == "" {
		return errors.New("admin_token: required (REBOND_ADMIN_TOKEN)")
	}
	if c.MaxBodyBytes < 0 || c.MaxBatch < 0 {
		return errors.New("http.max_body_bytes and http.max_batch: must not be negative")
	}
	if c.WebhookUnverifiedBytes < 0 || c.WebhookUnverifiedReads < 0 {
		return errors.New("http.webhook_unverified_body_bytes and http.webhook_unverified_reads: must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 10000
	}
	if c.RatesMinVolume == 0 {
		c.RatesMinVolume = 100
	}
	if c.RateLimit == 0 {
		c.RateLimit, c.RateBurst = defaultRateLimit, max(c.RateBurst, defaultRateBurst)
	}
	if c.RateBurst == 0 {
		c.RateBurst = max(int(2*c.RateLimit), 1)
	}
	if c.WebhookUnverifiedBytes == 0 {
		c.WebhookUnverifiedBytes = 1 << 20
	}
	c.WebhookUnverifiedBytes = min(c.WebhookUnverifiedBytes, c.MaxBodyBytes)
	if c.WebhookUnverifiedReads == 0 {
		c.WebhookUnverifiedReads = 32
	}
	if c.AuthFailureRate == 0 {
		c.AuthFailureRate = 1.0 / 6
	}
	if c.AuthFailureBurst == 0 {
		c.AuthFailureBurst = 10
	}
	c.Consent = c.Consent.withDefaults()
	return c
}

// Reader is what the read routes need from the store.
type Reader interface {
	Rates(ctx context.Context, q store.RatesQuery) ([]store.RateRow, error)
	Exclusions(ctx context.Context, ch channels.Channel, recipients []string, now time.Time) ([]store.Exclusion, error)
	Recipient(ctx context.Context, ch channels.Channel, address string) (store.RecipientView, error)
}

// Pinger is a dependency /readyz checks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	pub     channels.Publisher
	reader  Reader
	ready   map[string]Pinger
	log     *slog.Logger
	metrics *metrics
	handler http.Handler
	now     func() time.Time
	// patterns lists the registered routes ("METHOD /path").
	patterns []string
	// tokens caches stored-token lookups (authenticate).
	tokens *tokenCache
	// limits holds the per-token request rate limits (nil: none).
	limits *limiters
	// failures throttles failed authentications per client (nil: none).
	failures *failureThrottle
	// unverified holds a slot per webhook body being read before it is
	// authenticated (Config.WebhookUnverifiedReads).
	unverified chan struct{}
	// rejects bounds the refused webhook payloads kept, per webhook.
	rejects *limiters
	// public bounds each client's requests to the public consent pages.
	public clientBudget
}

// New builds the server and its routes.
func New(cfg Config, pub channels.Publisher, reader Reader, ready map[string]Pinger, reg *prometheus.Registry, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg.withDefaults(), pub: pub, reader: reader, ready: ready, log: log,
		metrics: newMetrics(reg), now: time.Now}
	clock := func() time.Time { return s.now() }
	s.rejects = newLimiters(rejectsPerSecond, rejectsBurst, clock)
	s.limits = newLimiters(s.cfg.RateLimit, s.cfg.RateBurst, clock)
	s.unverified = make(chan struct{}, max(s.cfg.WebhookUnverifiedReads, 1))
	s.failures = newFailureThrottle(s.cfg.AuthFailureRate, s.cfg.AuthFailureBurst, clock)
	s.public = clientBudget{newFailureThrottle(s.cfg.Consent.PublicRate, s.cfg.Consent.PublicBurst, clock)}
	mux := http.NewServeMux()
	s.route(mux, "GET /healthz", s.healthz, false)
	s.route(mux, "GET /readyz", s.readyz, false)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.patterns = append(s.patterns, "GET /metrics")
	s.route(mux, "GET /openapi.json", s.getOpenAPI, false)
	s.route(mux, "POST /v1/events", s.postEvents, true)
	s.route(mux, "GET /v1/events", s.getEventLog, true)
	s.route(mux, "GET /v1/events/{id}", s.getEvent, true)
	s.route(mux, "GET /v1/rates", s.getRates, true)
	s.route(mux, "POST /v1/exclusions", s.postExclusions, true)
	s.route(mux, "POST /v1/sms/check", s.postSMSCheck, true)
	s.route(mux, "GET /v1/recipients/{channel}/{address}", s.getRecipient, true)
	s.route(mux, "GET /v1/incidents", s.getIncidents, true)
	s.route(mux, "GET /v1/alerts", s.getAlerts, true)
	s.route(mux, "GET /v1/alerts/deliveries", s.getAlertDeliveries, true)
	s.route(mux, "POST /v1/lists/{list}", s.postList, true)
	s.route(mux, "GET /v1/lists/{list}", s.getList, true)
	s.route(mux, "DELETE /v1/lists/{list}/{channel}/{kind}/{value}", s.deleteList, true)
	s.route(mux, "POST /v1/recipients/{channel}/{address}/release", s.postRelease, true)
	s.route(mux, "POST /v1/releases/preview", s.postReleasePreview, true)
	s.route(mux, "POST /v1/releases", s.postReleases, true)
	s.routeRules(mux)
	s.routeConsent(mux)
	// Webhooks authenticate with the provider's signature or secret, not
	// a bearer token; their failures are throttled the same way.
	s.routeWebhook(mux, "POST /v1/webhooks/{name}", false)
	// Kannel calls a dlr-url with GET only; Jasmin, Vonage and Plivo do
	// when configured so. The adapter reads the query either way.
	s.routeWebhook(mux, "GET /v1/webhooks/{name}", false)
	// The SMS gateways' mobile-originated messages (a subscriber's STOP):
	// Kannel's sms-service get-url and Vonage call with GET.
	s.routeWebhook(mux, "POST /v1/webhooks/{name}/inbound", true)
	s.routeWebhook(mux, "GET /v1/webhooks/{name}/inbound", true)
	if cfg.UI != nil {
		// Every method: the queue monitor under /ui/queues/ deletes and
		// retries tasks; the ui routes by method itself.
		for _, pattern := range []string{"/ui/"} {
			mux.Handle(pattern, s.observe(pattern, s.recover(s.throttleFailures(cfg.UI))))
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	s.handler = refuseUnstorable(mux)
	return s, nil
}

// handlerFunc is a route handler that returns its error instead of writing
// it, so every route reports errors the same way.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route registers pattern with the middleware chain: metrics and logging,
// panic recovery, and authentication when auth is set.
func (s *Server) route(mux *http.ServeMux, pattern string, h handlerFunc, auth bool) {
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
	if auth {
		next = s.throttleFailures(s.authenticate(pattern, next))
	}
	mux.Handle(pattern, s.observe(pattern, s.recover(next)))
	s.patterns = append(s.patterns, pattern)
}

// Handler returns the routed handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves until ctx ends, then shuts down gracefully: in-flight
// requests get up to 10s to finish.
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{
		Addr: s.cfg.Addr, Handler: s.handler,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("http %s: %w", s.cfg.Addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
