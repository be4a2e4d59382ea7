package channels

import (
	"testing"
)

// benchEvent is a typical failure as producers post it.
var benchEvent = []byte(`{"channel":"email","type":"failed","message_id":"m-000123","recipient":"someone.else@example.org","campaign":"spring-2026","occurred_at":"2026-11-02T10:00:02.123Z","sync":true,"provider":"ses","smtp":{"code":550,"status":"5.1.1","text":"550 5.1.1 <someone.else@example.org>: Recipient address rejected: User unknown in virtual mailbox table"}}`)

// BenchmarkDecodeEvent is the decode every event goes through at the API
// and again in the bridge (decodeOptions says why v2).
func BenchmarkDecodeEvent(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEvent(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
}
