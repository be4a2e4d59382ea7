package dlr_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rebond/rebond/sms/dlr"
)

func TestParseInfobip(t *testing.T) {
	t.Parallel()
	body := `{"results":[
		{"messageId":"m1","to":"447700900123","doneAt":"2024-05-10T12:31:00.000+0000","status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET"},"error":{"groupId":0,"id":0,"name":"NO_ERROR","permanent":false}},
		{"messageId":"m2","to":"447700900124","status":{"groupId":2,"groupName":"UNDELIVERABLE","id":9},"error":{"groupId":1,"id":27,"name":"EC_ABSENT_SUBSCRIBER","permanent":false}}]}`
	evs, err := dlr.ParseInfobip([]byte(body))
	if err != nil {
		t.Fatalf("ParseInfobip: %v", err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, summary(e))
	}
	want := []string{
		"delivered|infobip|m1|447700900123|DELIVERED_TO_HANDSET||infobip||-",
		"failed|infobip|m2|447700900124|UNDELIVERABLE|27|infobip||-",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseInfobip (-want +got):\n%s", diff)
	}
	if evs[0].OccurredAt.IsZero() {
		t.Error("doneAt not read")
	}
	for _, bad := range []string{`{"results":[]}`, `{"results":[{"messageId":"m"}]}`, `[]`} {
		if _, err := dlr.ParseInfobip([]byte(bad)); err == nil {
			t.Errorf("ParseInfobip(%s): no error", bad)
		}
	}
}

func TestInfobipWebhook(t *testing.T) {
	t.Parallel()
	hook := infobipHook(t)
	const body = `{"results":[
		{"messageId":"m1","to":"447700900123","doneAt":"2024-05-10T12:31:00.000+0000","status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET"},"error":{"id":0}},
		{"messageId":"m2","to":"447700900124","status":{"groupId":2,"groupName":"UNDELIVERABLE","id":9,"name":"UNDELIVERABLE_NOT_DELIVERED"},"error":{"id":27}}]}`
	post := func(h http.Header, b string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", "https://rebond.example.com/v1/webhooks/infobip", "application/json", b, h)
		}
	}
	want := []string{
		"delivered|infobip|m1|447700900123|DELIVERED_TO_HANDSET||infobip||-",
		"failed|infobip|m2|447700900124|UNDELIVERABLE_NOT_DELIVERED|27|infobip||-",
	}
	basic := http.Header{"Authorization": {basicAuth(infobipUser, infobipPass)}}
	tests := []hookCase{
		{"basic auth", post(basic, body), "ok", want},
		{"App key", post(http.Header{"Authorization": {"App " + infobipKey}}, body), "ok", want},
		{"shared header", post(http.Header{infobipHdr: {infobipHdrV}}, body), "ok", want},
		{"basic auth, wrong password", post(http.Header{"Authorization": {basicAuth(infobipUser, "wrong-password-0001")}}, body), "unauthorized", nil},
		{"App key, wrong key", post(http.Header{"Authorization": {"App wrong-key-0123456789"}}, body), "unauthorized", nil},
		{"shared header, wrong value", post(http.Header{infobipHdr: {"wrong-value-0123456789"}}, body), "unauthorized", nil},
		{"no credentials", post(nil, body), "unauthorized", nil},
		{"no results", post(basic, `{"result":[]}`), "malformed results", nil},
		{"not JSON", post(basic, `{"results":[`), "malformed body", nil},
		{"a result without status", post(basic, `{"results":[{"messageId":"m1","to":"447700900123"}]}`), "malformed body", nil},
	}
	runHookCases(t, hook, tests)
}
