package rulebook_test

import (
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ev := func(id string, m int, text string) store.FallbackEvent {
		return store.FallbackEvent{ID: id, Channel: channels.Email, Type: channels.Failed, OccurredAt: at(m), Text: text}
	}
	// Newest first, as store.FallbackEvents returns them.
	events := []store.FallbackEvent{
		ev("e7", 7, "Quota exceeded for <c@x.org> (12 MB)"),
		{ID: "e6", Channel: channels.Email, Type: channels.Failed, OccurredAt: at(6), Status: "5.9.9", Code: 599},
		{ID: "e5", Channel: channels.SMS, Type: channels.Failed, OccurredAt: at(5), Stat: "weird", Err: "9"},
		{ID: "e4", Channel: channels.SMS, Type: channels.Failed, OccurredAt: at(4)},
		{ID: "e4b", Channel: channels.SMS, Type: channels.Failed, OccurredAt: at(4), Err: "0ff", Dialect: "W2WTS"},
		{ID: "e4c", Channel: channels.SMS, Type: channels.Failed, OccurredAt: at(4), Err: "7"},
		{ID: "e3", Channel: channels.Email, Type: channels.Failed, OccurredAt: at(3), Text: "quota exceeded for <b@x.org> (7 MB)", Unverified: true},
		ev("e2", 2, "Something else"),
		ev("e1", 1, "QUOTA EXCEEDED for <a@x.org> (1024 MB)"),
	}
	quota := rulebook.GroupID(channels.Email, "quota exceeded for <<addr>> (<n> mb)")
	decisions := []store.QualificationDecision{{GroupID: rulebook.GroupID(channels.Email, "something else"), State: store.QualifyIgnored}}
	got := rulebook.Groups(events, decisions)
	want := []struct {
		id, text, state string
		count           int
		first, last     int
		examples        []string
	}{
		{quota, "quota exceeded for <<addr>> (<n> mb)", "open", 3, 1, 7, []string{"e7", "e3", "e1"}},
		{"", "status=5.9.9 code=599", "open", 1, 6, 6, []string{"e6"}},
		{"", "stat=WEIRD", "open", 1, 5, 5, []string{"e5"}},
		{"", "err=0ff dialect=w2wts", "open", 1, 4, 4, []string{"e4b"}},
		{"", "something else", "ignored", 1, 2, 2, []string{"e2"}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d groups, want %d (a receipt without stat, or with an err but no dialect, has nothing to match): %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if (w.id != "" && g.ID != w.id) || g.Text != w.text || g.State != w.state || g.Count != w.count ||
			!g.FirstSeen.Equal(at(w.first)) || !g.LastSeen.Equal(at(w.last)) || len(g.Examples) != len(w.examples) {
			t.Errorf("group %d = %+v, want %+v", i, g, w)
			continue
		}
		for j := range w.examples {
			if g.Examples[j] != w.examples[j] {
				t.Errorf("group %d examples %v, want %v", i, g.Examples, w.examples)
				break
			}
		}
	}
	if got[0].Unverified != 1 || got[1].Unverified != 0 {
		t.Errorf("unverified counts %d and %d, want 1 (e3) and 0", got[0].Unverified, got[1].Unverified)
	}
	if got[0].Sample != "Quota exceeded for <c@x.org> (12 MB)" {
		t.Errorf("the sample is the latest text: %q", got[0].Sample)
	}
}
