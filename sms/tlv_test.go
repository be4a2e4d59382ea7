package sms_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/sms"
)

func TestParseTLVJSON(t *testing.T) {
	t.Parallel()
	const text = `id:6C000031 sub:001 dlvrd:001 submit date:2405101230 done date:2405101231 stat:DELIVRD err:000 text:x`
	tests := []struct {
		name, in, dialect string
		want              string
	}{
		{
			name: "TLVs next to a disagreeing text",
			in:   `{"esm_class":4,"short_message":"` + text + `","tlv":{"receipted_message_id":"6C000031","message_state":5,"network_error_code":"030001"}}`,
			want: "failed|smpp|6C000031||DELIVRD|000||030001|5",
		},
		{
			name: "network_error_code as ASCII digits",
			in:   `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:027","tlv":{"message_state":5,"network_error_code":"303237"}}`,
			want: "failed|smpp|1||UNDELIV|027||03001b|5",
		},
		{
			name:    "receipted_message_id wins over the text id",
			in:      `{"esm_class":4,"short_message":"id:AAA stat:ACCEPTD","tlv":{"receipted_message_id":"BBB"}}`,
			dialect: "map",
			want:    "deferred|smpp|BBB||ACCEPTD||map||-",
		},
		{
			name: "intermediate notification",
			in:   `{"esm_class":32,"short_message":"id:1 stat:ENROUTE","tlv":{"message_state":1}}`,
			want: "deferred|smpp|1||ENROUTE||||1",
		},
		{
			name: "message_payload when short_message is empty",
			in:   `{"esm_class":4,"short_message":"","tlv":{"message_payload":"id:9 stat:DELIVRD err:000","message_state":2}}`,
			want: "delivered|smpp|9||DELIVRD|000|||2",
		},
		{
			name: "UCS-2 text",
			in:   `{"esm_class":4,"data_coding":8,"short_message":"\u0000i\u0000d\u0000:\u00007\u0000 \u0000s\u0000t\u0000a\u0000t\u0000:\u0000D\u0000E\u0000L\u0000I\u0000V\u0000R\u0000D"}`,
			want: "delivered|smpp|7||DELIVRD||||-",
		},
		{
			name: "ASCII labelled UCS-2",
			in:   `{"esm_class":4,"data_coding":8,"short_message":"id:88 stat:DELIVRD"}`,
			want: "delivered|smpp|88||DELIVRD||||-",
		},
		{
			name: "message_state alone",
			in:   `{"esm_class":4,"short_message":"","tlv":{"receipted_message_id":"X1","message_state":3}}`,
			want: "failed|smpp|X1||||||3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := sms.ParseTLVJSON([]byte(tt.in), tt.dialect)
			if err != nil {
				t.Fatalf("ParseTLVJSON: %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(e)); diff != "" {
				t.Errorf("ParseTLVJSON (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTLVJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in string }{
		{name: "not JSON", in: `id:1 stat:DELIVRD`},
		{name: "mobile originated", in: `{"esm_class":0,"short_message":"id:1 stat:DELIVRD"}`},
		{name: "network_error_code not hex", in: `{"esm_class":4,"short_message":"id:1 stat:UNDELIV","tlv":{"network_error_code":"03zz1b"}}`},
		{name: "network_error_code of 2 octets", in: `{"esm_class":4,"short_message":"id:1 stat:UNDELIV","tlv":{"network_error_code":"0300"}}`},
		{name: "message_state beyond an octet", in: `{"esm_class":4,"short_message":"id:1 stat:UNDELIV","tlv":{"message_state":300}}`},
		{name: "neither text nor state", in: `{"esm_class":4,"short_message":"hello"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if e, err := sms.ParseTLVJSON([]byte(tt.in), ""); err == nil {
				t.Errorf("ParseTLVJSON: no error, got %s", summary(e))
			}
		})
	}
}
