package smpp

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// ESME keeps the binds of every configured gateway up and publishes the
// receipts and mobile-originated messages they carry. It is the SMPP client ("External Short Message
// Entity", SMPP 3.4 section 2.1) of rebond.
type ESME struct {
	binds []*bind
}

// New checks cfg and builds the ESME; nothing is dialled before Run. Its
// metrics are registered on reg (nil: not registered). Every event goes
// to pub, and a receipt is acknowledged only once pub returned nil. st
// (nil allowed) joins receipts that name no number to their message and
// keeps the receipts rebond refuses.
func New(cfg Config, pub channels.Publisher, st Store, log *slog.Logger, reg prometheus.Registerer) (*ESME, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("smpp: register metrics: %w", err)
	}
	kw := cfg.Keywords
	if kw == nil {
		if kw, err = sms.NewKeywords(sms.KeywordConfig{}); err != nil {
			return nil, fmt.Errorf("smpp: keywords: %w", err)
		}
	}
	e := &ESME{}
	for _, g := range cfg.WithDefaults().Gateways {
		for i := range g.Binds {
			e.binds = append(e.binds, &bind{
				gw: g, provider: "smpp:" + g.Name, pub: pub, st: st, kw: kw, m: m.forBind(g.Name, i), bo: newBackoff(g.ReconnectMin, g.ReconnectMax),
				log: log.With("gateway", g.Name, "bind", i, "addr", g.Addr),
			})
		}
	}
	return e, nil
}

// Run keeps every bind up, dialling again with backoff whenever one is
// refused or lost, until ctx ends. Then each bound connection unbinds
// (SMPP 3.4 section 4.2: unbind, unbind_resp awaited for at most the
// response timeout), finishes the receipts it holds and closes. Run
// returns nil once every connection is closed.
func (e *ESME) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, b := range e.binds {
		wg.Go(func() { b.run(ctx) })
	}
	wg.Wait()
	return nil
}

// bind is one of a gateway's connections, dialled again and again.
type bind struct {
	gw       Gateway
	provider string
	pub      channels.Publisher
	st       Store
	kw       *sms.Keywords
	log      *slog.Logger
	m        *bindMetrics
	bo       *backoff
}

// run binds, serves, and on any loss waits its backoff and binds again.
// A successful bind resets the backoff, so the first waits after a lost
// bind are short (see backoff); each retry is logged with what failed:
// the dial, the bind (refused or unanswered), or a bind that was up.
func (b *bind) run(ctx context.Context) {
	for ctx.Err() == nil {
		phase, held, err := b.session(ctx)
		if ctx.Err() != nil {
			return
		}
		b.m.reconnects.Inc()
		delay, tries := b.bo.state()
		attrs := []any{"err", err, "retry_within", delay.String(), "retries", tries}
		switch phase {
		case phaseDial:
			b.log.WarnContext(ctx, "smpp dial failed, dialling again", attrs...)
		case phaseBind:
			b.log.WarnContext(ctx, "smpp bind refused, binding again", attrs...)
		default:
			b.log.WarnContext(ctx, "smpp bind lost, binding again", append(attrs, "bound_for", held.Round(time.Millisecond).String())...)
		}
		b.bo.wait(ctx)
	}
}

// The phase a session ended in, which says what to log.
const (
	phaseDial  = "dial"  // no connection
	phaseBind  = "bind"  // connected, the bind refused or unanswered
	phaseBound = "bound" // was bound, then lost
)

// session dials, binds and serves one connection; it returns the phase it
// ended in, how long the connection stayed bound and why it ended (nil
// when ctx ended). A successful bind resets the backoff.
func (b *bind) session(ctx context.Context) (string, time.Duration, error) {
	nc, err := b.dial(ctx)
	if err != nil {
		return phaseDial, 0, fmt.Errorf("dial %s: %w", b.gw.Addr, err)
	}
	defer nc.Close()
	s := newSession(b, nc)
	sysID, err := s.bind(ctx)
	if err != nil {
		return phaseBind, 0, err
	}
	b.bo.reset()
	b.log.InfoContext(ctx, "smpp bound", "mode", string(b.gw.BindMode), "smsc_system_id", sysID)
	start := time.Now()
	b.m.up.Set(1)
	defer b.m.up.Set(0)
	err = s.serve(ctx)
	return phaseBound, time.Since(start), err
}

// dial opens the TCP (or TLS) connection within the response timeout.
func (b *bind) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, b.gw.ResponseTimeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", b.gw.Addr)
	if err != nil {
		return nil, err
	}
	cfg := b.gw.tlsConfig()
	if cfg == nil {
		return nc, nil
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	return tc, nil
}

// statusText names a command_status for logs and errors: its number and
// go-smpp's description of SMPP 3.4 section 5.1.3.
func statusText(s pdu.Status) string {
	return "0x" + strconv.FormatUint(uint64(s), 16) + " (" + s.Error() + ")"
}
