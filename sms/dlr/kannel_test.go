package dlr_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rebond/rebond/sms/dlr"
)

// Kannel, Jasmin and Infobip sign nothing and send no timestamp: there is
// no stale case, only the shared secret.

func TestParseKannel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, dialect string
		want               string
	}{
		{
			name: "type 8: accepted by the SMSC, a pending step of the sender's message",
			raw:  "ref=m1&type=8&answer=ACK%2F&fid=5F3A1B00&from=447700900123&ts=1795348822",
			want: "deferred|kannel|m1|447700900123|DLR_SMSC_SUCCESS||kannel||-",
		},
		{
			name: "type 1 with receipt text and dlr_err",
			raw:  "type=1&answer=id%3A5F3A1B00+stat%3ADELIVRD+err%3A000&fid=5F3A1B00&meta=%3Fsmpp%3Fdlr_err%3D%2503%2500%2500%26",
			want: "delivered|kannel|5F3A1B00||DELIVRD|000||030000|-",
		},
		{
			name:    "made-up dlr_err is dropped when the connection has its own dialect",
			raw:     "type=2&answer=id%3A1+stat%3AUNDELIV+err%3A009&fid=1&meta=%3Fsmpp%3Fdlr_err%3D%2503%2500%2509%26",
			dialect: "twilio-smpp",
			want:    "failed|kannel|1||UNDELIV|009|twilio-smpp||-",
		},
		{
			name:    "a real network_error_code TLV stays",
			raw:     "type=2&answer=id%3A1+stat%3AUNDELIV+err%3A009&fid=1&meta=%3Fsmpp%3Fdlr_err%3D%2503%2500%2501%26",
			dialect: "twilio-smpp",
			want:    "failed|kannel|1||UNDELIV|009|twilio-smpp|030001|-",
		},
		{
			name: "type 34: failed with the expired bit",
			raw:  "type=34&answer=id%3A2+stat%3AEXPIRED+err%3A027&fid=2",
			want: "failed|kannel|2||EXPIRED|027|||-",
		},
		{
			name: "type 4 without anything else",
			raw:  "myId=123456&type=4",
			want: "deferred|kannel|123456||DLR_BUFFERED||kannel||-",
		},
		{
			name: "type 16 with a NACK",
			raw:  "type=16&answer=NACK%2F0x0000000b%2FInvalid+Destination+Address&fid=9",
			want: "failed|kannel|9||ESME_RINVDSTADR|11|kannel||-",
		},
		{
			name: "type 16, unknown command_status",
			raw:  "type=16&answer=NACK%2F0x00000400%2Fvendor&fid=9",
			want: "failed|kannel|9||DLR_SMSC_FAIL|1024|kannel||-",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := dlr.ParseKannel(query(t, tt.raw), tt.dialect)
			if err != nil {
				t.Fatalf("ParseKannel: %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(e)); diff != "" {
				t.Errorf("ParseKannel (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseKannelJoin checks that every callback of one sendsms joins the
// sender's message: MessageID is the ref the sender wrote into the
// dlr-url, the SMSC's id (fid, else the receipt text's id:) is SMSCID, and
// the campaign comes from the URL too.
func TestParseKannelJoin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw                    string
		typ, msgID, smscID, campaign string
	}{
		{"type 8", "ref=shop-42&campaign=spring&type=8&answer=ACK%2F&fid=5F3A1B00&from=447700900123",
			"deferred", "shop-42", "5F3A1B00", "spring"},
		{"type 1 with fid", "ref=shop-42&campaign=spring&type=1&answer=id%3A5F3A1B00+stat%3ADELIVRD+err%3A000&fid=5F3A1B00",
			"delivered", "shop-42", "5F3A1B00", "spring"},
		{"type 2, the SMSC id from the receipt text", "ref=shop-43&type=2&answer=id%3A77+stat%3AUNDELIV+err%3A001",
			"failed", "shop-43", "77", ""},
		{"type 16, no SMSC id at all", "ref=shop-44&type=16&answer=NACK%2F0x0000000b%2FInvalid",
			"failed", "shop-44", "", ""},
		{"id as the sender's parameter", "id=shop-45&type=1&fid=F9", "delivered", "shop-45", "F9", ""},
		{"no ref: the SMSC id is the message", "type=1&fid=F9", "delivered", "F9", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := dlr.ParseKannel(query(t, tt.raw), "map")
			if err != nil {
				t.Fatalf("ParseKannel: %v", err)
			}
			got := []string{string(e.Type), e.MessageID, e.SMS.SMSCID, e.Campaign}
			if diff := cmp.Diff([]string{tt.typ, tt.msgID, tt.smscID, tt.campaign}, got); diff != "" {
				t.Errorf("type, message id, SMSC id, campaign (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseKannelTime reads both of Kannel's time escapes: %T (Unix
// seconds) and %t (gw/urltrans.c: "YYYY-MM-DD+HH:MM:SS", UTC), whose '+'
// arrives as a space once the query is decoded, or as '+' when the gateway
// escaped it.
func TestParseKannelTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 12, 7, 14, 53, 16, 0, time.UTC)
	for _, ts := range []string{"1796655196", "2026-12-07+14:53:16", "2026-12-07%2B14:53:16", "2026-12-07%2014:53:16"} {
		t.Run(ts, func(t *testing.T) {
			t.Parallel()
			e, err := dlr.ParseKannel(query(t, "ref=m1&type=1&ts="+ts), "")
			if err != nil {
				t.Fatalf("ParseKannel: %v", err)
			}
			if !e.OccurredAt.Equal(want) {
				t.Errorf("OccurredAt = %v, want %v", e.OccurredAt, want)
			}
		})
	}
}

func TestParseKannelErrors(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "type=abc", "type=0", "type=32", "type=-1", "type=1&fid=" + string(make([]byte, 300)),
		"type=1&ref=m1&ts=yesterday", "type=1&ref=m1&ts=07%2F12%2F2026+14:53", "type=1&ref=m1&ts=-5", "type=1&ref=m1&ts=%25t",
		"type=1&ref=" + strings.Repeat("r", 300), "type=1&ref=m1&campaign=" + strings.Repeat("c", 300)} {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			if e, err := dlr.ParseKannel(query(t, raw), ""); err == nil {
				t.Errorf("ParseKannel(%q): no error, got %s", raw, summary(e))
			}
		})
	}
}

func TestKannelWebhook(t *testing.T) {
	t.Parallel()
	hook := kannelHook(t, "map")
	const dlr = "type=2&fid=5F3A1B03&from=447700900123&ts=1795348830&answer=id%3A5F3A1B03+stat%3AUNDELIV+err%3A001"
	get := func(target string, h http.Header) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return request("GET", target, "", "", h) }
	}
	plain := "https://rebond.example.com/v1/webhooks/kannel?" + dlr
	want := []string{"failed|kannel|5F3A1B03|447700900123|UNDELIV|001|map||-"}
	tests := []hookCase{
		{"token", get(gatewayURL("kannel", dlr), nil), "ok", want},
		{"basic auth", get(plain, http.Header{"Authorization": {basicAuth("kannel", gatewayToken)}}), "ok", want},
		{"form POST", func() (*http.Request, []byte) {
			return request("POST", gatewayURL("kannel", ""), formType, dlr, nil)
		}, "ok", want},
		{"basic auth, another user", get(plain, http.Header{"Authorization": {basicAuth("root", gatewayToken)}}), "unauthorized", nil},
		{"another token", get("https://rebond.example.com/v1/webhooks/kannel?token=guess-guess-guess-1&"+dlr, nil), "unauthorized", nil},
		{"token in the form, not the URL", func() (*http.Request, []byte) {
			return request("POST", "https://rebond.example.com/v1/webhooks/kannel", formType, dlr+"&token="+gatewayToken, nil)
		}, "unauthorized", nil},
		{"no credentials", get(plain, nil), "unauthorized", nil},
		{"no type", get(gatewayURL("kannel", "fid=1&from=447700900123"), nil), "malformed type", nil},
		{"no number", get(gatewayURL("kannel", "type=1&fid=1"), nil), "malformed recipient", nil},
		{"number in the URL", get(gatewayURL("kannel", "type=1&fid=1&recipient=%2B447700900123"), nil), "ok",
			[]string{"delivered|kannel|1|447700900123|DLR_SUCCESS||kannel||-"}},
		{"bad query", get(gatewayURL("kannel", "type=1&fid=%zz"), nil), "malformed query", nil},
	}
	runHookCases(t, hook, tests)
}

// TestKannelWebhookBitmask reads the dlr-url %d, Kannel's DLR type bit
// mask (gw/dlr.h), alone and in the composites Kannel sends.
func TestKannelWebhookBitmask(t *testing.T) {
	t.Parallel()
	hook := kannelHook(t, "")
	tests := []struct{ mask, want string }{
		{"1", "ok delivered DLR_SUCCESS"},
		{"2", "ok failed DLR_FAIL"},
		{"4", "ok deferred DLR_BUFFERED"},
		{"8", "ok deferred DLR_SMSC_SUCCESS"}, // a pending step, never a send
		{"16", "ok failed DLR_SMSC_FAIL"},
		{"34", "ok failed DLR_FAIL"},       // 32 | 2
		{"65", "ok delivered DLR_SUCCESS"}, // 64 | 1
		{"3", "ok delivered DLR_SUCCESS"},  // success wins over fail
		{"12", "ok deferred DLR_BUFFERED"}, // buffered before SMSC accepted
		{"24", "ok failed DLR_SMSC_FAIL"},  // SMSC reject before SMSC accepted
		{"20", "ok failed DLR_SMSC_FAIL"},  // SMSC reject before buffered
		{"0", "malformed type"},
		{"32", "malformed type"},
		{"96", "malformed type"},
		{"256", "malformed type"},
		{"-1", "malformed type"},
		{"0x1", "malformed type"},
		{"", "malformed type"},
	}
	for _, tt := range tests {
		t.Run("type="+tt.mask, func(t *testing.T) {
			t.Parallel()
			r, body := request("GET", gatewayURL("kannel", "fid=F1&from=447700900123&type="+tt.mask), "", "", nil)
			res, err := hook.Handle(r, body)
			got := outcome(err)
			if err == nil {
				if len(res.Events) != 1 {
					t.Fatalf("%d events", len(res.Events))
				}
				checkWebhookEvent(t, res.Events[0])
				got += " " + string(res.Events[0].Type) + " " + res.Events[0].SMS.Stat
			}
			if got != tt.want {
				t.Errorf("type=%s: %s (%v), want %s", tt.mask, got, err, tt.want)
			}
		})
	}
}

// TestKannelWebhookErrorNamesField: the api prefixes "webhook <name>:",
// so a refusal starts with the field, said once.
func TestKannelWebhookErrorNamesField(t *testing.T) {
	t.Parallel()
	hook := kannelHook(t, "")
	for _, q := range []string{"type=1&ref=m1&ts=yesterday&from=447700900123", "type=1&fid=%zz", "type=1&ref=m1"} {
		r, body := request("GET", gatewayURL("kannel", q), "", "", nil)
		_, err := hook.Handle(r, body)
		if err == nil {
			t.Fatalf("%s: accepted", q)
		}
		if strings.Contains(err.Error(), "webhook") {
			t.Errorf("%s: error %q names the webhook; the caller does", q, err)
		}
	}
}
