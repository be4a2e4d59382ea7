package testsvc

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestDovecot starts the private Dovecot and signs in.
func TestDovecot(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t)
	c, err := net.DialTimeout("tcp", d.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("a LOGIN " + DovecotUser + " " + DovecotPassword + "\r\nb SELECT INBOX\r\n")); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "a ") && !strings.HasPrefix(line, "a OK") {
			t.Fatalf("login: %s", line)
		}
		if strings.HasPrefix(line, "b ") {
			if !strings.HasPrefix(line, "b OK") {
				t.Fatalf("select: %s", line)
			}
			return
		}
	}
}
