package esp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

// webhookServer mounts adapters the way the api package does (POST
// /v1/webhooks/{name}, bounded body, 401 / 400 / 500 by error kind) and
// answers the ids of the events it would publish.
func webhookServer(tb testing.TB, hooks map[string]channels.Webhook) *httptest.Server {
	tb.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/webhooks/{name}", func(w http.ResponseWriter, r *http.Request) {
		hook, ok := hooks[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		res, err := hook.Handle(r, body)
		switch {
		case errors.Is(err, channels.ErrUnauthorized):
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		case errors.Is(err, channels.ErrMalformed):
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ids := []string{}
		for _, e := range res.Events {
			ids = append(ids, e.ID)
		}
		_ = json.NewEncoder(w).Encode(ids)
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// TestHTTPEndToEnd sends each provider's recorded payload, signed the way
// the provider signs it, over HTTP to its adapter: the events come back
// with the ids the golden files hold, a second delivery gives the same ids,
// and a request with a bad signature or secret is answered 401.
func TestHTTPEndToEnd(t *testing.T) {
	t.Parallel()
	sgKey, sgPub := sendgridKey(t)
	const mgKey = "key-e2e"
	hooks := map[string]channels.Webhook{"ses": newTestSES(t, SESConfig{Now: time.Now})}
	for name, cfg := range map[string]Config{
		"sendgrid":  {PublicKey: sgPub},
		"mailgun":   {SigningKey: mgKey},
		"postmark":  {Username: "pm", Password: "pm-secret"},
		"sparkpost": {Token: "sp-token"},
	} {
		h, err := New(name, cfg)
		if err != nil {
			t.Fatal(err)
		}
		hooks[name] = h
	}
	srv := webhookServer(t, hooks)

	// SES: the recorded notification's SES message in a freshly signed
	// SNS envelope. Raw is the envelope, so ids are compared, not bodies.
	var sesEnv snsEnvelope
	if err := json.Unmarshal(readTestdata(t, "ses", "bounce-two-recipients"), &sesEnv); err != nil {
		t.Fatal(err)
	}
	mgEvent := func() []byte {
		var p struct {
			EventData json.RawMessage `json:"event-data"`
		}
		if err := json.Unmarshal(readTestdata(t, "mailgun", "failed-bounce"), &p); err != nil {
			t.Fatal(err)
		}
		return p.EventData
	}()
	now := strconv.FormatInt(time.Now().Unix(), 10)
	sgBody := readTestdata(t, "sendgrid", "sample-batch")
	spBody := readTestdata(t, "sparkpost", "sample-batch")
	pmBody := readTestdata(t, "postmark", "bounce-hard")
	mgBody := mailgunBody(mgKey, now, "tok-e2e", string(mgEvent))
	sesBody := snsMessage(t, snsNotification, sesEnv.Message, "2", func(m map[string]string) { m["MessageId"] = sesEnv.MessageID })

	tests := []struct {
		name   string
		hook   string
		body   []byte
		sign   func(*http.Request)
		forged func(*http.Request)
		golden []byte // the payload the golden ids come from
	}{
		{"ses", "ses", sesBody,
			func(r *http.Request) { r.Header.Set("X-Amz-Sns-Message-Type", snsNotification) },
			nil, readTestdata(t, "ses", "bounce-two-recipients")},
		{"sendgrid", "sendgrid", sgBody,
			func(r *http.Request) { copyHeaders(r, signSendGrid(t, sgKey, now, sgBody)) },
			func(r *http.Request) { copyHeaders(r, signSendGrid(t, sgKey, now, []byte("[]"))) }, sgBody},
		// Mailgun signs timestamp and token only, not the event: a forged
		// request is one signed with another key.
		{"mailgun", "mailgun", mgBody, func(*http.Request) {},
			func(r *http.Request) {
				r.Body = io.NopCloser(bytes.NewReader(mailgunBody("key-guess", now, "tok-e2e", string(mgEvent))))
			}, mgBody},
		{"postmark", "postmark", pmBody,
			func(r *http.Request) { r.SetBasicAuth("pm", "pm-secret") },
			func(r *http.Request) { r.SetBasicAuth("pm", "guess") }, pmBody},
		{"sparkpost", "sparkpost", spBody,
			func(r *http.Request) { r.Header.Set(sparkpostTokenHeader, "sp-token") },
			func(r *http.Request) { r.Header.Set(sparkpostTokenHeader, "sp-guess") }, spBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := goldenIDs(t, tt.hook, tt.golden)
			for range 2 { // the provider delivers again: same ids
				status, got := post(t, srv.URL+"/v1/webhooks/"+tt.hook, tt.body, tt.sign)
				if status != http.StatusOK || !slices.Equal(got, want) {
					t.Fatalf("POST = %d %v, want 200 %v", status, got, want)
				}
			}
			forged := tt.forged
			if forged == nil { // tamper with the signed body instead
				body := bytes.Replace(tt.body, []byte("example.com"), []byte("example.net"), 1)
				if status, _ := post(t, srv.URL+"/v1/webhooks/"+tt.hook, body, tt.sign); status != http.StatusUnauthorized {
					t.Errorf("tampered body: status %d, want 401", status)
				}
				return
			}
			if status, _ := post(t, srv.URL+"/v1/webhooks/"+tt.hook, tt.body, forged); status != http.StatusUnauthorized {
				t.Errorf("forged request: status %d, want 401", status)
			}
		})
	}
}

// goldenIDs returns the ids of the events decoded from body without the
// HTTP path.
func goldenIDs(tb testing.TB, provider string, body []byte) []string {
	tb.Helper()
	events, err := decoders[provider](body)
	if err != nil || len(events) == 0 {
		tb.Fatalf("decode %s: %d events, %v", provider, len(events), err)
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

func post(tb testing.TB, url string, body []byte, prepare func(*http.Request)) (int, []string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	prepare(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ids []string
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &ids); err != nil {
			tb.Fatalf("answer %q: %v", b, err)
		}
	}
	return resp.StatusCode, ids
}

func copyHeaders(dst, src *http.Request) {
	for k, v := range src.Header {
		dst.Header[k] = v
	}
}
