package rulebook_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

// fakeStore has the operator rules only; any other call panics.
type fakeStore struct {
	rulebook.Store
	overrides []store.RuleOverride
}

func (f fakeStore) RuleOverrides(context.Context) ([]store.RuleOverride, error) {
	return f.overrides, nil
}

// fakeParsers stand in for packages email and sms.
var fakeParsers = rulebook.Parsers{
	Mail: func(raw []byte) ([]channels.Event, error) {
		if !strings.HasPrefix(string(raw), "From:") {
			return nil, errors.New("not a mail message")
		}
		e := channels.Event{Channel: channels.Email, Type: channels.Failed, Recipient: "a@example.com", SMTP: &channels.SMTPReply{Code: 550, Status: "5.1.1", Text: "user unknown"}}
		return []channels.Event{e, e}, nil
	},
	Reply: func(s string) (channels.SMTPReply, error) {
		if len(s) < 3 {
			return channels.SMTPReply{}, errors.New("no reply code")
		}
		code := int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
		return channels.SMTPReply{Code: code, Text: strings.TrimSpace(s[3:])}, nil
	},
	Receipt: func(format string, payload []byte, dialect string) (channels.Event, error) {
		if format != "smpp-text" {
			return channels.Event{}, errors.New("unknown format")
		}
		return channels.Event{Channel: channels.SMS, Type: channels.Failed, SMS: &channels.SMSReceipt{Stat: "UNDELIV", Err: "001", Dialect: dialect}}, nil
	},
}

func TestExplainSamples(t *testing.T) {
	t.Parallel()
	builtin, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	override := rules.Rule{ID: "email.text.acme", Version: 1, Channel: channels.Email, Priority: 900, Match: rules.Match{Text: "acme"},
		Verdict: rules.Verdict{Outcome: channels.OutcomeSoft, Reason: "blocked"}}
	book := rulebook.New(fakeStore{overrides: []store.RuleOverride{{Rule: override, State: store.RuleActive}}}, builtin,
		rulebook.Config{Parsers: fakeParsers})
	bare := rulebook.New(fakeStore{}, builtin, rulebook.Config{})
	tests := []struct {
		name   string
		book   *rulebook.Book
		sample rulebook.Sample
		events int
		rule   string // the verdict's rule, of the first event
		typ    channels.Type
		err    string
	}{
		{"event", book, rulebook.Sample{Event: json.RawMessage(`{"channel":"email","type":"failed","smtp":{"code":550,"status":"5.1.1"}}`)},
			1, "email.status.5.1.1@2", channels.Failed, ""},
		{"an operator rule decides", book, rulebook.Sample{Event: json.RawMessage(`{"channel":"email","type":"failed","smtp":{"text":"ACME refused"}}`)},
			1, "email.text.acme@1", channels.Failed, ""},
		{"reply 5xx", book, rulebook.Sample{Reply: "550 5.1.1 user unknown", Provider: "ses"}, 1, "", channels.Failed, ""},
		{"reply 4xx is deferred", book, rulebook.Sample{Reply: "452 mailbox full"}, 1, "", channels.Deferred, ""},
		{"reply 2xx is delivered", book, rulebook.Sample{Reply: "250 ok"}, 1, "email.type.delivered@1", channels.Delivered, ""},
		{"mail", book, rulebook.Sample{Mail: "From: mailer-daemon\r\n\r\nbounce"}, 2, "email.status.5.1.1@2", channels.Failed, ""},
		{"receipt", book, rulebook.Sample{Receipt: &rulebook.Receipt{Format: "smpp-text", Payload: "id:1 stat:UNDELIV err:001", Dialect: "map"}},
			1, "", channels.Failed, ""},
		{"nothing", book, rulebook.Sample{}, 0, "", "", "exactly one"},
		{"two samples", book, rulebook.Sample{Reply: "550 x", Mail: "From: x"}, 0, "", "", "exactly one"},
		{"event with an unknown field", book, rulebook.Sample{Event: json.RawMessage(`{"channel":"email","type":"failed","colour":1}`)}, 0, "", "", "unknown field"},
		{"event without channel", book, rulebook.Sample{Event: json.RawMessage(`{"type":"failed"}`)}, 0, "", "", "channel"},
		{"event with a bad type", book, rulebook.Sample{Event: json.RawMessage(`{"channel":"sms","type":"lost"}`)}, 0, "", "", "type"},
		{"bad reply", book, rulebook.Sample{Reply: "5"}, 0, "", "", "no reply code"},
		{"not a mail", book, rulebook.Sample{Mail: "hello"}, 0, "", "", "not a mail"},
		{"bad receipt", book, rulebook.Sample{Receipt: &rulebook.Receipt{Format: "fax"}}, 0, "", "", "unknown format"},
		{"no mail parser", bare, rulebook.Sample{Mail: "From: x"}, 0, "", "", "reads no bounce mail"},
		{"no reply parser", bare, rulebook.Sample{Reply: "550 x"}, 0, "", "", "reads no SMTP replies"},
		{"no receipt parser", bare, rulebook.Sample{Receipt: &rulebook.Receipt{Format: "smpp-text"}}, 0, "", "", "reads no SMS receipts"},
	}
	for _, tc := range tests {
		ex, err := tc.book.Explain(context.Background(), tc.sample)
		if tc.err != "" {
			if !errors.Is(err, rulebook.ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want ErrInvalid with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || len(ex) != tc.events {
			t.Errorf("%s: %d explanations, %v; want %d", tc.name, len(ex), err, tc.events)
			continue
		}
		x := ex[0]
		if x.Event.Type != tc.typ || len(x.Trace.Steps) == 0 || x.Trace.Verdict.Rule == "" {
			t.Errorf("%s: %+v", tc.name, x)
		}
		if tc.rule != "" && x.Trace.Verdict.Rule != tc.rule {
			t.Errorf("%s: decided by %s, want %s", tc.name, x.Trace.Verdict.Rule, tc.rule)
		}
		if last := x.Trace.Steps[len(x.Trace.Steps)-1]; !x.Trace.Fallback && (!last.Matched || last.Rule != x.Trace.Verdict.Rule) {
			t.Errorf("%s: the last step %+v is not the deciding rule %s", tc.name, last, x.Trace.Verdict.Rule)
		}
	}
}
