package workers

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// notifyRedisDB is the Redis database of TestAlertNotices, which flushes
// it, on a Redis server of its own (testsvc.PrivateRedis).
const notifyRedisDB = 0

// craftedRates is a real store whose rates the test sets: it drives the
// alerter without ingesting thousands of events.
type craftedRates struct {
	*store.Store
	mu   sync.Mutex
	rows []store.RateRow
}

func (c *craftedRates) set(sent, hard int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// SMS: one alert key (email would add one per mailbox provider).
	c.rows = []store.RateRow{{Channel: channels.SMS, Campaign: "spring", Domain: "FR", Sent: sent, Hard: hard}}
}

func (c *craftedRates) Rates(context.Context, store.RatesQuery) ([]store.RateRow, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rows, nil
}

func (c *craftedRates) AlertTenants(context.Context, time.Time) ([]string, error) {
	return []string{channels.DefaultTenant}, nil
}

// hookReceiver is a webhook destination that checks the signature and
// answers the first `fail` calls of each delivery with a 500.
type hookReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	fail   int
	calls  map[string][]time.Time // by Rebond-Delivery
	got    []WebhookNotice
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	id := r.Header.Get("Rebond-Delivery")
	if h.calls == nil {
		h.calls = map[string][]time.Time{}
	}
	h.calls[id] = append(h.calls[id], time.Now())
	if len(h.calls[id]) <= h.fail {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	// Verify as a receiver would: recompute over t + "." + body.
	sig := r.Header.Get(SignatureHeader)
	ts, v1, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",v1=")
	sec, _ := strconv.ParseInt(ts, 10, 64)
	want := Sign(h.secret, time.Unix(sec, 0), body)
	mac, err := hex.DecodeString(v1)
	if err != nil || !hmac.Equal([]byte("t="+ts+",v1="+hex.EncodeToString(mac)), []byte(want)) || time.Since(time.Unix(sec, 0)) > 5*time.Minute {
		h.t.Errorf("bad signature %q on %s", sig, body)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var n WebhookNotice
	if err := json.Unmarshal(body, &n); err != nil {
		h.t.Errorf("webhook body %s: %v", body, err)
	}
	if r.Header.Get("Rebond-Delivery") != strconv.FormatInt(n.DeliveryID, 10) {
		h.t.Errorf("Rebond-Delivery %q, body's delivery_id %d", r.Header.Get("Rebond-Delivery"), n.DeliveryID)
	}
	h.got = append(h.got, n)
}

func (h *hookReceiver) notices() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, n := range h.got {
		out = append(out, n.Notice+":"+n.Alert.To)
	}
	return out
}

// mailSink is an SMTP server that keeps what it is given.
type mailSink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

func (s *mailSink) subjects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.msgs {
		for _, line := range strings.Split(m, "\r\n") {
			if subj, ok := strings.CutPrefix(line, "Subject: "); ok {
				out = append(out, subj)
			}
		}
	}
	return out
}

type sinkSession struct {
	sink     *mailSink
	from, to string
}

func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, "Envelope: "+s.from+" -> "+s.to+"\r\n"+string(b))
	s.sink.mu.Unlock()
	return err
}

// TestAlertNotices is issue 18's acceptance: an alert forced open, made
// to flap, then resolved reaches a local signed-webhook receiver and a
// local SMTP sink once when it opens and once when it resolves; a
// destination that fails twice gets both notices after retries with
// backoff; one that always fails is given up after its retries; and
// re-queueing a delivery already done sends nothing.
func TestAlertNotices(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st := migratedStore(t)
	addr := testsvc.PrivateRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: notifyRedisDB})
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	redisOpt := asynq.RedisClientOpt{Addr: addr, DB: notifyRedisDB}

	secret := "0123456789abcdef0123"
	hook := &hookReceiver{t: t, secret: secret}
	flaky := &hookReceiver{t: t, secret: secret, fail: 2}
	dead := &hookReceiver{t: t, secret: secret, fail: 1000}
	hookSrv, flakySrv, deadSrv := httptest.NewServer(hook), httptest.NewServer(flaky), httptest.NewServer(dead)
	defer hookSrv.Close()
	defer flakySrv.Close()
	defer deadSrv.Close()
	sink := &mailSink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpSrv := smtp.NewServer(sink)
	smtpSrv.Domain = "sink.localhost"
	go func() { _ = smtpSrv.Serve(ln) }()
	defer smtpSrv.Close()

	cfg := AlertConfig{
		Destinations: []Destination{
			{Name: "hook", Kind: DestWebhook, URL: hookSrv.URL + "/rebond", Secret: secret},
			{Name: "flaky", Kind: DestWebhook, URL: flakySrv.URL, Secret: secret},
			{Name: "dead", Kind: DestWebhook, URL: deadSrv.URL, Secret: secret},
			{Name: "mail", Kind: DestEmail, SMTP: SMTPRelay{Addr: ln.Addr().String(), TLS: "none",
				From: "rebond <alerts@rebond.localhost>", To: []string{"ops@example.org"}}},
			{Name: "other-tenant", Kind: DestWebhook, Tenant: "acme", URL: hookSrv.URL + "/acme", Secret: secret},
		},
		Notify: NotifyConfig{RetryBase: time.Second, RetryMax: 2 * time.Second, MaxRetry: 3},
	}.WithDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, rates, stop := runAlertDeliveries(ctx, t, cfg, st, redisOpt)
	defer stop()
	now := alertNow
	a.now = func() time.Time { return now }
	tick := func(sent, hard int64, after time.Duration) {
		t.Helper()
		now = now.Add(after)
		rates.set(sent, hard)
		if err := a.Check(ctx); err != nil {
			t.Fatalf("check at %s: %v", now, err)
		}
	}

	tick(1000, 150, 0) // 15% hard: critical, opens
	waitFor(t, func() bool { return len(hook.notices()) == 1 && len(sink.subjects()) == 1 })
	tick(1000, 150, 5*time.Minute)  // still critical: nothing new
	tick(1000, 10, 5*time.Minute)   // ok: resolution waits for resolve_after
	tick(1000, 150, 5*time.Minute)  // flaps back: its people never heard it closed
	tick(1000, 10, 5*time.Minute)   // ok again
	tick(1000, 10, 30*time.Minute)  // ok for 30 minutes: not yet
	tick(1000, 10, 31*time.Minute)  // ok for 61 minutes: resolves
	tick(1000, 10, 60*time.Minute)  // and stays so: nothing more
	tick(1000, 10, 600*time.Minute) // nothing more

	want := []string{"open:critical", "resolve:ok"}
	waitFor(t, func() bool {
		return len(hook.notices()) >= 2 && len(flaky.notices()) >= 2 && len(sink.subjects()) >= 2
	})
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive now
	if got := hook.notices(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("webhook got %v, want %v", got, want)
	}
	// Retries may reorder one destination's notices: receivers order
	// them by alert.id.
	if got := flaky.notices(); len(got) != 2 || !slices.Contains(got, want[0]) || !slices.Contains(got, want[1]) {
		t.Errorf("flaky webhook got %v, want %v", got, want)
	}
	subjects := sink.subjects()
	if len(subjects) != 2 || !strings.HasPrefix(subjects[0], "[rebond] CRITICAL: sms campaign \"spring\" hard_rate is 15.00%") ||
		!strings.HasPrefix(subjects[1], "[rebond] RESOLVED: sms campaign \"spring\" hard_rate") {
		t.Errorf("mail subjects %q", subjects)
	}
	// The flaky destination was retried with backoff: each notice failed
	// twice, then went through, the attempts at least RetryBase and then
	// 2*RetryBase apart.
	flaky.mu.Lock()
	for id, calls := range flaky.calls {
		if len(calls) != 3 {
			t.Errorf("flaky destination: delivery %s tried %d times, want 3", id, len(calls))
			continue
		}
		if d1, d2 := calls[1].Sub(calls[0]), calls[2].Sub(calls[1]); d1 < time.Second || d2 < 2*time.Second {
			t.Errorf("flaky destination: delivery %s retried %s and %s apart, want at least 1s and 2s", id, d1, d2)
		}
	}
	flaky.mu.Unlock()

	// The delivery log: 8 rows; the flaky ones sent after 3 attempts, the
	// dead ones failed after 1 + MaxRetry.
	tctx := channels.WithTenant(ctx, channels.DefaultTenant)
	var log2 []store.AlertDelivery
	waitFor(t, func() bool {
		var err error
		if log2, err = st.RecentAlertDeliveries(tctx, 100); err != nil {
			t.Fatal(err)
		}
		return !slices.ContainsFunc(log2, func(d store.AlertDelivery) bool { return d.Status == store.DeliveryPending })
	})
	if len(log2) != 8 {
		t.Fatalf("delivery log has %d rows, want 8: %+v", len(log2), log2)
	}
	for _, d := range log2 {
		wantAttempts, wantStatus := 1, store.DeliverySent
		switch d.Destination {
		case "flaky":
			wantAttempts = 3
		case "dead":
			wantAttempts, wantStatus = 4, store.DeliveryFailed
		}
		if d.Status != wantStatus || d.Attempts != wantAttempts || (d.SentAt != nil) != (wantStatus == store.DeliverySent) {
			t.Errorf("delivery %d (%s %s): %s after %d attempts (want %s after %d), last error %q",
				d.ID, d.Destination, d.Notice, d.Status, d.Attempts, wantStatus, wantAttempts, d.LastError)
		}
		if d.Destination != "hook" && d.Destination != "mail" && !strings.Contains(d.LastError, "status 500: down for maintenance") {
			t.Errorf("flaky: last error %q, want the failure before the success", d.LastError)
		}
	}

	// A sent delivery queued again (its task gone from Redis) sends nothing.
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	client2 := asynq.NewClient(redisOpt) // the first one remembers queues the flush forgot
	defer client2.Close()
	queue2 := NewAlertQueue(NewEnqueuer(client2, 100), cfg.Notify)
	for _, d := range log2 {
		if err := queue2.EnqueueAlertDelivery(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	inspector := asynq.NewInspector(redisOpt)
	defer inspector.Close()
	waitFor(t, func() bool {
		n, err := inspector.GetQueueInfo(QueueAlerts)
		return err == nil && n.Pending == 0 && n.Active == 0
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(hook.notices()) + len(flaky.notices()) + len(sink.subjects()); n != 6 {
		t.Errorf("after re-queueing sent deliveries: %d notices, want 6", n)
	}
	dead.mu.Lock()
	defer dead.mu.Unlock()
	for id, calls := range dead.calls {
		if len(calls) != 4 {
			t.Errorf("dead destination: delivery %s tried %d times after it failed for good, want 4", id, len(calls))
		}
	}
}

// runAlertDeliveries starts a worker that sends cfg's alert deliveries
// (logged in st, queued on redisOpt) and returns an alerter announcing to
// it from the rates the test sets; stop ends the worker and its client.
func runAlertDeliveries(ctx context.Context, t *testing.T, cfg AlertConfig, st *store.Store,
	redisOpt asynq.RedisClientOpt) (a *Alerter, rates *craftedRates, stop func()) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	wcfg := Config{Concurrency: 2, TaskCheckInterval: 200 * time.Millisecond, IdlePoll: 100 * time.Millisecond}.WithDefaults()
	srv := NewServer(wcfg, redisOpt, nil, nil, NewAlertDeliveryHandler(cfg, st, log), log)
	srvCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(srvCtx) }()
	client := asynq.NewClient(redisOpt)
	rates = &craftedRates{Store: st}
	a = NewAlerter(cfg, nil, rates, &fakeNotifier{}, log)
	a.SetNotices(st, NewAlertQueue(NewEnqueuer(client, 100), cfg.Notify))
	return a, rates, func() { client.Close(); cancel(); <-done }
}

// waitFor polls cond for up to 30 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}
