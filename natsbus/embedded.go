package natsbus

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures an in-process NATS server.
type EmbeddedConfig struct {
	Dir  string // JetStream store directory; required
	Host string // default 127.0.0.1
	Port int    // 0: a random free port
	// User and Password are the only credentials the server accepts: a
	// client without them is refused, so no other local process can
	// publish events or purge a stream. User defaults to "rebond"; an
	// empty Password is a random one, known to this process only (URL
	// carries it). A Password must be at least 16 bytes.
	User, Password string
}

// Embedded is an in-process NATS server with JetStream.
type Embedded struct {
	srv        *server.Server
	user, pass string
}

// StartEmbedded starts a NATS server with JetStream storing in cfg.Dir and
// waits until it accepts connections.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.Dir == "" {
		return nil, errors.New("embedded nats: Dir is required")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if cfg.User == "" {
		cfg.User = "rebond"
	}
	if cfg.Password == "" {
		cfg.Password = RandomSecret()
	}
	if len(cfg.Password) < 16 {
		return nil, errors.New("embedded nats: Password shorter than 16 bytes")
	}
	srv, err := server.NewServer(&server.Options{
		Host: cfg.Host, Port: port, JetStream: true, StoreDir: cfg.Dir,
		NoSigs: true, NoLog: true, MaxPayload: 8 << 20,
		// Every client authenticates: a local process without the
		// password can neither publish nor manage streams.
		Username: cfg.User, Password: cfg.Password,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded nats on %s:%d: not ready after 10s", cfg.Host, cfg.Port)
	}
	return &Embedded{srv: srv, user: cfg.User, pass: cfg.Password}, nil
}

// URL is the client URL of the server with its credentials: give it to
// clients, never to a log (Addr is for logs).
func (e *Embedded) URL() string {
	u, err := url.Parse(e.srv.ClientURL())
	if err != nil {
		return e.srv.ClientURL()
	}
	u.User = url.UserPassword(e.user, e.pass)
	return u.String()
}

// Addr is the client URL of the server without credentials.
func (e *Embedded) Addr() string { return e.srv.ClientURL() }

// RandomSecret returns 32 random hex digits (128 bits), for the embedded
// server's password.
func RandomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b)
}

// Shutdown stops the server and waits for it.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
