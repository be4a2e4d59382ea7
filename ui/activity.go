package ui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// EventLog is the store's activity log; a Reader that has it (the
// store) gets the Activity page, any other shows the page as unavailable.
type EventLog interface {
	Activity(ctx context.Context, q store.ActivityQuery, now time.Time) (store.ActivityPage, error)
	ActivityEvent(ctx context.Context, id string) (store.ActivityDetail, error)
}

// activityFilters are the query parameters of the Activity page, which
// its links and its form carry (the API's names, GET /v1/events).
var activityFilters = []string{"channel", "campaign", "recipient", "message_id", "outcome", "reason", "provider", "country", "carrier", "from", "to"}

type activityData struct {
	Unavailable bool
	// Form holds the filters as asked, to fill the form again.
	Form   url.Values
	Page   store.ActivityPage
	Next   string // the next page's link; empty on the last
	Detail *activityDetail
}

type activityDetail struct {
	store.ActivityDetail
	Raw  string
	Back string
}

// activity lists the tenant's events newest first, filtered like
// GET /v1/events, or with ?id= shows one event with its verdict, rule,
// evidence and raw source, secrets masked.
func (h *Handler) activity(r *http.Request, v *view) (string, error) {
	v.Title, v.Active = "Activity", "activity"
	in := r.URL.Query()
	d := activityData{Form: url.Values{}}
	for _, k := range activityFilters {
		if vals, ok := in[k]; ok && (k == "campaign" || vals[0] != "") {
			d.Form.Set(k, vals[0])
		}
	}
	v.Data = &d
	if h.events == nil {
		d.Unavailable = true
		return "activity", nil
	}
	if id := in.Get("id"); id != "" {
		return h.activityEvent(r, v, &d, id)
	}
	q, err := h.activityQuery(d.Form, v)
	if err != nil {
		return "", err
	}
	q.Cursor = in.Get("cursor")
	page, err := h.events.Activity(r.Context(), q, h.now())
	if errors.Is(err, store.ErrBadQuery) {
		return "", badRequest("%v", err)
	}
	if err != nil {
		return "", err
	}
	d.Page = page
	if page.NextCursor != "" {
		next := cloneValues(d.Form)
		next.Set("cursor", page.NextCursor)
		d.Next = Prefix + "activity?" + next.Encode()
	}
	return "activity", nil
}

// activityQuery reads the form's filters; a range longer than the log
// allows (a link from a 90-day page) keeps its last days, with a notice.
func (h *Handler) activityQuery(f url.Values, v *view) (store.ActivityQuery, error) {
	q := store.ActivityQuery{Channel: channels.Channel(f.Get("channel")), Recipient: f.Get("recipient"),
		MessageID: f.Get("message_id"), Outcome: f.Get("outcome"), Reason: f.Get("reason"), Provider: f.Get("provider")}
	if _, ok := f["campaign"]; ok {
		q.Campaign, q.CampaignSet = f.Get("campaign"), true
	}
	if q.Channel != "" && !q.Channel.Valid() {
		return q, badRequest("channel: %q is not one of email, sms", q.Channel)
	}
	var err error
	if q.Country, q.Carrier, err = store.ActivityNetwork(f.Get("country"), f.Get("carrier")); err != nil {
		return q, badRequest("%v", err)
	}
	if q.Recipient != "" && q.Channel != "" {
		if a, err := channels.NormalizeRecipient(q.Channel, q.Recipient); err == nil {
			q.Recipient = a
		}
	}
	if q.From, err = activityTime("from", f.Get("from")); err != nil {
		return q, err
	}
	if q.To, err = activityTime("to", f.Get("to")); err != nil {
		return q, err
	}
	if !q.From.IsZero() {
		to := q.To
		if to.IsZero() {
			to = h.now()
		}
		if to.Sub(q.From) > store.MaxActivityRange {
			q.From = to.Add(-store.MaxActivityRange)
			v.Notices = append(v.Notices, "The activity log reads at most "+strconv.Itoa(int(store.MaxActivityRange/(24*time.Hour)))+
				" days at once: showing the last ones of the range.")
		}
	}
	return q, nil
}

// activityTime reads a date (a whole UTC day) or an RFC 3339 time.
func activityTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{dayLayout, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, badRequest("%s: %q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", name, s)
}

// activityEvent shows one event of the log.
func (h *Handler) activityEvent(r *http.Request, v *view, d *activityData, id string) (string, error) {
	e, err := h.events.ActivityEvent(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return "", &userError{status: http.StatusNotFound, msg: "No event " + strconv.Quote(id) + " in this tenant's log."}
	}
	if err != nil {
		return "", err
	}
	v.Title = "Event " + e.ID
	back := Prefix + "activity"
	if len(d.Form) > 0 {
		back += "?" + d.Form.Encode()
	}
	d.Detail = &activityDetail{ActivityDetail: e, Raw: channels.MaskRaw(e.Event.Raw), Back: back}
	return "activity", nil
}

// EventLink is the Activity page's link to one event, keeping the
// filters it was opened from.
func (d *activityData) EventLink(id string) string {
	q := cloneValues(d.Form)
	q.Set("id", id)
	return Prefix + "activity?" + q.Encode()
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = append([]string(nil), vals...)
	}
	return out
}

// ActivityLink is the Activity page's link for the page's range (its
// first and last days) and the filters kv, for the reasons and campaign
// pages to open the events behind a number.
func (v *view) ActivityLink(kv ...string) string {
	q := url.Values{}
	q.Set("from", v.Filter.From.Format(dayLayout))
	q.Set("to", v.Filter.To.Format(dayLayout))
	if v.Filter.Channel != "" {
		q.Set("channel", string(v.Filter.Channel))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return Prefix + "activity?" + q.Encode()
}

// Outcomes are the verdict outcomes the form offers.
func (d *activityData) Outcomes() []string {
	return []string{"delivered", "soft", "hard", "complaint", "pending", "ignored"}
}
