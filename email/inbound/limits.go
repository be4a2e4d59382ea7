package inbound

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Connection limits. The bounce MX faces the internet: without them, open
// sessions (each kept alive by a NOOP every few minutes) would use up the
// process's file descriptors, and the HTTP API shares them.
//
// RFC 5321 section 3.8 lets a server open a connection with 421 and close
// it when it cannot serve it; a sending MTA then tries again later, as for
// any 4yz reply (section 4.5.4.1).

// ErrTooManyCommands ends a session that sent more commands than
// Config.MaxCommands.
var ErrTooManyCommands = errors.New("too many commands in one session")

// limitListener caps the connections it hands out, in total and per
// client address, and wraps each in a limitConn. A connection over a cap
// gets a 421 reply and is closed at once.
type limitListener struct {
	net.Listener
	maxConns, maxPerIP int
	maxSession         time.Duration
	maxCommands        int
	hostname           string
	log                *slog.Logger

	mu    sync.Mutex
	total int
	perIP map[string]int
}

func newLimitListener(ln net.Listener, cfg Config, log *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, maxConns: cfg.MaxConnections, maxPerIP: cfg.MaxConnectionsPerIP,
		maxSession: cfg.MaxSession, maxCommands: cfg.MaxCommands, hostname: cfg.Hostname, log: log, perIP: map[string]int{}}
}

// Accept returns the next connection within the caps; the others are
// answered 421 and closed here.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientKey(c.RemoteAddr())
		if why := l.take(ip); why != "" {
			l.refuse(c, why)
			continue
		}
		lc := &limitConn{Conn: c, l: l, ip: ip, end: time.Now().Add(l.maxSession), left: l.maxCommands}
		_ = c.SetReadDeadline(lc.end) // until go-smtp sets its own, clamped to it
		return lc, nil
	}
}

// take counts a new connection from ip, or says which cap it is over.
func (l *limitListener) take(ip string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.total >= l.maxConns:
		return "too many connections"
	case l.perIP[ip] >= l.maxPerIP:
		return "too many connections from your address"
	}
	l.total++
	l.perIP[ip]++
	return ""
}

func (l *limitListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

// refuse answers 421 (RFC 5321 section 3.8) and closes. The reply fits
// any socket's send buffer, so the write does not wait on the client; the
// deadline is there for a buffer that is somehow full.
func (l *limitListener) refuse(c net.Conn, why string) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = fmt.Fprintf(c, "421 4.7.0 %s %s, try again later\r\n", l.hostname, why)
	_ = c.Close()
	l.log.Warn("smtp connection refused", "remote", c.RemoteAddr().String(), "why", why)
}

// clientKey is the address a connection counts against: the IP, or for
// IPv6 its /64, which one client commonly holds whole.
func clientKey(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := tcp.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return tcp.IP.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// limitConn ends its session at its deadline and after its command budget.
// go-smtp sets a read deadline before reading each command line (and only
// then: the message data is read under the deadline of its DATA or BDAT
// command), so SetReadDeadline counts commands — NOOP, RSET and the rest
// included — through STARTTLS too, as the TLS connection sets its
// deadlines on this one; every read deadline is clamped to the session's
// end.
type limitConn struct {
	net.Conn
	l    *limitListener
	ip   string
	end  time.Time
	once sync.Once

	mu   sync.Mutex
	left int
}

// SetReadDeadline counts a command, refuses one over the budget (go-smtp
// answers 421 and closes), and clamps t to the session's end (a read past
// it times out, which go-smtp also answers with 421).
func (c *limitConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.left--
	over := c.left < 0
	c.mu.Unlock()
	if over {
		return ErrTooManyCommands
	}
	return c.Conn.SetReadDeadline(c.clamp(t))
}

// SetDeadline clamps the read deadline to the session's end. Writes keep
// theirs (go-smtp's WriteTimeout bounds each): a write only answers a
// read, and the last one is the 421 that ends the session.
func (c *limitConn) SetDeadline(t time.Time) error {
	return errors.Join(c.Conn.SetReadDeadline(c.clamp(t)), c.Conn.SetWriteDeadline(t))
}

func (c *limitConn) clamp(t time.Time) time.Time {
	if t.IsZero() || t.After(c.end) {
		return c.end
	}
	return t
}

// Close releases the connection's place under the caps, once.
func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
