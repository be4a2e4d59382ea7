package ui

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSessionValues(t *testing.T) {
	t.Parallel()
	s := newSessions(testToken, nil)
	now := demoNow
	exp := now.Add(sessionTTL)
	good := s.sign(claim{exp: exp})
	stored := s.sign(claim{exp: exp, token: 42})
	// signed makes a value whose mac is right over any payload: what a
	// bug in sign could produce, which verify must still refuse.
	signed := func(payload string) string {
		return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
	}
	expText := strconv.FormatInt(exp.Unix(), 10)
	cases := []struct {
		name  string
		value string
		ok    bool
		token int64
	}{
		{"fresh", good, true, 0},
		{"stored token", stored, true, 42},
		{"expired", s.sign(claim{exp: now.Add(-time.Second)}), false, 0},
		{"ends now", s.sign(claim{exp: now}), false, 0},
		{"lasts too long", s.sign(claim{exp: now.Add(sessionTTL + time.Hour)}), false, 0},
		{"other key", newSessions("other", nil).sign(claim{exp: now.Add(time.Hour)}), false, 0},
		{"expiry changed", strings.Replace(good, "."+expText+".", ".9"+expText[1:]+".", 1), false, 0},
		{"token made admin", strings.Replace(stored, ".42.", ".admin.", 1), false, 0},
		{"admin made a token", strings.Replace(good, ".admin.", ".42.", 1), false, 0},
		{"other token", strings.Replace(stored, ".42.", ".43.", 1), false, 0},
		{"mac cut", good[:len(good)-2], false, 0},
		{"no mac", "v2." + expText + ".admin", false, 0},
		{"old version", signed("v1." + expText), false, 0},
		{"other version", "v1" + good[2:], false, 0},
		{"token zero", signed("v2." + expText + ".0"), false, 0},
		{"token negative", signed("v2." + expText + ".-3"), false, 0},
		{"token not a number", signed("v2." + expText + ".root"), false, 0},
		{"no subject", signed("v2." + expText), false, 0},
		{"extra part", signed("v2." + expText + ".admin.x"), false, 0},
		{"empty", "", false, 0},
		{"dots", "...", false, 0},
		{"not a number", signed("v2.soon.admin"), false, 0},
		{"too long", good + strings.Repeat("A", maxCookieLen), false, 0},
	}
	for _, c := range cases {
		cl, err := s.verify(c.value, now)
		if (err == nil) != c.ok || cl.token != c.token {
			t.Errorf("%s: verify(%q) = %+v, %v; want ok=%v, token %d", c.name, c.value, cl, err, c.ok, c.token)
		}
	}
	explicit := newSessions(testToken, []byte(strings.Repeat("k", 32)))
	if _, err := explicit.verify(good, now); err == nil {
		t.Error("a configured session key accepts sessions signed with the derived one")
	}
}

func TestTokenCheck(t *testing.T) {
	t.Parallel()
	s := newSessions(testToken, nil)
	for _, c := range []struct {
		in string
		ok bool
	}{{testToken, true}, {"", false}, {testToken[:5], false}, {testToken + " ", false}, {strings.ToUpper(testToken), false}} {
		if got := s.tokenOK(c.in); got != c.ok {
			t.Errorf("tokenOK(%q) = %v, want %v", c.in, got, c.ok)
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"/ui/campaigns?range=7", "/ui/campaigns?range=7"},
		{"/ui/campaign?channel=email&name=a%2Fb", "/ui/campaign?channel=email&name=a%2Fb"},
		{"", "/ui/"},
		{"/ui/login", "/ui/"},
		{"https://evil.example/ui/", "/ui/"},
		{"//evil.example", "/ui/"},
		{"/ui//evil.example", "/ui/"},
		{"/ui/\\evil", "/ui/"},
		{"/ui/x\r\nSet-Cookie: a=b", "/ui/"},
		{"/v1/rates", "/ui/"},
		{"/ui/" + strings.Repeat("a", 3000), "/ui/"},
	} {
		if got := safeNext(c.in); got != c.want {
			t.Errorf("safeNext(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseFilter(t *testing.T) {
	t.Parallel()
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		name     string
		query    string
		from, to time.Time
		channel  string
		notices  int
	}{
		{"default", "", day(10, 24), day(11, 23), "", 0},
		{"preset", "range=7", day(11, 16), day(11, 23), "", 0},
		{"today", "range=1&channel=sms", day(11, 22), day(11, 23), "sms", 0},
		{"custom", "from=2026-11-01&to=2026-11-07", day(11, 1), day(11, 8), "", 0},
		{"custom one day", "from=2026-11-01&to=2026-11-01", day(11, 1), day(11, 2), "", 0},
		{"only to", "to=2026-11-10", day(10, 12), day(11, 11), "", 0},
		{"only from", "from=2026-11-20", day(11, 20), day(11, 23), "", 0},
		{"reversed", "from=2026-11-07&to=2026-11-01", day(10, 24), day(11, 23), "", 1},
		{"too long", "from=2020-01-01&to=2026-11-01", day(10, 24), day(11, 23), "", 1},
		{"bad date", "from=yesterday", day(10, 24), day(11, 23), "", 1},
		{"bad range", "range=2", day(10, 24), day(11, 23), "", 1},
		{"bad channel", "channel=fax", day(10, 24), day(11, 23), "", 1},
	}
	for _, c := range cases {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		f, notices := parseFilter(q, demoNow)
		if !f.From.Equal(c.from) || !f.To.Equal(c.to) || string(f.Channel) != c.channel || len(notices) != c.notices {
			t.Errorf("%s: parseFilter(%q) = %s..%s %q, %q; want %s..%s %q with %d notices", c.name, c.query,
				f.From.Format(dayLayout), f.To.Format(dayLayout), f.Channel, notices, c.from.Format(dayLayout), c.to.Format(dayLayout), c.channel, c.notices)
		}
		if f.Days != int(f.To.Sub(f.From)/(24*time.Hour)) {
			t.Errorf("%s: Days = %d for %s..%s", c.name, f.Days, f.From, f.To)
		}
	}
}

// FuzzSessionVerify feeds cookie values (attacker-controlled) to verify:
// it must never panic, and accept only what sign made.
func FuzzSessionVerify(f *testing.F) {
	s := newSessions(testToken, nil)
	f.Add(s.sign(claim{exp: demoNow.Add(time.Hour)}))
	f.Add(s.sign(claim{exp: demoNow.Add(time.Hour), token: 7}))
	f.Add("v2.1800000000.admin.AAAA")
	f.Add("v2...")
	f.Add("")
	f.Fuzz(func(t *testing.T, value string) {
		c, err := s.verify(value, demoNow)
		if err != nil {
			return
		}
		if value != s.sign(c) {
			t.Fatalf("verify accepted %q, which sign did not make", value)
		}
	})
}

// FuzzParseFilter feeds query strings (from any link) to parseFilter: it
// must never panic and always return a usable range.
func FuzzParseFilter(f *testing.F) {
	f.Add("range=7&channel=email")
	f.Add("from=2026-11-01&to=2026-11-07")
	f.Add("from=0001-01-01&to=9999-12-31")
	f.Add("from=%ZZ")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		fl, _ := parseFilter(q, demoNow)
		if fl.Days < 1 || fl.Days > maxDays || !fl.From.Before(fl.To) || (fl.Channel != "" && !fl.Channel.Valid()) {
			t.Fatalf("parseFilter(%q) = %+v", query, fl)
		}
	})
}
