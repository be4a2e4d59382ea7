package builtin

import (
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
)

// TestGeneratedMatchesYAML checks that rules_gen.go holds exactly what
// rules.Parse reads from configs/rules/*.yaml, file by file.
func TestGeneratedMatchesYAML(t *testing.T) {
	const fix = "rules_gen.go is stale: run `go generate ./channels/rules/builtin` (make generate)"
	names, err := fs.Glob(configs.Files, "rules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, f := range files {
		have = append(have, f.name)
	}
	if !slices.Equal(names, have) {
		t.Fatalf("%s: files %q, want %q", fix, have, names)
	}
	for i, name := range names {
		data, err := fs.ReadFile(configs.Files, name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := rules.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := files[i].rules
		if len(got) != len(want) {
			t.Errorf("%s: %s: %d rules, want %d", fix, name, len(got), len(want))
			continue
		}
		for j := range want {
			if !reflect.DeepEqual(got[j], want[j]) {
				t.Errorf("%s: %s: rule %d is\n%+v\nwant\n%+v", fix, name, j, got[j], want[j])
			}
		}
	}
}

// TestLoad checks that Load gives the rules rules.Load gives over the same
// files, and its errors.
func TestLoad(t *testing.T) {
	for _, pattern := range []string{"rules/*.yaml", "rules/email*.yaml", "rules/sms.yaml"} {
		got, err := Load(pattern)
		if err != nil {
			t.Fatalf("Load(%q): %v", pattern, err)
		}
		want, err := rules.Load(configs.Files, pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range []channels.Channel{channels.Email, channels.SMS} {
			if g, w := got.Rules(ch), want.Rules(ch); !reflect.DeepEqual(g, w) {
				t.Errorf("Load(%q): %s rules differ from rules.Load's (%d, want %d)", pattern, ch, len(g), len(w))
			}
		}
	}
	if s, _ := Load("rules/email*.yaml"); len(s.Rules(channels.SMS)) != 0 || len(s.Rules(channels.Email)) == 0 {
		t.Errorf("Load(email*) has %d sms and %d email rules", len(s.Rules(channels.SMS)), len(s.Rules(channels.Email)))
	}
	for pattern, want := range map[string]string{
		"rules/none*.yaml": `load rules "rules/none*.yaml": no file matches`,
		"rules/[.yaml":     `load rules "rules/[.yaml": syntax error in pattern`,
	} {
		if _, err := Load(pattern); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want %q", pattern, err, want)
		}
	}
}
