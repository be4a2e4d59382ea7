package smpp

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := Gateway{Name: "acme-1", Addr: "smsc.example.net:2775", SystemID: "rebond", Password: "pw"}
	with := func(f func(*Gateway)) Config {
		g := ok
		f(&g)
		return Config{Gateways: []Gateway{g}}
	}
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" = valid
	}{
		{"no gateway", Config{}, ""},
		{"defaults", with(func(*Gateway) {}), ""},
		{"transceiver with TLS", with(func(g *Gateway) { g.BindMode, g.TLS, g.TLSInsecureSkipVerify = Transceiver, true, true }), ""},
		{"name missing", with(func(g *Gateway) { g.Name = "" }), "smpp.gateways[0].name"},
		{"name upper case", with(func(g *Gateway) { g.Name = "Acme" }), "smpp.gateways[0].name"},
		{"name too long", with(func(g *Gateway) { g.Name = strings.Repeat("a", 33) }), "smpp.gateways[0].name"},
		{"addr without port", with(func(g *Gateway) { g.Addr = "smsc.example.net" }), "smpp.gateways[0].addr"},
		{"system_id missing", with(func(g *Gateway) { g.SystemID = "" }), "system_id: required"},
		{"system_id too long", with(func(g *Gateway) { g.SystemID = strings.Repeat("s", 16) }), "system_id: 16 characters"},
		{"password too long", with(func(g *Gateway) { g.Password = "123456789" }), "password: 9 characters"},
		{"system_type too long", with(func(g *Gateway) { g.SystemType = strings.Repeat("t", 13) }), "system_type: 13"},
		{"password not ASCII", with(func(g *Gateway) { g.Password = "pässwd" }), "password: only printable ASCII"},
		{"bind mode transmitter", with(func(g *Gateway) { g.BindMode = "transmitter" }), "bind_mode"},
		{"skip verify without TLS", with(func(g *Gateway) { g.TLSInsecureSkipVerify = true }), "tls_insecure_skip_verify"},
		{"binds too many", with(func(g *Gateway) { g.Binds = 65 }), "binds: 65"},
		{"binds negative", with(func(g *Gateway) { g.Binds = -1 }), "binds: -1"},
		{"window too large", with(func(g *Gateway) { g.WindowSize = 1001 }), "window_size: 1001"},
		{"negative timeout", with(func(g *Gateway) { g.ResponseTimeout = -time.Second }), "response_timeout: -1s is negative"},
		{"max below min", with(func(g *Gateway) { g.ReconnectMin, g.ReconnectMax = time.Minute, time.Second }), "reconnect_max: 1s is below"},
		{"region", with(func(g *Gateway) { g.Region = "GB" }), ""},
		{"region unknown", with(func(g *Gateway) { g.Region = "XX" }), "smpp.gateways[0].region: \"XX\""},
		{"duplicate name", Config{Gateways: []Gateway{ok, ok}}, "smpp.gateways[1].name: \"acme-1\" is used twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	g := Config{Gateways: []Gateway{{Name: "a"}}}.WithDefaults().Gateways[0]
	want := Gateway{
		Name: "a", BindMode: Receiver, Binds: 1, WindowSize: DefaultWindowSize,
		EnquireLink: DefaultEnquireLink, ResponseTimeout: DefaultResponseTimeout,
		ReconnectMin: DefaultReconnectMin, ReconnectMax: DefaultReconnectMax,
	}
	if g != want {
		t.Errorf("WithDefaults = %+v, want %+v", g, want)
	}
}

// TestNewRefusesInvalid: New validates, so Run never dials a bad config.
func TestNewRefusesInvalid(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Gateways: []Gateway{{Name: "a", Addr: "nowhere"}}}, newRecorder(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "smpp.gateways[0].addr") {
		t.Errorf("New: %v, want the addr error", err)
	}
}

// TestRunWithoutGateways returns at once when the context ends.
func TestRunWithoutGateways(t *testing.T) {
	t.Parallel()
	e, err := New(Config{}, newRecorder(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := newBackoff(100*time.Millisecond, time.Second)
	// Each wait lies in [d/2, d] for d = 100ms, 200ms, 400ms, 800ms, then 1s.
	for i, d := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		d *= time.Millisecond
		for range 20 {
			c := &backoff{min: b.min, max: b.max, cur: b.cur, tries: b.tries}
			if got := c.next(); got < d/2 || got > d {
				t.Fatalf("wait %d: %s, want within [%s, %s]", i, got, d/2, d)
			}
		}
		b.next()
	}
	b.reset()
	if got := b.next(); got > 100*time.Millisecond {
		t.Errorf("after reset: %s, want at most 100ms", got)
	}
}
