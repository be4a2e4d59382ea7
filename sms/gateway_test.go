package sms_test

import (
	"net/url"
	"testing"

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
			name: "type 8: accepted by the SMSC",
			raw:  "ref=m1&type=8&answer=ACK%2F&fid=5F3A1B00&from=447700900123&ts=1795348822",
			want: "sent|kannel|5F3A1B00|447700900123|DLR_SMSC_SUCCESS||kannel||-",
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

func TestParseKannelErrors(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "type=abc", "type=0", "type=32", "type=-1", "type=1&fid=" + string(make([]byte, 300))} {
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
