package inbound

import (
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// dial opens a raw session and returns its greeting's code.
func dial(t *testing.T, addr string) (*textproto.Conn, int) {
	t.Helper()
	c, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	code, _, err := c.ReadResponse(0)
	if err != nil && code == 0 {
		t.Fatalf("greeting: %v", err)
	}
	return c, code
}

var limitDomains = []string{"bounces.example.org"}

func TestListenerConnectionCaps(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		accepted int // connections greeted 220 before the next gets 421
	}{
		{"global cap", Config{Domains: limitDomains, MaxConnections: 3, MaxConnectionsPerIP: 100}, 3},
		{"per address cap", Config{Domains: limitDomains, MaxConnections: 100, MaxConnectionsPerIP: 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := start(t, tt.cfg, &memSpool{})
			var open []*textproto.Conn
			for i := range tt.accepted {
				c, code := dial(t, addr)
				if code != 220 {
					t.Fatalf("connection %d: greeting %d, want 220", i+1, code)
				}
				open = append(open, c)
			}
			c, code := dial(t, addr)
			if code != 421 {
				t.Fatalf("connection over the cap: greeting %d, want 421", code)
			}
			if _, err := c.ReadLine(); err == nil {
				t.Error("the refused connection stays open")
			}
			// A session that ends gives its place back.
			if err := open[0].PrintfLine("QUIT"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := open[0].ReadResponse(221); err != nil {
				t.Fatal(err)
			}
			open[0].Close()
			for i := 0; ; i++ { // the listener sees the close when go-smtp's session ends
				c, code := dial(t, addr)
				if code == 220 {
					c.Close()
					break
				}
				if i == 1000 {
					t.Fatalf("no place freed after a QUIT: greeting %d", code)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// noopUntilClosed sends NOOP until the server answers anything else,
// and returns that code and the number of NOOPs answered 250.
func noopUntilClosed(t *testing.T, c *textproto.Conn, limit int) (code, n int) {
	t.Helper()
	for n = 0; n < limit; n++ {
		if err := c.PrintfLine("NOOP"); err != nil {
			return 0, n
		}
		code, msg, err := c.ReadResponse(250)
		if err != nil {
			if code == 0 {
				t.Fatalf("after %d NOOPs: %v", n, err)
			}
			if _, err := c.ReadLine(); err == nil {
				t.Errorf("session still open after %d %s", code, msg)
			}
			return code, n
		}
	}
	return 250, n
}

func TestListenerEndsNOOPLoops(t *testing.T) {
	t.Run("command budget", func(t *testing.T) {
		addr := start(t, Config{Domains: limitDomains, MaxCommands: 50}, &memSpool{})
		c, _ := dial(t, addr)
		if code, n := noopUntilClosed(t, c, 10000); code != 421 || n > 50 {
			t.Fatalf("NOOP loop: %d NOOPs answered, then %d; want at most 50, then 421", n, code)
		}
	})
	t.Run("session lifetime", func(t *testing.T) {
		addr := start(t, Config{Domains: limitDomains, MaxSession: 200 * time.Millisecond, MaxCommands: 1 << 30}, &memSpool{})
		c, _ := dial(t, addr)
		code, n := 250, 0
		for i := 0; code == 250 && i < 100000; i++ {
			var k int
			code, k = noopUntilClosed(t, c, 1)
			n += k
			time.Sleep(time.Millisecond)
		}
		if code != 421 {
			t.Fatalf("a NOOP every millisecond kept the session open (%d NOOPs, last %d)", n, code)
		}
	})
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.7:25", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:25", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:2525", "2001:db8:1:2::/64"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := clientKey(a); got != tc.want {
			t.Errorf("clientKey(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
	if !strings.Contains(ErrTooManyCommands.Error(), "commands") {
		t.Error("ErrTooManyCommands says nothing")
	}
}
