package ui

import (
	"errors"
	"net/http"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// recipientEvents is how many of a recipient's latest events the page
// lists.
const recipientEvents = 50

// maxAddressLen bounds the searched text (an email address is at most 320
// bytes, RFC 5321 §4.5.3.1).
const maxAddressLen = 512

type recipientData struct {
	Channel channels.Channel
	// Query is the text searched, Address its normalized form.
	Query, Address string
	// Invalid explains why Query is not an address or number.
	Invalid string
	Found   bool
	// Exclusion is the pre-send answer (a deny list wins over any state);
	// View the state machine's row and history, Known false when rebond
	// never changed the recipient.
	Exclusion store.Exclusion
	View      store.RecipientView
	Known     bool
	Events    []store.EventVerdict
	// Releasable: the recipient is quarantined or suspended (a deny-list
	// entry is removed from the list instead, and an opt-out only the
	// recipient lifts). CanRelease offers the release form: a releaser is
	// configured and the session's role may release; MayRelease is the
	// role's part alone.
	CanRelease, MayRelease, Releasable bool
}

// recipient answers "why is this recipient excluded?": the pre-send
// answer, the state with its reason and dates, the audit history and the
// latest events with their verdicts.
func (h *Handler) recipient(r *http.Request, v *view) (string, error) {
	v.Title, v.Active = "Why is this recipient excluded?", "recipient"
	q := r.URL.Query()
	d := recipientData{Channel: v.Filter.Channel, Query: q.Get("address"), MayRelease: v.Who.may(actRelease)}
	d.CanRelease = d.MayRelease && h.releaser != nil
	if msg, ok := releaseNotices[q.Get("done")]; ok {
		v.Notices = append(v.Notices, msg)
	}
	if d.Channel == "" {
		d.Channel = channels.Email
	}
	v.Data = &d
	if d.Query == "" {
		return "recipient", nil
	}
	if len(d.Query) > maxAddressLen {
		d.Query = clip(d.Query)
		d.Invalid = "This is too long to be an address or a number."
		return "recipient", nil
	}
	addr, err := h.address(r, d.Channel, d.Query)
	if err != nil {
		what := "email address"
		if d.Channel == channels.SMS {
			what = "phone number"
		}
		d.Invalid = "This is not a valid " + what + " (" + err.Error() + ")."
		return "recipient", nil
	}
	d.Address, d.Found = addr, true
	v.Keep.Set("address", addr)
	ctx := r.Context()
	ex, err := h.reader.Exclusions(ctx, d.Channel, []string{addr}, h.now())
	if err != nil {
		return "", err
	}
	if h.consents != nil {
		c := store.ConsentCheck{Channel: d.Channel, RequireConfirmed: h.cfg.Consent.Requires(channels.Tenant(ctx), "")}
		if err := h.consents.ConsentExclusions(ctx, c, ex); err != nil {
			return "", err
		}
	}
	if len(ex) == 1 {
		d.Exclusion = ex[0]
	}
	d.View, err = h.reader.Recipient(ctx, d.Channel, addr)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.View = store.RecipientView{Channel: d.Channel, Address: addr, State: channels.StateActive}
	case err != nil:
		return "", err
	default:
		d.Known = true
	}
	// A recipient an allow entry lets senders reach is still quarantined
	// or suspended on record: it may be released all the same. A deny-list
	// entry is removed from its list; an opt-out or a missing confirmation
	// is the recipient's to change, never an operator's.
	allowed := d.Exclusion.ListEntry != nil && d.Exclusion.ListEntry.List == "allow"
	d.Releasable = (d.Exclusion.Excluded || allowed) && (d.Exclusion.State == channels.StateQuarantined || d.Exclusion.State == channels.StateSuspended)
	if d.Events, err = h.reader.RecipientEvents(ctx, d.Channel, addr, recipientEvents); err != nil {
		return "", err
	}
	return "recipient", nil
}
