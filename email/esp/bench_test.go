package esp

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// BenchmarkDecode measures each decoder on its recorded sample (signature
// aside); ns/event divides by the events the sample gives.
func BenchmarkDecode(b *testing.B) {
	for provider, name := range map[string]string{
		ProviderSES: "bounce-two-recipients", ProviderSendGrid: "sample-batch", ProviderMailgun: "failed-bounce",
		ProviderPostmark: "bounce-hard", ProviderSparkPost: "sample-batch",
	} {
		b.Run(provider, func(b *testing.B) {
			body := readTestdata(b, provider, name)
			decode := decoders[provider]
			var n int
			for b.Loop() {
				events, err := decode(body)
				if err != nil {
					b.Fatal(err)
				}
				n += len(events)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
		})
	}
}

// BenchmarkHandleSigned measures Handle with signature checks: SNS
// (RSA-2048, certificate cached) and SendGrid (ECDSA P-256).
func BenchmarkHandleSigned(b *testing.B) {
	b.Run("ses", func(b *testing.B) {
		h := newTestSES(b, SESConfig{})
		body := snsMessage(b, snsNotification, sesBounceMessage, "2", nil)
		for b.Loop() {
			if _, err := h.Handle(snsRequest(body, ""), body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sendgrid", func(b *testing.B) {
		key, pub := sendgridKey(b)
		h, err := NewSendGrid(SendGridConfig{PublicKey: pub})
		if err != nil {
			b.Fatal(err)
		}
		body := []byte(sendgridBody)
		req := signSendGrid(b, key, strconv.FormatInt(time.Now().Unix(), 10), body)
		for b.Loop() {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header = req.Header
			if _, err := h.Handle(r, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
