package sms_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/sms"
)

func query(tb testing.TB, raw string) url.Values {
	tb.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		tb.Fatalf("parse query %q: %v", raw, err)
	}
	return v
}

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
			e, err := sms.ParseKannel(query(t, tt.raw), tt.dialect)
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
			e, err := sms.ParseKannel(query(t, tt.raw), "map")
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
			e, err := sms.ParseKannel(query(t, "ref=m1&type=1&ts="+ts), "")
			if err != nil {
				t.Fatalf("ParseKannel: %v", err)
			}
			if !e.OccurredAt.Equal(want) {
				t.Errorf("OccurredAt = %v, want %v", e.OccurredAt, want)
			}
		})
	}
}

// TestParseJasminJoin: with the sender's ref in the dlr-url, Jasmin's own
// id is the SMSC-side key and campaign comes from the URL.
func TestParseJasminJoin(t *testing.T) {
	t.Parallel()
	e, err := sms.ParseJasmin(query(t, "ref=shop-1&campaign=spring&id=J5&level=2&message_status=DELIVRD&err=000"), "")
	if err != nil {
		t.Fatalf("ParseJasmin: %v", err)
	}
	got := []string{e.MessageID, e.SMS.SMSCID, e.Campaign}
	if diff := cmp.Diff([]string{"shop-1", "J5", "spring"}, got); diff != "" {
		t.Errorf("message id, SMSC id, campaign (-want +got):\n%s", diff)
	}
}

func TestParseKannelErrors(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "type=abc", "type=0", "type=32", "type=-1", "type=1&fid=" + string(make([]byte, 300)),
		"type=1&ref=m1&ts=yesterday", "type=1&ref=m1&ts=07%2F12%2F2026+14:53", "type=1&ref=m1&ts=-5", "type=1&ref=m1&ts=%25t",
		"type=1&ref=" + strings.Repeat("r", 300), "type=1&ref=m1&campaign=" + strings.Repeat("c", 300)} {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			if e, err := sms.ParseKannel(query(t, raw), ""); err == nil {
				t.Errorf("ParseKannel(%q): no error, got %s", raw, summary(e))
			}
		})
	}
}

func TestParseJasmin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, dialect string
		want               string
	}{
		{name: "level 1 ok", raw: "id=J1&level=1&message_status=ESME_ROK&connector=c", want: "sent|jasmin|J1||ESME_ROK||jasmin||-"},
		{name: "level 1 error", raw: "id=J2&level=1&message_status=ESME_RTHROTTLED", want: "failed|jasmin|J2||ESME_RTHROTTLED||jasmin||-"},
		{name: "level 2 receipt", raw: "id=J3&level=2&message_status=UNDELIV&id_smsc=3A&err=027&donedate=2405101231", dialect: "map", want: "failed|jasmin|J3||UNDELIV|027|map||-"},
		{name: "level 3", raw: "id=J4&level=3&message_status=DELIVRD&err=000", want: "delivered|jasmin|J4||DELIVRD|000|||-"},
		{name: "level 1 ok under the sender's ref: a pending step", raw: "ref=shop-1&id=J5&level=1&message_status=ESME_ROK", want: "deferred|jasmin|shop-1||ESME_ROK||jasmin||-"},
		{name: "level 2 under the sender's ref", raw: "ref=shop-1&id=J5&level=2&message_status=DELIVRD&id_smsc=3A&err=000", want: "delivered|jasmin|shop-1||DELIVRD|000|||-"},
		{name: "level 1 refusal under the sender's ref", raw: "ref=shop-2&id=J6&level=1&message_status=ESME_RINVDSTADR", want: "failed|jasmin|shop-2||ESME_RINVDSTADR||jasmin||-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := sms.ParseJasmin(query(t, tt.raw), tt.dialect)
			if err != nil {
				t.Fatalf("ParseJasmin: %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(e)); diff != "" {
				t.Errorf("ParseJasmin (-want +got):\n%s", diff)
			}
		})
	}
	for _, raw := range []string{"level=1&message_status=ESME_ROK", "id=1&level=1", "id=1&level=9&message_status=X"} {
		if _, err := sms.ParseJasmin(query(t, raw), ""); err == nil {
			t.Errorf("ParseJasmin(%q): no error", raw)
		}
	}
}
