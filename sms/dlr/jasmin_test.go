package dlr_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rebond/rebond/sms/dlr"
)

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
			e, err := dlr.ParseJasmin(query(t, tt.raw), tt.dialect)
			if err != nil {
				t.Fatalf("ParseJasmin: %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(e)); diff != "" {
				t.Errorf("ParseJasmin (-want +got):\n%s", diff)
			}
		})
	}
	for _, raw := range []string{"level=1&message_status=ESME_ROK", "id=1&level=1", "id=1&level=9&message_status=X"} {
		if _, err := dlr.ParseJasmin(query(t, raw), ""); err == nil {
			t.Errorf("ParseJasmin(%q): no error", raw)
		}
	}
}

// TestParseJasminJoin: with the sender's ref in the dlr-url, Jasmin's own
// id is the SMSC-side key and campaign comes from the URL.
func TestParseJasminJoin(t *testing.T) {
	t.Parallel()
	e, err := dlr.ParseJasmin(query(t, "ref=shop-1&campaign=spring&id=J5&level=2&message_status=DELIVRD&err=000"), "")
	if err != nil {
		t.Fatalf("ParseJasmin: %v", err)
	}
	got := []string{e.MessageID, e.SMS.SMSCID, e.Campaign}
	if diff := cmp.Diff([]string{"shop-1", "J5", "spring"}, got); diff != "" {
		t.Errorf("message id, SMSC id, campaign (-want +got):\n%s", diff)
	}
}

func TestJasminWebhook(t *testing.T) {
	t.Parallel()
	hook := jasminHook(t, "map")
	const dlr = "id=5f0c9b1e-0005&level=2&message_status=UNDELIV&connector=smsc-eu1&id_smsc=3A000005&sub=001&dlvrd=000&subdate=2405101230&donedate=2405101231&err=001&text=hi"
	post := func(target, form string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return request("POST", target, formType, form, nil) }
	}
	want := []string{"failed|jasmin|5f0c9b1e-0005|447700900123|UNDELIV|001|map||-"}
	tests := []hookCase{
		{"form POST", post(gatewayURL("jasmin", "recipient=447700900123"), dlr), "ok", want},
		{"GET", func() (*http.Request, []byte) {
			return request("GET", gatewayURL("jasmin", "recipient=447700900123&"+dlr), "", "", nil)
		}, "ok", want},
		{"level 1 accepted", post(gatewayURL("jasmin", "recipient=447700900123"), "id=j1&level=1&message_status=ESME_ROK&connector=c"), "ok",
			[]string{"sent|jasmin|j1|447700900123|ESME_ROK||jasmin||-"}},
		{"another token", post("https://rebond.example.com/v1/webhooks/jasmin?token=guess-guess-guess-1&recipient=447700900123", dlr), "unauthorized", nil},
		{"no token", post("https://rebond.example.com/v1/webhooks/jasmin?recipient=447700900123", dlr), "unauthorized", nil},
		{"no number", post(gatewayURL("jasmin", ""), dlr), "malformed recipient", nil},
		{"no message_status", post(gatewayURL("jasmin", "recipient=447700900123"), "id=j1&level=1"), "malformed message_status", nil},
		{"unknown level", post(gatewayURL("jasmin", "recipient=447700900123"), "id=j1&level=9&message_status=ESME_ROK"), "malformed body", nil},
	}
	runHookCases(t, hook, tests)
}

// TestJasminAnswer pins the answer Jasmin waits for: anything but exactly
// "ACK/Jasmin" makes it throw the DLR again (jasmin/routing/throwers.py).
func TestJasminAnswer(t *testing.T) {
	t.Parallel()
	hook := jasminHook(t, "")
	r, body := request("POST", gatewayURL("jasmin", "recipient=447700900123"), formType, "id=j1&level=1&message_status=ESME_ROK", nil)
	res, err := hook.Handle(r, body)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Body != "ACK/Jasmin" || !strings.HasPrefix(res.ContentType, "text/plain") || len(res.Events) != 1 {
		t.Errorf("answer %q (%s) with %d events, want ACK/Jasmin as text/plain with 1 event", res.Body, res.ContentType, len(res.Events))
	}
	r, body = request("GET", gatewayURL("kannel", "type=1&fid=1&from=447700900123"), "", "", nil)
	if res, err := kannelHook(t, "").Handle(r, body); err != nil || res.Body != "" {
		t.Errorf("kannel answers %q (%v), want the api's default", res.Body, err)
	}
}
