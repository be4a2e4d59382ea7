package esp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
)

// Fuzz targets, one per decoder. Seeds: the recorded payloads of
// testdata/<provider>/ plus testdata/fuzz/<Target>/. Run one with
//
//	go test ./email/esp -run '^$' -fuzz '^FuzzSES$' -fuzztime 20s
//
// Each checks that untrusted input never panics, that every error is
// ErrMalformed, and that every event is valid and complete.

func FuzzSES(f *testing.F) {
	addSeeds(f, ProviderSES)
	f.Fuzz(func(t *testing.T, body []byte) {
		// As a whole SNS body, then as the SES message inside one.
		events, err := decodeSESBody(body)
		checkDecoded(t, ProviderSES, events, err)
		env := snsEnvelope{Type: snsNotification, MessageID: "sns-1", Message: string(body), Timestamp: "2026-03-01T12:00:00Z"}
		events, err = sesEvents(env, body)
		checkDecoded(t, ProviderSES, events, err)
		_ = env.stringToSign()
	})
}

func FuzzSendGrid(f *testing.F) {
	addSeeds(f, ProviderSendGrid)
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := decodeSendGrid(body)
		checkDecoded(t, ProviderSendGrid, events, err)
	})
}

func FuzzMailgun(f *testing.F) {
	addSeeds(f, ProviderMailgun)
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := decodeMailgun(body)
		checkDecoded(t, ProviderMailgun, events, err)
	})
}

func FuzzPostmark(f *testing.F) {
	addSeeds(f, ProviderPostmark)
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := decodePostmark(body)
		checkDecoded(t, ProviderPostmark, events, err)
	})
}

func FuzzSparkPost(f *testing.F) {
	addSeeds(f, ProviderSparkPost)
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := decodeSparkPost(body)
		checkDecoded(t, ProviderSparkPost, events, err)
	})
}

// FuzzDiagnostic checks the diagnostic splitter: it never fails, and what
// it returns is a valid reply code, an RFC 3463 status and a suffix of the
// input.
func FuzzDiagnostic(f *testing.F) {
	for _, s := range []string{"smtp; 550 5.1.1 user unknown", "552-5.2.2 full", "4.2.2 over quota", "250 OK", "", "x;", "550: #5.1.0 a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, status, text := parseDiagnostic(s)
		if code != 0 && !validCode(code) {
			t.Errorf("code %d from %q", code, s)
		}
		if status != "" && !enhanced.MatchString(status) {
			t.Errorf("status %q from %q", status, s)
		}
		if !strings.Contains(s, text) {
			t.Errorf("text %q is not part of %q", text, s)
		}
	})
}

// addSeeds adds the recorded payloads of a provider to the corpus.
func addSeeds(f *testing.F, provider string) {
	files, err := filepath.Glob(filepath.Join("testdata", provider, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s: %v", provider, err)
	}
	for _, p := range files {
		if strings.HasSuffix(p, ".golden.json") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkDecoded holds for any decoder output: errors are ErrMalformed and
// events are valid, complete and of the provider.
func checkDecoded(t *testing.T, provider string, events []channels.Event, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, channels.ErrMalformed) {
			t.Fatalf("error is not ErrMalformed: %v", err)
		}
		if len(events) != 0 {
			t.Fatalf("%d events with an error", len(events))
		}
		return
	}
	if len(events) > maxBatch*maxRecipients {
		t.Fatalf("%d events", len(events))
	}
	for _, e := range events {
		again := e
		if err := again.Normalize(); err != nil {
			t.Fatalf("event does not validate: %v", err)
		}
		switch {
		case e.Provider != provider, e.Channel != channels.Email:
			t.Fatalf("event of %s/%s, want %s/email", e.Provider, e.Channel, provider)
		case !strings.HasPrefix(e.ID, "ev_") || len(e.ID) != 35:
			t.Fatalf("event id %q", e.ID)
		case e.Recipient == "" || e.OccurredAt.IsZero() || e.Raw == "":
			t.Fatalf("incomplete event %+v", e)
		case e.SMTP != nil && (len(e.SMTP.Text) > maxTextLen || (e.SMTP.Code != 0 && !validCode(e.SMTP.Code))):
			t.Fatalf("SMTP reply %+v", e.SMTP)
		}
	}
}
