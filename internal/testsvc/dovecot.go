package testsvc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"
)

const (
	dovecotBin     = "/usr/sbin/dovecot"
	dovecotInstall = "apt-get install -y dovecot-imapd"
	// DovecotUser and DovecotPassword sign in to a test's Dovecot.
	DovecotUser     = "bounces"
	DovecotPassword = "test-password-not-secret"
)

// Dovecot is an IMAP server (Debian's dovecot-imapd) that belongs to one
// test: its own configuration, maildir and state in a temporary directory,
// IMAP with STARTTLS (plain login allowed: loopback only) and IMAPS on free
// ports with a certificate made for the test, one user
// (DovecotUser / DovecotPassword). The machine's own Dovecot, if any, is
// never touched. It is a child of the test process with a parent-death
// signal, and the test's cleanup stops it.
type Dovecot struct {
	// Addr is the IMAP listener (STARTTLS offered), host:port on
	// 127.0.0.1; AddrTLS the IMAPS one.
	Addr, AddrTLS string
	// TLS trusts the server's certificate (for 127.0.0.1).
	TLS *tls.Config
	// Dir holds the configuration, the log and the mail.
	Dir string
}

// StartDovecot starts the server and waits until it greets. Without
// /usr/sbin/dovecot it fails the test under CI=true and skips it elsewhere.
func StartDovecot(tb testing.TB) *Dovecot {
	tb.Helper()
	if _, err := os.Stat(dovecotBin); err != nil {
		unavailable(tb, "Dovecot ("+dovecotBin+")", dovecotInstall, err)
		return nil
	}
	dir, err := os.MkdirTemp("", "rebond-dovecot-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	d := &Dovecot{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(tb))),
		AddrTLS: net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(tb))), Dir: dir}
	if d.TLS, err = WriteCert(dir); err != nil {
		tb.Fatalf("dovecot: %v", err)
	}
	if err := d.configure(); err != nil {
		tb.Fatalf("dovecot: %v", err)
	}
	cmd := exec.Command(dovecotBin, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	log, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("dovecot: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		log.Close()
	})
	if err := waitGreeting(d.Addr, 15*time.Second); err != nil {
		out, _ := os.ReadFile(filepath.Join(dir, "stderr.log"))
		logf, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		tb.Fatalf("dovecot: %v\n%s\n%s", err, out, logf)
	}
	return d
}

// configure writes dovecot.conf and the password file. As root, the mail
// processes run as nobody (Dovecot refuses uid 0 for mail), so the mail
// directory is theirs and the path to it is traversable.
//
// maildir_very_dirty_syncs is what an admin sets on a large maildir that
// only Dovecot changes: by default Dovecot re-reads a folder's whole cur/
// directory whenever its mtime is less than a second old, because a change
// in the same second cannot be told apart by mtime. A poller moving a
// batch every few tens of milliseconds keeps cur/ that young, so every
// command re-read it: Dovecot's work per batch grew with the folder
// (emptying 100,000 mails, the first 20,000 took three times as long per
// mail as the last 50,000, and the run took six to ten times the CPU).
// With the setting Dovecot trusts its index for its own changes and
// rescans cur/ only when the mtime moves unexpectedly or a file it expects
// is missing; a maildir filled behind its back before the first SELECT
// (WriteMaildir) is still indexed then, there being no index yet.
func (d *Dovecot) configure() error {
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 65534, 65534
		if err := os.Chmod(d.Dir, 0o755); err != nil {
			return err
		}
	}
	mail := filepath.Join(d.Dir, "mail")
	if err := os.MkdirAll(mail, 0o700); err != nil {
		return err
	}
	if err := os.Chown(mail, uid, gid); err != nil && os.Getuid() == 0 {
		return err
	}
	user := os.Getenv("USER")
	internal := "dovecot"
	if os.Getuid() != 0 && user != "" {
		internal = user
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s\n", DovecotUser, DovecotPassword)
	if err := os.WriteFile(filepath.Join(d.Dir, "passwd"), []byte(passwd), 0o644); err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(d.Addr)
	_, portTLS, _ := net.SplitHostPort(d.AddrTLS)
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = %[2]s
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = %[5]s
default_login_user = %[5]s
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[3]d gid=%[4]d home=%[1]s/mail/%%u
}
mail_location = maildir:%[1]s/mail/%%u/Maildir
maildir_very_dirty_syncs = yes
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = %[2]s
    port = %[6]s
  }
  inet_listener imaps {
    address = %[2]s
    port = %[7]s
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 100
}
`, d.Dir, host, uid, gid, internal, port, portTLS)
	return os.WriteFile(filepath.Join(d.Dir, "dovecot.conf"), []byte(conf), 0o644)
}

// waitGreeting waits until addr answers with an IMAP greeting.
func waitGreeting(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 64)
			n, _ := c.Read(buf)
			c.Close()
			if n > 4 && string(buf[:4]) == "* OK" {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no IMAP greeting on " + addr)
}

// Client signs in to the server as DovecotUser; it logs out when the
// test ends.
func (d *Dovecot) Client(tb testing.TB) *client.Client {
	tb.Helper()
	c := d.signIn(tb)
	tb.Cleanup(func() { _ = c.Logout() })
	return c
}

func (d *Dovecot) signIn(tb testing.TB) *client.Client {
	tb.Helper()
	c, err := client.Dial(d.Addr)
	if err != nil {
		tb.Fatalf("dovecot: %v", err)
	}
	c.Timeout = time.Minute
	if err := c.Login(DovecotUser, DovecotPassword); err != nil {
		tb.Fatalf("dovecot login: %v", err)
	}
	return c
}

// Append stores mails in folder (created when missing), one APPEND each.
func (d *Dovecot) Append(tb testing.TB, folder string, mails [][]byte) {
	tb.Helper()
	c := d.Client(tb)
	if folder != "INBOX" {
		_ = c.Create(folder) // exists already: the APPEND below tells
	}
	for i, m := range mails {
		if err := c.Append(folder, nil, time.Now(), bytes.NewReader(m)); err != nil {
			tb.Fatalf("dovecot append %d to %s: %v", i, folder, err)
		}
	}
}

// Count returns the number of mails in folder (0 when it does not exist).
func (d *Dovecot) Count(tb testing.TB, folder string) uint32 {
	tb.Helper()
	c := d.signIn(tb)
	defer func() { _ = c.Logout() }()
	st, err := c.Status(folder, []imap.StatusItem{imap.StatusMessages})
	if err != nil {
		return 0
	}
	return st.Messages
}

// WriteCert writes a self-signed certificate for 127.0.0.1 (cert.pem,
// key.pem in dir) and returns a client configuration that trusts it: the
// TLS servers tests start (Dovecot, an SMTP relay) share it rather than
// each generating its own.
func WriteCert(dir string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rebond test dovecot"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}, nil
}

// WriteMaildir puts n mails (mail(i) each) straight into INBOX's maildir,
// much faster than APPEND for a large mailbox; Dovecot indexes them on
// the next SELECT (once: see configure's maildir_very_dirty_syncs).
func (d *Dovecot) WriteMaildir(tb testing.TB, n int, mail func(i int) []byte) {
	tb.Helper()
	root := filepath.Join(d.Dir, "mail", DovecotUser, "Maildir")
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 65534, 65534
	}
	for _, p := range []string{filepath.Join(d.Dir, "mail", DovecotUser), root, filepath.Join(root, "cur"), filepath.Join(root, "new"), filepath.Join(root, "tmp")} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil && os.Getuid() == 0 {
			tb.Fatal(err)
		}
	}
	now := time.Now().Unix()
	for i := range n {
		p := filepath.Join(root, "cur", fmt.Sprintf("%d.M%dP1.rebond-test:2,", now, i))
		if err := os.WriteFile(p, mail(i), 0o644); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil && os.Getuid() == 0 {
			tb.Fatal(err)
		}
	}
}
