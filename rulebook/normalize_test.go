package rulebook

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"address and codes kept", "550 5.1.1 <John.Doe@Example.com>: Recipient address rejected: User unknown",
			"550 5.1.1 <<addr>>: recipient address rejected: user unknown"},
		{"message id", "Message <20261102.ab12@mail.example.org> refused", "message <<addr>> refused"},
		{"ipv4 and host", "host mx1.example.net[192.0.2.17] said: 554 5.7.1 Service unavailable",
			"host <host>[<ip>] said: 554 5.7.1 service unavailable"},
		{"ipv6", "connect to 2001:db8::1 failed", "connect to <ip> failed"},
		{"ipv6 full", "from 2001:db8:0:0:0:0:2:1 refused", "from <ip> refused"},
		{"iso date and time", "Quota exceeded at 2026-11-02T10:00:02Z (try after 10:30)", "quota exceeded at <date> (try after <time>)"},
		{"rfc 5322 date", "deferred since Mon, 2 Nov 2026 10:00:02 +0100", "deferred since <date> <time> +<n>"},
		{"numbers", "Mailbox size 10485760 exceeds limit of 5000 messages", "mailbox size <n> exceeds limit of <n> messages"},
		{"three digits are a reply code only where replies put one", "421 retry in 450 seconds, ref 550",
			"421 retry in <n> seconds, ref <n>"},
		{"multi-line reply", "550-5.7.1 [192.0.2.1 12] Our system has detected", "550-5.7.1 [<ip> <n>] our system has detected"},
		{"hex id", "queue id 4f9a2c1be03d rejected", "queue id <id> rejected"},
		{"uuid", "ref 123e4567-e89b-12d3-a456-426614174000 blocked", "ref <id> blocked"},
		{"queue id mixing letters and digits", "Queued as 4BTPxq0XyzZ, rejected later", "queued as <id>, rejected later"},
		{"short word with digits", "user12 over quota", "user<n> over quota"},
		{"url", "see https://support.google.com/mail/?p=NoSuchUser for details", "see <url> for details"},
		{"whitespace runs", "  mailbox \t full\r\n  try later ", "mailbox full try later"},
		{"control characters and invalid utf-8", "bad\x00byte\xffhere", "bad\ufffdbyte\ufffdhere"},
		{"non-ascii kept, ascii lowered", "Boîte PLEINE", "boîte pleine"},
		{"empty", "", ""},
		{"truncated", strings.Repeat("word ", 300), strings.TrimSpace(strings.Repeat("word ", 205)) + " <more>"},
	}
	for _, tc := range tests {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("%s: Normalize(%q)\n got %q\nwant %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestNormalizeGroups: texts of one cause read the same, texts of two
// causes do not.
func TestNormalizeGroups(t *testing.T) {
	t.Parallel()
	same := [][2]string{
		{"452 4.2.2 <a@x.org> mailbox full (quota 1024 MB) id=A1B2C3D4E5", "452 4.2.2 <bob@y.net> Mailbox FULL (quota 2048 MB) id=Z9Y8X7W6V5"},
		{"Blocked by 198.51.100.4 at 2026-01-01 10:00:00", "blocked by 203.0.113.250 at 2026-12-31 23:59:59"},
	}
	for _, p := range same {
		if a, b := Normalize(p[0]), Normalize(p[1]); a != b {
			t.Errorf("%q and %q differ: %q vs %q", p[0], p[1], a, b)
		}
		if GroupID(channels.Email, Normalize(p[0])) != GroupID(channels.Email, Normalize(p[1])) {
			t.Errorf("group ids differ for %q", p)
		}
	}
	if Normalize("550 5.1.1 user unknown") == Normalize("550 5.7.1 user unknown") {
		t.Error("different enhanced status codes must not group")
	}
	if GroupID(channels.Email, "x") == GroupID(channels.SMS, "x") {
		t.Error("the channel is part of the group")
	}
}

func TestPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		text       string
		matches    []string
		notMatches []string
	}{
		{"address masked", "550 5.1.1 <a@example.com>: Recipient address rejected: user unknown in relay recipient table",
			[]string{"550 5.1.1 <Someone.Else@other.org>: recipient address rejected: USER UNKNOWN in relay recipient table"},
			[]string{"550 5.1.1 <a@example.com>: Recipient address rejected: user unknown", "x 550 5.1.1 <a@example.com>: Recipient address rejected: user unknown in relay recipient table"}},
		{"numbers and ips", "Too many connections from 192.0.2.1 (limit 10)",
			[]string{"too many  connections from 10.0.0.254 (limit 250)"},
			[]string{"Too many connections from mx.example.com (limit 10)"}},
		{"regexp metacharacters are literal", "rejected: (spam) [score 9.5] *high* $1 ^x?",
			[]string{"rejected: (spam) [score 12.25] *high* $7 ^x?"},
			[]string{"rejected: spam score 9.5 high 1 x"}},
	}
	for _, tc := range tests {
		re := regexp.MustCompile("(?i)" + Pattern(tc.text))
		if !re.MatchString(tc.text) {
			t.Errorf("%s: %s does not match its own text", tc.name, re)
		}
		for _, s := range tc.matches {
			if !re.MatchString(s) {
				t.Errorf("%s: %s does not match %q", tc.name, re, s)
			}
		}
		for _, s := range tc.notMatches {
			if re.MatchString(s) {
				t.Errorf("%s: %s matches %q", tc.name, re, s)
			}
		}
	}
}

// FuzzPattern checks the promises of Normalize and Pattern on any text:
// the pattern compiles and matches the text again (case-insensitively, as
// rules match), Normalize is valid UTF-8 without NUL, and neither panics.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{
		"550 5.1.1 <a@example.com>: Recipient address rejected",
		"host mx1.example.net[192.0.2.17] said: 421 4.7.0 try again at 10:30 on 2026-11-02",
		"bad\x00byte\xffhere \u212a", "2001:db8::1", strings.Repeat("x1 ", 500), strings.Repeat("é", 600),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n := Normalize(text)
		if !utf8Valid(n) || strings.ContainsRune(n, 0) {
			t.Fatalf("Normalize(%q) = %q: not storable text", text, n)
		}
		p := Pattern(text)
		re, err := regexp.Compile("(?i)" + p)
		if err != nil {
			t.Fatalf("Pattern(%q) = %q does not compile: %v", text, p, err)
		}
		if !re.MatchString(text) {
			t.Fatalf("Pattern(%q) = %q does not match the text", text, p)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }
