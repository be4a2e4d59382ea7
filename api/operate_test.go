package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// fakeOperator keeps lists and releases in memory.
type fakeOperator struct {
	entries  []store.ListEntry
	excluded map[string]channels.State // address -> state
	audit    []string
}

func (f *fakeOperator) AddListEntries(_ context.Context, es []store.ListEntry) error {
	f.entries = append(f.entries, es...)
	return nil
}

func (f *fakeOperator) ListEntries(_ context.Context, list string, ch channels.Channel) ([]store.ListEntry, error) {
	var out []store.ListEntry
	for _, e := range f.entries {
		if e.List == list && (ch == "" || e.Channel == ch) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeOperator) DeleteListEntry(_ context.Context, e store.ListEntry) error {
	for i, x := range f.entries {
		if x.Channel == e.Channel && x.List == e.List && x.Kind == e.Kind && x.Value == e.Value {
			f.entries = append(f.entries[:i], f.entries[i+1:]...)
			return nil
		}
	}
	return store.ErrNotFound
}

func (f *fakeOperator) Release(_ context.Context, _ channels.Channel, addr, reason, actor string, _ time.Time) error {
	if f.excluded[addr] == "" {
		return store.ErrNotFound
	}
	delete(f.excluded, addr)
	f.audit = append(f.audit, actor+" "+addr+" "+reason)
	return nil
}

func (f *fakeOperator) PreviewRelease(_ context.Context, r store.ReleaseFilter) (store.ReleasePreview, error) {
	var p store.ReleasePreview
	for _, st := range f.excluded {
		if r.State == "" || r.State == st {
			p.Recipients++
		}
	}
	return p, nil
}

func (f *fakeOperator) ReleaseBulk(ctx context.Context, r store.ReleaseFilter, why, actor string, now time.Time) (int64, error) {
	var n int64
	for a, st := range f.excluded {
		if r.State == "" || r.State == st {
			_ = f.Release(ctx, r.Channel, a, why, actor, now)
			n++
		}
	}
	return n, nil
}

func TestLists(t *testing.T) {
	op := &fakeOperator{}
	f := newFixture(t, Config{Operator: op}, nil)
	code, body := f.authed("POST", "/v1/lists/deny", `{"entries":[{"channel":"email","kind":"exact","value":"Boss@Example.com","reason":"asked"},{"channel":"sms","kind":"prefix","value":"+4477"}]}`)
	if code != 200 || body != `{"added":2}`+"\n" {
		t.Fatalf("add: %d %s", code, body)
	}
	csvBody := "channel,kind,value,reason,expires_at\nemail,domain,trap.example,,2027-01-01T00:00:00Z\n"
	if code, body := f.authed("POST", "/v1/lists/allow", csvBody, "Content-Type", "text/csv"); code != 200 || !strings.Contains(body, `"added":1`) {
		t.Fatalf("csv import: %d %s", code, body)
	}
	for body, want := range map[string]string{
		`{"entries":[{"channel":"email","kind":"prefix","value":"44"}]}`: "entry 0: value",
		`{"entries":[{"channel":"email","kind":"regex","value":".*"}]}`:  "entry 0: kind",
		`{"entries":[]}`: "none given",
	} {
		if code, resp := f.authed("POST", "/v1/lists/deny", body); code != 400 || !strings.Contains(resp, want) {
			t.Errorf("%s: %d %s, want 400 %q", body, code, resp, want)
		}
	}
	if code, _ := f.authed("POST", "/v1/lists/grey", `{"entries":[]}`); code != 404 {
		t.Errorf("unknown list: %d", code)
	}
	if code, body := f.authed("POST", "/v1/lists/deny", "channel,value\nemail,x@y.z\n", "Content-Type", "text/csv"); code != 400 || !strings.Contains(body, `no \"kind\" column`) {
		t.Errorf("csv without kind: %d %s", code, body)
	}
	code, body = f.authed("GET", "/v1/lists/deny?format=csv", "")
	if want := "channel,kind,value,reason,expires_at\nemail,exact,boss@example.com,asked,\nsms,prefix,4477,,\n"; code != 200 || body != want {
		t.Errorf("export: %d\n%s\nwant\n%s", code, body, want)
	}
	if code, body := f.authed("GET", "/v1/lists/allow?channel=email", ""); code != 200 || !strings.Contains(body, `"value":"trap.example"`) {
		t.Errorf("json export: %d %s", code, body)
	}
	if code, _ := f.authed("DELETE", "/v1/lists/deny/email/exact/BOSS@example.com", ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := f.authed("DELETE", "/v1/lists/deny/email/exact/boss@example.com", ""); code != 404 {
		t.Errorf("delete twice: %d", code)
	}
}

func TestReleases(t *testing.T) {
	op := &fakeOperator{excluded: map[string]channels.State{"a@example.com": "quarantined", "b@example.com": "quarantined", "c@example.com": "suspended"}}
	f := newFixture(t, Config{Operator: op}, nil)
	if code, body := f.authed("POST", "/v1/recipients/email/A@example.com/release", `{}`); code != 400 || !strings.Contains(body, "reason: required") {
		t.Errorf("no reason: %d %s", code, body)
	}
	if code, body := f.authed("POST", "/v1/recipients/email/A@example.com/release", `{"reason":"mailbox fixed"}`); code != 200 || !strings.Contains(body, `"address":"a@example.com"`) {
		t.Errorf("release: %d %s", code, body)
	}
	if code, _ := f.authed("POST", "/v1/recipients/email/a@example.com/release", `{"reason":"again"}`); code != 404 {
		t.Errorf("release an active recipient: %d", code)
	}
	if code, body := f.authed("POST", "/v1/releases/preview", `{"channel":"email","state":"quarantined"}`); code != 200 || !strings.Contains(body, `"recipients":1`) {
		t.Errorf("preview: %d %s", code, body)
	}
	if code, body := f.authed("POST", "/v1/releases", `{"channel":"email","state":"quarantined","why":"cleanup","expect":5}`); code != 409 || !strings.Contains(body, "now selects 1") {
		t.Errorf("stale preview: %d %s", code, body)
	}
	if code, _ := f.authed("POST", "/v1/releases", `{"channel":"email","state":"quarantined","expect":1}`); code != 400 {
		t.Errorf("no why: %d", code)
	}
	if code, body := f.authed("POST", "/v1/releases", `{"channel":"email","state":"quarantined","why":"cleanup","expect":1}`); code != 200 || body != `{"released":1}`+"\n" {
		t.Errorf("bulk: %d %s", code, body)
	}
	if code, _ := f.authed("POST", "/v1/releases/preview", `{"channel":"email","state":"gone"}`); code != 400 {
		t.Errorf("bad state: %d", code)
	}
	if len(op.audit) != 2 || op.audit[0] != "api:admin a@example.com mailbox fixed" {
		t.Errorf("audit = %q", op.audit)
	}
	off := newFixture(t, Config{}, nil)
	if code, _ := off.authed("GET", "/v1/lists/deny", ""); code != 501 {
		t.Errorf("no operator: %d", code)
	}
}
