package dlr_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms/dlr"
)

// The end-to-end path of an HTTP receipt: a correctly authenticated
// request, Handle, the shipped rules. Each adapter is driven by payloads
// written the way the corpus writes them (sms/testdata/README.md): a raw
// query for Kannel, a form as a query string for Jasmin, Twilio and Plivo,
// a JSON body for Vonage, Infobip and Sinch.

// webhookFormats maps each adapter's provider to its ParseReceipt format.
var webhookFormats = map[string]string{
	"twilio": dlr.FormatTwilio, "plivo": dlr.FormatPlivo, "vonage": dlr.FormatVonage, "kannel": dlr.FormatKannel,
	"jasmin": dlr.FormatJasmin, "infobip": dlr.FormatInfobip, "sinch": dlr.FormatSinch,
}

// hookFor builds the adapter of provider for a connection's dialect.
func hookFor(tb testing.TB, provider, dialect string) *dlr.Webhook {
	tb.Helper()
	switch provider {
	case "twilio":
		return twilioHook(tb)
	case "plivo":
		return plivoHook(tb)
	case "vonage":
		return vonageHook(tb, "")
	case "kannel":
		return kannelHook(tb, dialect)
	case "jasmin":
		return jasminHook(tb, dialect)
	case "infobip":
		return infobipHook(tb)
	case "sinch":
		return sinchHook(tb)
	}
	tb.Fatalf("no adapter %q", provider)
	return nil
}

// send builds the authenticated request a provider makes with payload,
// signed at `at` with nonce where the provider signs those. The gateways'
// callback URLs carry a recipient, as their senders' dlr-urls must when
// the receipt names no number.
func send(provider, payload string, at time.Time, nonce string) (*http.Request, []byte) {
	form, _ := url.ParseQuery(payload)
	switch provider {
	case "twilio":
		return twilioRequest(form)
	case "plivo":
		return plivoRequest(form, nonce)
	case "vonage":
		return vonageJSONRequest(payload, at)
	case "kannel":
		return request("GET", gatewayURL("kannel", "recipient=447700900123&"+payload), "", "", nil)
	case "jasmin":
		return request("POST", gatewayURL("jasmin", "recipient=447700900123"), formType, payload, nil)
	case "infobip":
		return request("POST", "https://rebond.example.com/v1/webhooks/infobip", "application/json", payload,
			http.Header{"Authorization": {"App " + infobipKey}})
	case "sinch":
		return sinchRequest(payload, nonce, at)
	}
	return request("POST", "https://rebond.example.com/", "", payload, nil)
}

// handle sends payload once to hook and fails on any error.
func handle(tb testing.TB, hook *dlr.Webhook, payload string, at time.Time, nonce string) []channels.Event {
	tb.Helper()
	r, body := send(hook.Provider(), payload, at, nonce)
	res, err := hook.Handle(r, body)
	if err != nil {
		tb.Fatalf("%s: Handle: %v", hook.Provider(), err)
	}
	if len(res.Events) == 0 {
		tb.Fatalf("%s: no events", hook.Provider())
	}
	return res.Events
}

// checkRedelivery handles payload a second time, signed later with another
// nonce, and checks the ids do not change (the bus then keeps the
// callback once), and that every event's Raw replays to the same id.
func checkRedelivery(t *testing.T, hook *dlr.Webhook, payload, dialect string, first []channels.Event) {
	t.Helper()
	again := handle(t, hook, payload, time.Now().Add(90*time.Second), "another-nonce")
	if len(again) != len(first) {
		t.Fatalf("redelivery: %d events, first delivery %d", len(again), len(first))
	}
	for i := range first {
		if again[i].ID != first[i].ID {
			t.Errorf("redelivery: event %d id %s, first delivery %s", i, again[i].ID, first[i].ID)
		}
		replayed, err := dlr.ParseReceipts(hook.Format(), []byte(first[i].Raw), dialect)
		if err != nil || len(replayed) != 1 || replayed[0].ID != first[i].ID {
			t.Errorf("replay of Raw %s: %v, %d events, want id %s", first[i].Raw, err, len(replayed), first[i].ID)
		}
	}
}

// webhookSample is a callback payload and the verdict the rules give it.
type webhookSample struct {
	provider, payload string
	want              string // outcome reason
}

// webhookSamples has, for each adapter, a delivered, a hard, a soft and a
// pending callback.
func webhookSamples() []webhookSample {
	infobip := func(group int, name string, errID int) string {
		return fmt.Sprintf(`{"results":[{"messageId":"ib-%s","to":"447700900123","status":{"groupId":%d,"name":%q},"error":{"id":%d}}]}`, name, group, name, errID)
	}
	return []webhookSample{
		{"twilio", "MessageSid=SM10&MessageStatus=delivered&To=%2B15555550100", "delivered delivered"},
		{"twilio", "MessageSid=SM11&MessageStatus=undelivered&ErrorCode=30005&To=%2B15555550100", "hard unknown_subscriber"},
		{"twilio", "MessageSid=SM12&MessageStatus=undelivered&ErrorCode=30003&To=%2B15555550100", "soft absent_subscriber"},
		{"twilio", "MessageSid=SM13&MessageStatus=sent&To=%2B15555550100", "pending sent_to_carrier"},
		{"plivo", "MessageUUID=p1&Status=delivered&To=447700900123", "delivered delivered"},
		{"plivo", "MessageUUID=p2&Status=failed&ErrorCode=200&To=447700900123", "hard opted_out"},
		{"plivo", "MessageUUID=p3&Status=undelivered&ErrorCode=80&To=447700900123", "soft absent_subscriber"},
		{"plivo", "MessageUUID=p4&Status=queued&To=447700900123", "pending queued"},
		{"vonage", `{"msisdn":"447700900123","messageId":"v1","status":"delivered","err-code":"0"}`, "delivered delivered"},
		{"vonage", `{"msisdn":"447700900123","messageId":"v2","status":"failed","err-code":"9"}`, "hard invalid_number"},
		{"vonage", `{"msisdn":"447700900123","messageId":"v3","status":"failed","err-code":"2"}`, "soft absent_subscriber"},
		{"vonage", `{"msisdn":"447700900123","messageId":"v4","status":"accepted","err-code":"0"}`, "pending accepted"},
		{"kannel", "type=1&fid=K1&from=447700900123", "delivered delivered"},
		{"kannel", "type=16&answer=NACK%2F0x0000000b%2Fx&fid=K2&from=447700900123", "hard invalid_number"},
		{"kannel", "type=2&fid=K3&from=447700900123", "soft undeliverable"},
		{"kannel", "type=8&fid=K4&from=447700900123", "pending accepted_by_smsc"},
		{"jasmin", "id=j1&level=2&message_status=DELIVRD&err=000&donedate=2405101231", "delivered delivered"},
		{"jasmin", "id=j2&level=1&message_status=ESME_RINVDSTADR", "hard invalid_number"},
		{"jasmin", "id=j3&level=1&message_status=ESME_RMSGQFUL", "soft smsc_queue_full"},
		{"jasmin", "id=j4&level=1&message_status=ESME_ROK", "pending accepted_by_smsc"},
		{"infobip", infobip(3, "DELIVERED_TO_HANDSET", 0), "delivered delivered"},
		{"infobip", infobip(2, "UNDELIVERABLE_NOT_DELIVERED", 11), "hard sms_not_provisioned"},
		{"infobip", infobip(4, "EXPIRED_EXPIRED", 27), "soft expired"},
		{"infobip", infobip(1, "PENDING_ENROUTE", 0), "pending enroute"},
		// The Sinch rules know no code that makes a number bad: no hard case.
		{"sinch", `{"type":"recipient_delivery_report_sms","batch_id":"s1","recipient":"447700900123","code":0,"status":"Delivered"}`, "delivered delivered"},
		{"sinch", `{"type":"recipient_delivery_report_sms","batch_id":"s2","recipient":"447700900123","code":402,"status":"Failed"}`, "soft unroutable"},
		{"sinch", `{"type":"recipient_delivery_report_sms","batch_id":"s3","recipient":"447700900123","code":400,"status":"Queued"}`, "pending queued"},
	}
}

func TestWebhookClassify(t *testing.T) {
	t.Parallel()
	set := loadRules(t)
	for _, tt := range webhookSamples() {
		t.Run(tt.provider+" "+tt.want, func(t *testing.T) {
			t.Parallel()
			evs := handle(t, hookFor(t, tt.provider, ""), tt.payload, time.Now(), "nonce-1")
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1", len(evs))
			}
			checkWebhookEvent(t, evs[0])
			v := set.Classify(evs[0])
			if got := string(v.Outcome) + " " + string(v.Reason); got != tt.want {
				t.Errorf("Classify: %s (rule %s, evidence %s), want %s", got, v.Rule, v.Evidence, tt.want)
			}
		})
	}
}

// TestWebhookRedelivery proves a callback delivered twice counts once: a
// provider that got no 2xx sends it again, signed anew (another
// timestamp, another nonce), and the events keep their ids, which the bus
// de-duplicates on. Each id is also the one Raw replays to, and ids differ
// between samples (one message, two states: two facts).
func TestWebhookRedelivery(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, tt := range webhookSamples() {
		hook := hookFor(t, tt.provider, "")
		first := handle(t, hook, tt.payload, time.Now(), "nonce-1")
		checkRedelivery(t, hook, tt.payload, "", first)
		if prev, dup := seen[first[0].ID]; dup {
			t.Errorf("%s and %s share the id %s", prev, tt.payload, first[0].ID)
		}
		seen[first[0].ID] = tt.payload
	}
	hook := twilioHook(t)
	sent := handle(t, hook, "MessageSid=SM1&MessageStatus=sent&To=%2B15555550100", time.Now(), "")
	delivered := handle(t, hook, "MessageSid=SM1&MessageStatus=delivered&To=%2B15555550100", time.Now(), "")
	if sent[0].ID == delivered[0].ID {
		t.Errorf("sent and delivered of one message share the id %s", sent[0].ID)
	}
}

// TestWebhookCorpus sends every labelled HTTP callback of the corpus
// through its adapter: the events must have the ids ParseReceipts gives
// the recorded payload, and classify to the labels as often as the corpus
// golden test requires.
func TestWebhookCorpus(t *testing.T) {
	t.Parallel()
	set := loadRules(t)
	n, ok := 0, 0
	for _, r := range readCorpus(t) {
		provider := ""
		for p, f := range webhookFormats {
			if f == r.format {
				provider = p
			}
		}
		if provider == "" {
			continue
		}
		n++
		want, err := dlr.ParseReceipts(r.format, []byte(r.payload), r.dialect)
		if err != nil {
			t.Errorf("%s: ParseReceipts: %v", r.id, err)
			continue
		}
		hook := hookFor(t, provider, r.dialect)
		payload := corpusPayload(t, r.payload)
		got := handle(t, hook, payload, time.Now(), "nonce-1")
		if len(got) != len(want) {
			t.Errorf("%s: %d events, ParseReceipts %d", r.id, len(got), len(want))
			continue
		}
		for i := range got {
			checkWebhookEvent(t, got[i])
			if got[i].ID != want[i].ID || summary(got[i]) != summary(normalized(t, want[i])) {
				t.Errorf("%s: event %s %s, ParseReceipts %s %s", r.id, got[i].ID, summary(got[i]), want[i].ID, summary(want[i]))
			}
		}
		v := set.Classify(got[0])
		if string(v.Outcome) == r.outcome && string(v.Reason) == r.reason {
			ok++
		} else {
			t.Logf("miss %s: %s/%s (%s), label %s/%s", r.id, v.Outcome, v.Reason, v.Rule, r.outcome, r.reason)
		}
	}
	t.Logf("corpus through the adapters: %d HTTP rows, %d classified as labelled", n, ok)
	if n < 60 || float64(ok)/float64(n) < reasonFloor {
		t.Errorf("%d of %d rows classified as labelled, floor %.2f", ok, n, reasonFloor)
	}
}

// normalized is e as the bus would keep it (the recipient canonical).
func normalized(tb testing.TB, e channels.Event) channels.Event {
	tb.Helper()
	if e.OccurredAt.IsZero() {
		e.OccurredAt = time.Now()
	}
	if e.Recipient == "" {
		e.Recipient = "447700900123"
	}
	if err := e.Normalize(); err != nil {
		tb.Fatalf("normalize %s: %v", e.ID, err)
	}
	return e
}

// corpusPayload is a corpus envelope's payload as send takes it: the raw
// query, the form as a query string, or the JSON body.
func corpusPayload(tb testing.TB, envelope string) string {
	tb.Helper()
	var env struct {
		RawQuery string            `json:"raw_query"`
		Form     map[string]string `json:"form"`
		Body     json.RawMessage   `json:"body"`
	}
	if err := json.Unmarshal([]byte(envelope), &env); err != nil {
		tb.Fatalf("corpus envelope: %v", err)
	}
	switch {
	case env.RawQuery != "":
		return env.RawQuery
	case env.Form != nil:
		v := url.Values{}
		for k, s := range env.Form {
			v.Set(k, s)
		}
		return v.Encode()
	}
	return string(env.Body)
}
