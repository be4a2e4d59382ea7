package sms_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/sms"
)

func TestParseReceiptText(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	tests := []struct {
		name string
		in   string
		want sms.ReceiptText
	}{
		{
			name: "appendix B layout",
			in:   "id:0A1B2C01 sub:001 dlvrd:001 submit date:2405101230 done date:2405101231 stat:DELIVRD err:000 text:Hello from rebond",
			want: sms.ReceiptText{ID: "0A1B2C01", Sub: "001", Dlvrd: "001", SubmitDate: at("2024-05-10T12:30:00Z"), DoneDate: at("2024-05-10T12:31:00Z"), Stat: "DELIVRD", Err: "000", Text: "Hello from rebond"},
		},
		{
			name: "capital Text and one-digit err",
			in:   "id:4411223344 sub:001 dlvrd:001 submit date:2405101230 done date:2405101231 stat:DELIVRD err:0 Text:Your order shipped",
			want: sms.ReceiptText{ID: "4411223344", Sub: "001", Dlvrd: "001", SubmitDate: at("2024-05-10T12:30:00Z"), DoneDate: at("2024-05-10T12:31:00Z"), Stat: "DELIVRD", Err: "0", Text: "Your order shipped"},
		},
		{
			name: "14-digit dates",
			in:   "id:1234567890 sub:001 dlvrd:001 submit date:20210222061132 done date:20210222061133 stat:ACCEPTD err:000 Text:450A DLVRD TO SMSC",
			want: sms.ReceiptText{ID: "1234567890", Sub: "001", Dlvrd: "001", SubmitDate: at("2021-02-22T06:11:32Z"), DoneDate: at("2021-02-22T06:11:33Z"), Stat: "ACCEPTD", Err: "000", Text: "450A DLVRD TO SMSC"},
		},
		{
			name: "12-digit dates",
			in:   "id:77 submit date:240510123005 done date:240510123107 stat:DELIVRD err:000",
			want: sms.ReceiptText{ID: "77", SubmitDate: at("2024-05-10T12:30:05Z"), DoneDate: at("2024-05-10T12:31:07Z"), Stat: "DELIVRD", Err: "000"},
		},
		{
			name: "stat with spaces",
			in:   "id:18579674100201040 sub:001 dlvrd:000 submit date:1209281334 done date:1209281334 stat:DELIVERED TO CARRIER err:003 text:",
			want: sms.ReceiptText{ID: "18579674100201040", Sub: "001", Dlvrd: "000", SubmitDate: at("2012-09-28T13:34:00Z"), DoneDate: at("2012-09-28T13:34:00Z"), Stat: "DELIVERED TO CARRIER", Err: "003"},
		},
		{
			name: "fields in another order, keys in upper case",
			in:   "STAT:UNDELIV ERR:027 ID:abc DONE DATE:2405101231 TEXT:x",
			want: sms.ReceiptText{ID: "abc", DoneDate: at("2024-05-10T12:31:00Z"), Stat: "UNDELIV", Err: "027", Text: "x"},
		},
		{
			name: "keys inside the text stay text",
			in:   "id:1 stat:DELIVRD err:000 text:stat:UNDELIV err:001 id:2",
			want: sms.ReceiptText{ID: "1", Stat: "DELIVRD", Err: "000", Text: "stat:UNDELIV err:001 id:2"},
		},
		{
			name: "unreadable date is zero",
			in:   "id:1 done date:24051 stat:DELIVRD",
			want: sms.ReceiptText{ID: "1", Stat: "DELIVRD"},
		},
		{
			name: "key glued to a word is not a key",
			in:   "id:1 stat:UNDELIV myerr:5 err:009",
			want: sms.ReceiptText{ID: "1", Stat: "UNDELIV myerr:5", Err: "009"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := sms.ParseReceiptText(tt.in)
			if err != nil {
				t.Fatalf("ParseReceiptText: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseReceiptText (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReceiptTextErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         string
		notReceipt bool
	}{
		{name: "empty", in: "", notReceipt: true},
		{name: "mobile originated text", in: "hello, see you at 10", notReceipt: true},
		{name: "kannel ack", in: "ACK/", notReceipt: true},
		{name: "too long", in: "id:1 stat:DELIVRD text:" + strings.Repeat("x", sms.MaxTextLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := sms.ParseReceiptText(tt.in)
			if err == nil {
				t.Fatal("ParseReceiptText: no error")
			}
			if got := errors.Is(err, sms.ErrNotReceipt); got != tt.notReceipt {
				t.Errorf("errors.Is(%v, ErrNotReceipt) = %v, want %v", err, got, tt.notReceipt)
			}
		})
	}
}

func TestParseCSVEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, dialect string
		want              string // type stat err dialect message_id recipient
		wantErr           bool
	}{
		{name: "delivered", in: "00,0210021543,0210021500,,447887123456,10110200000000,we2345678i9o03er45ty67u", want: "delivered 00  vodafone-uk 10110200000000 447887123456"},
		{name: "retrying for credit", in: "01,0210021543,0210021500,30,447887123456,10110200000999,we2345678i9o03erliuweydsy", want: "deferred 01 30 vodafone-uk 10110200000999 447887123456"},
		{name: "connection dialect wins", in: "02,0210021543,0210021500,7,447887123456,1,r", dialect: "other", want: "failed 02 7 other 1 447887123456"},
		{name: "six fields", in: "00,0210021543,0210021500,,447887123456,1", wantErr: true},
		{name: "status not numeric", in: "OK,0210021543,0210021500,,447887123456,1,r", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := sms.ParseCSVEvent(tt.in, tt.dialect)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseCSVEvent: no error, got %+v", e)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCSVEvent: %v", err)
			}
			got := strings.Join([]string{string(e.Type), e.SMS.Stat, e.SMS.Err, e.SMS.Dialect, e.MessageID, e.Recipient}, " ")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCSVEvent (-want +got):\n%s", diff)
			}
		})
	}
}
