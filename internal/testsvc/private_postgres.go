package testsvc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const pgInstall = "apt-get install -y postgresql"

// PrivatePostgres is a PostgreSQL server that belongs to one test: its own
// cluster in a temporary directory, on a free loopback port, with trust
// auth. A test may stop and start it (a real server restart, which the
// machine's shared server, used by every other test, must never see).
// Run as root, the server runs as the `postgres` OS user, since initdb and
// postgres refuse to run as root. fsync and full-page writes are off for
// speed: they guard against an OS crash, not a server crash, so even an
// immediate stop loses no committed row. synchronous_commit stays on, as
// off would lose the last commits on an immediate stop.
//
// The server is a child of the test process with a parent-death signal
// (SIGQUIT, PostgreSQL's immediate shutdown), so a test binary that panics
// or is killed leaves no postgres behind; the test's cleanup stops it too.
type PrivatePostgres struct {
	bin  string // directory of initdb, pg_ctl and postgres
	dir  string // owned by the server's user: data/, the socket, server.log
	port int
	cred *syscall.Credential // nil when not root

	mu      sync.Mutex
	closed  bool
	running *exec.Cmd
	exited  chan struct{} // closed when running has been reaped
}

// StartPrivatePostgres creates a cluster (initdb), starts it and stops it
// when the test ends. Without the server binaries it fails the test under
// CI=true and skips it elsewhere, like the other services here.
func StartPrivatePostgres(tb testing.TB) *PrivatePostgres {
	tb.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		unavailable(tb, "PostgreSQL server binaries (initdb, pg_ctl, postgres)", pgInstall, err)
		return nil
	}
	cred, err := serverCredential()
	if err != nil {
		unavailable(tb, "the postgres OS user (initdb refuses root)", pgInstall, err)
		return nil
	}
	p := &PrivatePostgres{bin: bin, port: freePort(tb), cred: cred}
	if p.dir, err = p.makeDir(); err != nil {
		tb.Fatalf("private postgres: %v", err)
	}
	// Registered first, so it runs after the server stopped.
	tb.Cleanup(func() { _ = os.RemoveAll(p.dir) })
	if err := p.initdb(); err != nil {
		tb.Fatalf("private postgres: %v", err)
	}
	tb.Cleanup(p.close)
	if err := p.Start(); err != nil {
		tb.Fatalf("private postgres: %v", err)
	}
	return p
}

// URL is the URL of database db on this server, as the superuser postgres.
func (p *PrivatePostgres) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// Start starts the stopped server on its port and returns once it accepts
// connections. It fails once the test's cleanup has run.
func (p *PrivatePostgres) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("start: the test is over")
	}
	if p.running != nil {
		return errors.New("start: already running")
	}
	log, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer log.Close() // the child has its own copy
	cmd := p.command("postgres", "-D", p.dataDir())
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	p.running, p.exited = cmd, exited
	return p.waitReady(exited, 30*time.Second)
}

// Stop stops the server with `pg_ctl stop -m mode` and waits until it has
// exited. Mode "fast" rolls back open transactions and closes sessions
// cleanly; "immediate" kills every backend at once, like a crash (the next
// start runs crash recovery).
func (p *PrivatePostgres) Stop(mode string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stop(mode)
}

func (p *PrivatePostgres) stop(mode string) error {
	if p.running == nil {
		return nil
	}
	out, err := p.command("pg_ctl", "stop", "-D", p.dataDir(), "-m", mode, "-w", "-t", "30").CombinedOutput()
	if err != nil {
		_ = p.running.Process.Signal(syscall.SIGQUIT)
		err = fmt.Errorf("pg_ctl stop -m %s: %v: %s", mode, err, out)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.running.Process.Kill()
		<-p.exited
		err = errors.Join(err, errors.New("postgres did not exit in 30s; killed"))
	}
	p.running = nil
	return err
}

// close is the test's cleanup: no start after it, and the server stopped.
func (p *PrivatePostgres) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	_ = p.stop("immediate")
}

// waitReady polls until the server answers a query, or fails when the
// server exits first (its log says why).
func (p *PrivatePostgres) waitReady(exited <-chan struct{}, within time.Duration) error {
	db, err := sql.Open("postgres", p.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(p.logPath())
			return fmt.Errorf("postgres exited at start: %s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres on port %d not ready in %v: %w", p.port, within, err)
		}
	}
}

// makeDir creates the cluster's parent directory, owned by the server's
// user (t.TempDir's parents are root's and closed to it).
func (p *PrivatePostgres) makeDir() (string, error) {
	dir, err := os.MkdirTemp("", "rebond-pg-")
	if err != nil {
		return "", err
	}
	if p.cred != nil {
		err = os.Chown(dir, int(p.cred.Uid), int(p.cred.Gid))
	}
	return dir, err
}

// initdb creates the cluster and appends this server's settings.
func (p *PrivatePostgres) initdb() error {
	out, err := p.command("initdb", "-D", p.dataDir(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	conf := fmt.Sprintf("\n# rebond test server\nlisten_addresses = '127.0.0.1'\nport = %d\n"+
		"unix_socket_directories = '%s'\nfsync = off\nfull_page_writes = off\n",
		p.port, p.dir)
	f, err := os.OpenFile(filepath.Join(p.dataDir(), "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// command runs one of the server binaries as the server's user, in dir.
func (p *PrivatePostgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	return cmd
}

func (p *PrivatePostgres) dataDir() string { return filepath.Join(p.dir, "data") }
func (p *PrivatePostgres) logPath() string { return filepath.Join(p.dir, "server.log") }

// postgresBinDir finds the newest Debian-layout server binaries
// (/usr/lib/postgresql/N/bin), else the directory of a postgres on PATH.
func postgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) int { v, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return v }
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	path, err := exec.LookPath("postgres")
	if err != nil {
		return "", errors.New("no /usr/lib/postgresql/*/bin/initdb and no postgres on PATH")
	}
	return filepath.Dir(path), nil
}

// serverCredential is the postgres OS user when running as root, nil
// otherwise (the server then runs as the current user).
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
