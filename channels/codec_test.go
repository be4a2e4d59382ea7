package channels

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const okEvent = `{"channel":"email","type":"failed","message_id":"m1","recipient":"Bob <Bob@Example.ORG>",
	"occurred_at":"2026-11-02T10:00:00+01:00","smtp":{"code":550,"status":"5.1.1","text":"user unknown"}}`

func TestDecodeEvent(t *testing.T) {
	tests := []struct {
		name, in, field string // field: the FieldError's field, "-" for a non-field malformed error
	}{
		{"valid", okEvent, ""},
		{"unknown field", `{"channel":"email","type":"sent","message_id":"m","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z","colour":1}`, "-"},
		{"trailing data", okEvent + `{}`, "-"},
		{"not json", `{"channel":`, "-"},
		{"bad channel", `{"channel":"fax","type":"sent","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z"}`, "channel"},
		{"bad type", `{"channel":"email","type":"bounced","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z"}`, "type"},
		{"no time", `{"channel":"email","type":"failed","recipient":"a@b.c"}`, "occurred_at"},
		{"year 10000", `{"channel":"email","type":"failed","recipient":"a@b.c","occurred_at":"9999-12-31T23:59:59-01:00"}`, "occurred_at"},
		{"bad time", `{"channel":"email","type":"failed","recipient":"a@b.c","occurred_at":"yesterday"}`, "-"},
		{"no recipient", `{"channel":"email","type":"failed","occurred_at":"2026-11-02T10:00:00Z"}`, "recipient"},
		{"bad address", `{"channel":"email","type":"failed","recipient":"nobody","occurred_at":"2026-11-02T10:00:00Z"}`, "recipient"},
		{"bad number", `{"channel":"sms","type":"failed","recipient":"+33 6 12 ab","occurred_at":"2026-11-02T10:00:00Z"}`, "recipient"},
		{"sent needs message_id", `{"channel":"sms","type":"sent","recipient":"+33612345678","occurred_at":"2026-11-02T10:00:00Z"}`, "message_id"},
		{"bad reply code", `{"channel":"email","type":"failed","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z","smtp":{"code":99}}`, "smtp.code"},
		{"future schema", `{"schema":2,"channel":"email","type":"failed","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z"}`, "schema"},
		{"long campaign", `{"channel":"email","type":"failed","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z","campaign":"` + strings.Repeat("x", MaxIDLen+1) + `"}`, "campaign"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := DecodeEvent([]byte(tc.in))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("DecodeEvent: %v", err)
				}
				if e.ID == "" || e.Schema != SchemaVersion || e.Recipient != "bob@example.org" || e.OccurredAt.Location().String() != "UTC" {
					t.Errorf("not normalized: %+v", e)
				}
				return
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			var fe *FieldError
			if tc.field != "-" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Errorf("err = %v, want a FieldError on %q", err, tc.field)
			}
		})
	}
}

func TestNormalizeRecipient(t *testing.T) {
	tests := []struct {
		ch       Channel
		in, want string
	}{
		{Email, " Alice@Example.COM ", "alice@example.com"},
		{Email, `"Alice A." <alice@example.com>`, "alice@example.com"},
		{SMS, "+33 6 12-34.56(78)", "33612345678"},
		{SMS, "447700900123", "447700900123"},
		{SMS, "+1234567890123456", ""},
		{SMS, "12", ""},
		{Email, "@example.com", ""},
		{Email, strings.Repeat("a", 320) + "@b.c", ""},
		// RFC 5321 section 4.1.2: a Quoted-string local part keeps its
		// quotes when a Dot-string cannot say it, and loses them when it
		// can.
		{Email, `"John Doe"@Example.com`, `"john doe"@example.com`},
		{Email, `"a..b"@example.com`, `"a..b"@example.com`},
		{Email, `"a@b"@example.com`, `"a@b"@example.com`},
		{Email, `"a\"b"@example.com`, `"a\"b"@example.com`},
		{Email, `"a\\b"@example.com`, `"a\\b"@example.com`},
		{Email, `"a\ b"@example.com`, `"a b"@example.com`},
		{Email, `"john"@example.com`, "john@example.com"},
		{Email, `Ann <"x y"@example.com>`, `"x y"@example.com`},
		{Email, `john doe@example.com`, ""},
		{Email, `a..b@example.com`, ""},
	}
	for _, tc := range tests {
		got, err := NormalizeRecipient(tc.ch, tc.in)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("NormalizeRecipient(%s, %q) = %q, %v; want %q", tc.ch, tc.in, got, err, tc.want)
		}
		if err != nil {
			continue
		}
		if again, err := NormalizeRecipient(tc.ch, got); again != got || err != nil {
			t.Errorf("NormalizeRecipient(%s, %q) again = %q, %v; want it unchanged", tc.ch, got, again, err)
		}
	}
}

// FuzzNormalizeRecipient: a normalized address normalizes to itself, so
// whatever one path accepts every later path accepts too (the API
// normalizes an event, the bridge normalizes it again).
func FuzzNormalizeRecipient(f *testing.F) {
	for _, s := range []string{`"john doe"@example.com`, `"a..b"@example.com`, `"a\"b"@x.org`, "a@b.c", `Ann <"x y"@example.com>`, "+33 6 12 34 56 78", `"é x"@example.com`, "a@[127.0.0.1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, ch := range []Channel{Email, SMS} {
			got, err := NormalizeRecipient(ch, s)
			if err != nil {
				continue
			}
			again, err := NormalizeRecipient(ch, got)
			if err != nil || again != got {
				t.Fatalf("NormalizeRecipient(%s, %q) = %q; again: %q, %v", ch, s, got, again, err)
			}
		}
	})
}

func TestDeriveIDIsStable(t *testing.T) {
	a, err := DecodeEvent([]byte(okEvent))
	if err != nil {
		t.Fatal(err)
	}
	spaced := strings.ReplaceAll(okEvent, `",`, `" ,`+"\n\t")
	spaced = strings.Replace(spaced, `"email"`, `"email","raw":"whatever"`, 1)
	b, err := DecodeEvent([]byte(spaced))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID {
		t.Errorf("same fact, different ids: %s %s", a.ID, b.ID)
	}
	// The same instant in another zone is the same fact.
	c, err := DecodeEvent([]byte(strings.Replace(okEvent, "2026-11-02T10:00:00+01:00", "2026-11-02T09:00:00Z", 1)))
	if err != nil || c.ID != a.ID {
		t.Errorf("zone changed the id: %s %s (%v)", a.ID, c.ID, err)
	}
	d, _ := DecodeEvent([]byte(strings.Replace(okEvent, "5.1.1", "5.1.2", 1)))
	if d.ID == a.ID {
		t.Error("different diagnostics gave the same id")
	}
	e, _ := DecodeEvent([]byte(strings.Replace(okEvent, `"channel"`, `"id":"mine","channel"`, 1)))
	if e.ID != "mine" {
		t.Errorf("a producer's id must be kept, got %q", e.ID)
	}
}

func TestSplitBatch(t *testing.T) {
	for in, want := range map[string]int{okEvent: 1, "[" + okEvent + "," + okEvent + "]": 2, "[]": 0, " [ {} ] ": 1} {
		items, err := SplitBatch([]byte(in))
		if err != nil || len(items) != want {
			t.Errorf("SplitBatch(%.20q) = %d items, %v; want %d", in, len(items), err, want)
		}
	}
	for _, in := range []string{"", "  ", "[1,", "[{}"} {
		if _, err := SplitBatch([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("SplitBatch(%q) = %v, want ErrMalformed", in, err)
		}
	}
}

// FuzzDecodeEvent feeds arbitrary bodies to the ingestion decoder: it must
// never panic, must only fail with ErrMalformed, and an accepted event must
// survive a re-encode with the same id (what NATS publishers rely on).
func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(okEvent))
	f.Add([]byte(`{"channel":"sms","type":"failed","recipient":"+447700900123","occurred_at":"2026-11-02T10:00:00Z","sms":{"stat":"UNDELIV","err":"001","message_state":5}}`))
	f.Add([]byte(`{"channel":"email","type":"sent","message_id":"m","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z","sync":true}`))
	f.Add([]byte(`[{"channel":"email"}]`))
	f.Add([]byte(`{"channel":"email","type":"failed","recipient":"\"john doe\"@example.com","occurred_at":"2026-11-02T10:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEvent(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := DecodeEvent(b)
		if err != nil {
			t.Fatalf("an accepted event does not decode again: %v\n%s", err, b)
		}
		if again.ID != e.ID || again.Recipient != e.Recipient {
			t.Fatalf("round trip changed the event: %+v != %+v", again, e)
		}
	})
}

func TestControlCharacters(t *testing.T) {
	for _, field := range []string{"id", "message_id", "campaign", "provider"} {
		in := `{"channel":"email","type":"sent","message_id":"m","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z","` + field + `":"a\u0000b"}`
		if field == "message_id" {
			in = `{"channel":"email","type":"sent","message_id":"m\u0000","recipient":"a@b.c","occurred_at":"2026-11-02T10:00:00Z"}`
		}
		var fe *FieldError
		if _, err := DecodeEvent([]byte(in)); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s with NUL: %v, want a FieldError on it", field, err)
		}
	}
	e, err := DecodeEvent([]byte(`{"channel":"sms","type":"failed","recipient":"447700900123","occurred_at":"2026-11-02T10:00:00Z",
		"sms":{"stat":"UNDEL\u0000IV"},"raw":"x\u0000y"}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.SMS.Stat != "UNDEL?IV" || e.Raw != "x?y" {
		t.Errorf("free text keeps the fact, minus the NUL: %q %q", e.SMS.Stat, e.Raw)
	}
	e = Event{Channel: Email, Type: Failed, Recipient: "a@b.c", OccurredAt: time.Now(), SMTP: &SMTPReply{Text: "bad \xff utf8"}}
	if err := e.Normalize(); err != nil || e.SMTP.Text != "bad ? utf8" {
		t.Errorf("invalid UTF-8: %q %v", e.SMTP.Text, err)
	}
}
