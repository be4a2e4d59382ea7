package esp

import (
	"errors"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
)

// TestDecodeErrors checks that unreadable payloads wrap ErrMalformed and
// name the field, and that ignorable events give nothing and no error.
func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	many := "[" + strings.Repeat(`{},`, maxBatch) + `{}]`
	manyRcpts := `"bouncedRecipients":[` + strings.Repeat(`{"emailAddress":"a@example.com"},`, maxRecipients) + `{"emailAddress":"a@example.com"}]`
	sesMsg := func(s string) []byte {
		return snsMessage(t, snsNotification, s, "1", func(m map[string]string) { m["Signature"] = "unchecked" })
	}
	tests := []struct {
		name     string
		provider string
		body     string
		field    string // the FieldError's field; "" for another malformed error
		ok       bool   // no error, no event
	}{
		{name: "sendgrid not an array", provider: "sendgrid", body: `{"event":"bounce"}`},
		{name: "sendgrid empty body", provider: "sendgrid", body: ``},
		{name: "sendgrid element not an object", provider: "sendgrid", body: `[1]`},
		{name: "sendgrid too many events", provider: "sendgrid", body: many},
		{name: "sendgrid no email", provider: "sendgrid", body: `[{"event":"bounce","timestamp":1,"sg_event_id":"e"}]`, field: "[0].email"},
		{name: "sendgrid bad email", provider: "sendgrid", body: `[{"event":"processed","email":"nobody","timestamp":1,"sg_event_id":"e","sg_message_id":"m"}]`, field: "[0].email"},
		{name: "sendgrid bad timestamp", provider: "sendgrid", body: `[{"event":"bounce","email":"a@example.com","timestamp":"noon","sg_event_id":"e"}]`, field: "[0].timestamp"},
		{name: "sendgrid no event id", provider: "sendgrid", body: `[{"event":"bounce","email":"a@example.com","timestamp":1}]`, field: "[0].id"},
		{name: "sendgrid second element named", provider: "sendgrid", body: `[{"event":"open"},{"event":"delivered","timestamp":1,"sg_event_id":"e"}]`, field: "[1].email"},
		{name: "sendgrid campaign too long", provider: "sendgrid", body: `[{"event":"bounce","email":"a@example.com","timestamp":1,"sg_event_id":"e","campaign":"` + strings.Repeat("c", 300) + `"}]`, field: "campaign"},
		{name: "sendgrid processed without message id", provider: "sendgrid", body: `[{"event":"processed","email":"a@example.com","timestamp":1,"sg_event_id":"e"}]`, field: "message_id"},
		{name: "sendgrid engagement only", provider: "sendgrid", body: `[{"event":"open"},{"event":"click"},{"event":"unsubscribe"},{"event":"group_unsubscribe"},{"event":"group_resubscribe"},{"event":"something_new"}]`, ok: true},
		{name: "sendgrid empty batch", provider: "sendgrid", body: `[]`, ok: true},
		{name: "ses no type", provider: "ses", body: string(sesMsg(`{"mail":{}}`)), field: "ses.eventType"},
		{name: "ses bounce object missing", provider: "ses", body: string(sesMsg(`{"eventType":"Bounce","mail":{"timestamp":"2026-01-01T00:00:00Z"}}`)), field: "ses.Bounce"},
		{name: "ses bad recipient", provider: "ses", body: string(sesMsg(`{"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"a@example.com"},{"emailAddress":"<>"}],"timestamp":"2026-01-01T00:00:00Z","feedbackId":"f"},"mail":{}}`)), field: "bounce.bouncedRecipients[1].emailAddress"},
		{name: "ses bad time", provider: "ses", body: string(sesMsg(`{"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"a@example.com"}],"timestamp":"yesterday","feedbackId":"f"},"mail":{}}`)), field: "bounce.timestamp"},
		{name: "ses too many recipients", provider: "ses", body: string(sesMsg(`{"notificationType":"Bounce","bounce":{` + manyRcpts + `,"feedbackId":"f"},"mail":{}}`)), field: "ses.bounce.bouncedRecipients"},
		{name: "ses destination too long", provider: "ses", body: string(sesMsg(`{"eventType":"Send","send":{},"mail":{"timestamp":"2026-01-01T00:00:00Z","messageId":"m","destination":[` + strings.Repeat(`"a@example.com",`, maxRecipients) + `"a@example.com"]}}`)), field: "ses.mail.destination"},
		{name: "ses message not JSON", provider: "ses", body: string(sesMsg(`Hello world!`))},
		{name: "ses open", provider: "ses", body: string(sesMsg(`{"eventType":"Open","mail":{},"open":{}}`)), ok: true},
		{name: "ses click", provider: "ses", body: string(sesMsg(`{"eventType":"Click","mail":{},"click":{}}`)), ok: true},
		{name: "ses subscription test", provider: "ses", body: string(sesMsg(`{"notificationType":"AmazonSnsSubscriptionSucceeded","message":"You have successfully subscribed"}`)), ok: true},
		{name: "mailgun no recipient", provider: "mailgun", body: `{"event-data":{"event":"delivered","id":"e","timestamp":1}}`, field: "event-data.recipient"},
		{name: "mailgun no time", provider: "mailgun", body: `{"event-data":{"event":"delivered","id":"e","recipient":"a@example.com"}}`, field: "event-data.timestamp"},
		{name: "mailgun event-data not an object", provider: "mailgun", body: `{"event-data":[1]}`},
		{name: "mailgun engagement", provider: "mailgun", body: `{"event-data":{"event":"clicked","id":"e","timestamp":1,"recipient":"a@example.com"}}`, ok: true},
		{name: "postmark no record type", provider: "postmark", body: `{"Email":"a@example.com"}`, field: "RecordType"},
		{name: "postmark bad time", provider: "postmark", body: `{"RecordType":"Bounce","ID":1,"Type":"HardBounce","Email":"a@example.com","BouncedAt":"05/11/2019"}`, field: "BouncedAt"},
		{name: "postmark no time", provider: "postmark", body: `{"RecordType":"Bounce","ID":1,"Type":"HardBounce","Email":"a@example.com"}`, field: "timestamp"},
		{name: "postmark delivery without message id", provider: "postmark", body: `{"RecordType":"Delivery","Recipient":"a@example.com","DeliveredAt":"2021-02-21T16:34:52Z"}`, field: "id"},
		{name: "postmark ID not a number", provider: "postmark", body: `{"RecordType":"Bounce","ID":"abc","Email":"a@example.com"}`},
		{name: "postmark array", provider: "postmark", body: `[]`},
		{name: "postmark open, click, subscription change", provider: "postmark", body: `{"RecordType":"Click","Recipient":"a@example.com"}`, ok: true},
		{name: "postmark list request", provider: "postmark", body: `{"RecordType":"Bounce","Type":"Unsubscribe","TypeCode":16,"Email":"a@example.com"}`, ok: true},
		{name: "sparkpost no recipient", provider: "sparkpost", body: `[{"msys":{"message_event":{"type":"bounce","event_id":"e","timestamp":"1"}}}]`, field: "[0].rcpt_to"},
		{name: "sparkpost bad time", provider: "sparkpost", body: `[{"msys":{"message_event":{"type":"bounce","event_id":"e","rcpt_to":"a@example.com","timestamp":"noon"}}}]`, field: "[0].timestamp"},
		{name: "sparkpost msys not an object", provider: "sparkpost", body: `[{"msys":"x"}]`},
		{name: "sparkpost engagement and sms", provider: "sparkpost", body: `[{"msys":{"track_event":{"type":"click"}}},{"msys":{"message_event":{"type":"sms_status"}}}]`, ok: true},
		{name: "sparkpost list requests", provider: "sparkpost", body: `[{"msys":{"message_event":{"type":"out_of_band","bounce_class":"90","event_id":"e","rcpt_to":"a@example.com","timestamp":"1"}}}]`, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			events, err := decoders[tt.provider]([]byte(tt.body))
			if tt.ok {
				if err != nil || len(events) != 0 {
					t.Fatalf("decode = %d events, %v; want none, nil", len(events), err)
				}
				return
			}
			if !errors.Is(err, channels.ErrMalformed) {
				t.Fatalf("decode error = %v, want ErrMalformed", err)
			}
			if tt.field == "" {
				return
			}
			var fe *channels.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("decode error = %v, want a FieldError on %q", err, tt.field)
			}
		})
	}
}

// TestSparkPostRFC3339 reads the RFC 3339 timestamps some SparkPost
// accounts send instead of Unix seconds.
func TestSparkPostRFC3339(t *testing.T) {
	t.Parallel()
	events, err := decodeSparkPost([]byte(`[{"msys":{"message_event":{"type":"delivery","event_id":"e","rcpt_to":"a@example.com","timestamp":"2024-05-01T10:00:00.000Z"}}}]`))
	if err != nil || len(events) != 1 || events[0].OccurredAt.Format("2006-01-02T15:04:05Z07:00") != "2024-05-01T10:00:00Z" {
		t.Fatalf("decode = %+v, %v", events, err)
	}
}

// TestRedelivery checks that a webhook delivered twice gives the same
// event ids, and distinct recipients or events distinct ones.
func TestRedelivery(t *testing.T) {
	t.Parallel()
	for provider, decode := range decoders {
		for _, name := range map[string][]string{
			"ses": {"bounce-two-recipients"}, "sendgrid": {"sample-batch"}, "mailgun": {"failed-bounce"},
			"postmark": {"bounce-hard"}, "sparkpost": {"sample-batch"},
		}[provider] {
			body := readTestdata(t, provider, name)
			a, errA := decode(body)
			b, errB := decode(body)
			if errA != nil || errB != nil || len(a) == 0 || len(a) != len(b) {
				t.Fatalf("%s/%s: decode = %d, %d events; %v, %v", provider, name, len(a), len(b), errA, errB)
			}
			seen := map[string]bool{}
			for i := range a {
				if a[i].ID != b[i].ID {
					t.Errorf("%s/%s: event %d id %s then %s", provider, name, i, a[i].ID, b[i].ID)
				}
				if seen[a[i].ID] {
					t.Errorf("%s/%s: id %s given to two events", provider, name, a[i].ID)
				}
				seen[a[i].ID] = true
			}
		}
	}
}
