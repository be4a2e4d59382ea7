package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/email"
)

func TestPrefilter(t *testing.T) {
	t.Parallel()
	type groups = [][]string
	tests := []struct {
		name, pattern string
		want          groups // nil: no prefilter, the expression always runs
	}{
		{"literal", "(?i)User Unknown", groups{{"user unknown"}}},
		{"alternation", "(?i)virus|malware", groups{{"virus", "malware"}}},
		{"product", "(?i)no such (user|mailbox)", groups{{"no such user", "no such mailbox"}}},
		{"optional part", "(?i)mailbox (is )?full", groups{{"mailbox is full", "mailbox full"}}},
		{"every part of a concat, best first", `(?i)\bip \S* blocked`, groups{{" blocked"}, {"ip "}}},
		{"small class joins the run", "(?i)does n[o']t exist", groups{{"does n't exist", "does not exist"}}},
		{"digit class joins the run", `(?i)\bib(50[468]|607)\b`, groups{{"ib504", "ib506", "ib508", "ib607"}}},
		{"folded class with ſ and the Kelvin sign", "(?i)ma[sk]s", groups{{"maks", "mass"}}},
		{"large class breaks the run", "(?i)does n[a-z]t exist", groups{{"t exist"}, {"does n"}}},
		{"alternation of concats distributes", `(?i)(spf|dkim).{0,9}fail|unauthenticated`,
			groups{{"fail", "unauthenticated"}, {"spf", "dkim", "unauthenticated"}}},
		{"at most maxGroups, the best", `(?i)aaaaa\S*bbbb\S*ccc\S*dd\S*e`, groups{{"aaaaa"}, {"bbbb"}, {"ccc"}, {"dd"}}},
		{"empty branch", "(?i)spam|", nil},
		{"star only", "(?i).*", nil},
		{"optional only", "(?i)(spam)?", nil},
		{"non-ascii literal", "(?i)é", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got groups
			for _, g := range prefilter(tt.pattern) {
				var lits []string
				for _, l := range g {
					lits = append(lits, string(l.text))
				}
				got = append(got, lits)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("prefilter(%q) (-want +got):\n%s", tt.pattern, diff)
			}
		})
	}
}

// TestFoldToASCII proves appendFold's premise: ſ (U+017F) and the Kelvin
// sign (U+212A) are the only non-ASCII runes that case-fold to an ASCII
// letter, so folding ASCII plus those two keeps every (?i) literal match.
func TestFoldToASCII(t *testing.T) {
	t.Parallel()
	var got []rune
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < 0x80 {
				got = append(got, r)
				break
			}
		}
	}
	if diff := cmp.Diff([]rune{0x17F, 0x212A}, got); diff != "" {
		t.Errorf("non-ASCII runes folding to ASCII (-want +got):\n%s", diff)
	}
	if got := string(appendFold(nil, "ÉTÉ ſpam \u212Aill OK")); got != "ÉtÉ spam kill ok" {
		t.Errorf("appendFold = %q", got)
	}
}

// TestPrefilterShipped checks, on texts around every shipped expression,
// that a prefilter never rejects a text its expression matches.
func TestPrefilterShipped(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	texts := []string{
		"550 5.1.1 User Unknown", "MAILBOX FULL", "Message Size Exceeds limit", "ſender address rejected",
		"blocked using zen.spamhaus.org", "Relaying Denied", "SPF check failed", "Too Many Connections",
		"rate limited", "account disabled", "no such domain", "Host or domain name not found", "virus found",
	}
	for _, c := range set.email.live {
		if c.text.pattern == "" {
			continue
		}
		re, lits := c.text.get()
		for _, text := range texts {
			checkPrefilter(t, c.rule.Key(), re, lits, text)
			checkPrefilter(t, c.rule.Key(), re, lits, strings.ToUpper(text))
		}
	}
}

// TestPrefilterCorpus checks every shipped expression's prefilter on the
// diagnostics of the email corpus (real texts, and upper-cased): none that
// the expression matches is rejected.
func TestPrefilterCorpus(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	paths, err := filepath.Glob("../../email/testdata/corpus/maildir/bsd/*.eml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("corpus: %v (%d files)", err, len(paths))
	}
	texts := map[string]bool{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := email.Parse(raw)
		if err != nil {
			continue
		}
		for _, e := range rep.Events(email.EventOptions{MaxRaw: -1}) {
			if e.SMTP != nil && e.SMTP.Text != "" {
				texts[e.SMTP.Text] = true
			}
		}
	}
	if len(texts) < 100 {
		t.Fatalf("%d diagnostics from %d corpus mails, want 100 or more", len(texts), len(paths))
	}
	matched := 0
	for _, c := range set.email.live {
		if c.text.pattern == "" {
			continue
		}
		re, lits := c.text.get()
		for text := range texts {
			if re.MatchString(text) {
				matched++
			}
			checkPrefilter(t, c.rule.Key(), re, lits, text)
			checkPrefilter(t, c.rule.Key(), re, lits, strings.ToUpper(text))
		}
	}
	if matched < len(texts)/2 {
		t.Errorf("only %d matches of %d texts: the check tests little", matched, len(texts))
	}
}

func checkPrefilter(t *testing.T, name string, re *regexp.Regexp, lits [][]literal, text string) {
	t.Helper()
	var sc scratch
	sc.load(text)
	if lits != nil && re.MatchString(text) && !sc.containsAll(lits) {
		t.Errorf("%s: prefilter rejects %q, which the expression matches", name, text)
	}
}

// FuzzPrefilter checks the prefilter's one promise on arbitrary patterns
// and texts: when the expression matches, a literal is present.
func FuzzPrefilter(f *testing.F) {
	f.Add("no such (user|mailbox)", "550 No Such User")
	f.Add("mailbox (is )?full", "MAILBOX IS FULL")
	f.Add(`\bip \S* ?(is )?blocked`, "IP 192.0.2.1 is BLOCKED")
	f.Add("ks", "\u212Aſ")
	f.Add(`(spf|dkim).{0,9}fail|unauthenticated`, "DKIM check: FAIL")
	f.Add(`a+b?(c|d)\S*(e|f)g`, "aacxxfg")
	f.Fuzz(func(t *testing.T, pattern, text string) {
		re, err := regexp.Compile("(?i)" + pattern)
		if err != nil {
			return
		}
		checkPrefilter(t, pattern, re, prefilter("(?i)"+pattern), text)
	})
}
