package arch

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/rebond/rebond"

// room is a kind of package in the package map.
type room string

const (
	// core is the vocabulary and the pure policy: stdlib, a few
	// libraries (phonenumbers, yaml), configs' data, nothing else.
	core room = "core"
	// data is configs: the embedded defaults and rule files.
	data room = "data"
	// adapter packages each wrap one outside thing: a source of events
	// (email, sms and their subpackages), NATS, PostgreSQL.
	adapter room = "adapter"
	// app packages are the application, written against the core and
	// the two adapters every role shares, store and natsbus.
	app room = "application"
	// wiring is cmd: it reads configuration and wires everything.
	wiring room = "wiring"
	// support packages serve tests (internal) or run alone (deploy).
	support room = "support"
)

// rooms classifies every package of the module by its top-level folder; a
// package in a folder not listed fails the test, so a new folder is a
// decision written here and in docs/ARCHITECTURE.md.
var rooms = map[string]room{
	"channels": core,
	"configs":  data,
	"email":    adapter,
	"sms":      adapter,
	"natsbus":  adapter,
	"store":    adapter,
	"rulebook": app,
	"workers":  app,
	"api":      app,
	"ui":       app,
	"cmd":      wiring,
	"internal": support,
	"deploy":   support,
}

// mayImport lists, for each room, the rooms its packages may import,
// besides packages of their own top-level folder (sms/smpp imports sms).
// An application package may import an adapter only among shared, below.
var mayImport = map[room][]room{
	core:    {core, data},
	data:    nil,
	adapter: {core, data},
	app:     {core, data, app, adapter},
	wiring:  {core, data, adapter, app, wiring},
	support: nil,
}

// shared are the adapters application packages are written against: the
// event sources (email, sms) reach them only through channels' interfaces
// (Webhook, Publisher), wired by cmd, so only cmd imports everything.
var shared = map[string]bool{"store": true, "natsbus": true}

// top is the top-level folder of a package path relative to the module.
func top(rel string) string {
	t, _, _ := strings.Cut(rel, "/")
	return t
}

// allowed says why from may not import to ("" when it may).
func allowed(from, to string) string {
	if top(from) == top(to) {
		return ""
	}
	fr, tr := rooms[top(from)], rooms[top(to)]
	ok := false
	for _, r := range mayImport[fr] {
		ok = ok || r == tr
	}
	switch {
	case !ok:
		return string(fr) + " packages may not import " + string(tr) + " packages"
	case fr == app && tr == adapter && !shared[top(to)]:
		return "application packages may import no adapter but store and natsbus"
	}
	return ""
}

// imports runs go list on the module and returns each package's imports
// of other module packages, by paths relative to the module. Only the
// packages' own files count: a test may import more (a rules test reads
// real bounces with the email parser).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go list needs the go command: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	rel := func(p string) (string, bool) {
		if p == module {
			return "", true
		}
		return strings.CutPrefix(p, module+"/")
	}
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		p, _ := rel(f[0])
		pkgs[p] = []string{}
		for _, imp := range f[1:] {
			if r, ok := rel(imp); ok {
				pkgs[p] = append(pkgs[p], r)
			}
		}
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages:\n%s", len(pkgs), out)
	}
	return pkgs
}

// TestPackageMap checks the package map of docs/ARCHITECTURE.md against
// go list: the core imports no adapter or application package, adapters
// never import each other, application packages import no event source,
// nothing imports cmd or a test helper, and every package has a room.
func TestPackageMap(t *testing.T) {
	t.Parallel()
	for p, imps := range imports(t) {
		if _, ok := rooms[top(p)]; !ok {
			t.Errorf("%s: folder %s has no room in the package map (rooms in arch_test.go, docs/ARCHITECTURE.md)", p, top(p))
			continue
		}
		for _, imp := range imps {
			if why := allowed(p, imp); why != "" {
				t.Errorf("%s imports %s: %s", p, imp, why)
			}
		}
	}
}

// TestAllowed pins the rules themselves, so that loosening one is a
// visible change.
func TestAllowed(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"channels/lifecycle", "channels", true},
		{"channels/providers", "configs", true},
		{"channels/rules", "store", false},
		{"channels", "natsbus", false},
		{"channels/lifecycle", "rulebook", false},
		{"sms/smpp", "sms", true},
		{"email/esp", "email", true},
		{"sms", "email", false},
		{"email/inbound", "natsbus", false},
		{"natsbus", "store", false},
		{"store", "rulebook", false},
		{"rulebook", "store", true},
		{"workers", "natsbus", true},
		{"api", "rulebook", true},
		{"api", "sms", false},
		{"workers", "email", false},
		{"ui", "cmd/rebond", false},
		{"store", "internal/testsvc", false},
		{"cmd/rebond", "sms/smpp", true},
		{"configs", "channels", false},
	} {
		if got := allowed(c.from, c.to) == ""; got != c.ok {
			t.Errorf("allowed(%s, %s) = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}
