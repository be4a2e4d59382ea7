package ui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// Releaser takes a quarantined or suspended recipient back to active, with
// an audit row naming the actor and the reason (store.Store.Release). When
// the Reader given to New also implements it, the recipient page offers a
// release button; otherwise it says releasing is done elsewhere.
type Releaser interface {
	Release(ctx context.Context, ch channels.Channel, address, reason, actor string, now time.Time) error
}

const (
	// maxReleaseReason bounds the reason typed in the form.
	maxReleaseReason = 500
	// maxReleaseBody bounds the release form.
	maxReleaseBody = 4 << 10
)

// postRelease releases the recipient of the form and goes back to its
// page, with a notice saying what happened.
func (h *Handler) postRelease(w http.ResponseWriter, r *http.Request) {
	if h.releaser == nil {
		http.Error(w, "releasing recipients is not available on this server", http.StatusNotFound)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxReleaseBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad release form", http.StatusBadRequest)
		return
	}
	ch := channels.Channel(r.PostForm.Get("channel"))
	addr, err := h.address(r, ch, r.PostForm.Get("address"))
	if !ch.Valid() || err != nil {
		http.Error(w, "the release form names no valid recipient", http.StatusBadRequest)
		return
	}
	back := func(notice string) {
		q := url.Values{"channel": {string(ch)}, "address": {addr}, "done": {notice}}
		http.Redirect(w, r, Prefix+"recipient?"+q.Encode(), http.StatusSeeOther)
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" || utf8.RuneCountInString(reason) > maxReleaseReason || !utf8.ValidString(reason) {
		back("reason")
		return
	}
	who := whoOf(r.Context())
	err = h.releaser.Release(r.Context(), ch, addr, reason, who.actor(), h.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		back("not-excluded")
	case err != nil:
		v := h.newView(r)
		h.fail(w, r, v, err)
	default:
		h.log.InfoContext(r.Context(), "recipient released", "channel", ch, "recipient", addr, "actor", who.actor(), "tenant", channels.Tenant(r.Context()), "reason", reason)
		back("released")
	}
}

// releaseNotices are the outcomes postRelease reports on the recipient
// page (done=...): fixed texts, so the URL cannot inject any.
var releaseNotices = map[string]string{
	"released":     "Released: senders may send to this recipient again. The release is in its history below.",
	"not-excluded": "Nothing to release: this recipient was not quarantined or suspended.",
	"reason":       "Not released: say why (up to 500 characters); the reason goes to the recipient's history.",
}
