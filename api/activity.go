package api

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// EventLog is the store's activity log (store.Store), behind
// GET /v1/events and GET /v1/events/{id}.
type EventLog interface {
	Activity(ctx context.Context, q store.ActivityQuery, now time.Time) (store.ActivityPage, error)
	ActivityEvent(ctx context.Context, id string) (store.ActivityDetail, error)
}

// eventDetail is GET /v1/events/{id}'s answer: the event's row with its
// verdict and evidence, and what its source said, secrets masked.
type eventDetail struct {
	store.ActivityDetail
	SMTP *channels.SMTPReply  `json:"smtp,omitempty"`
	SMS  *channels.SMSReceipt `json:"sms,omitempty"`
	// Raw is the source as it arrived (a bounce mail, a receipt, a webhook
	// body) with its secrets masked (channels.MaskRaw).
	Raw        string `json:"raw,omitempty"`
	Unverified bool   `json:"unverified,omitempty"`
}

func (s *Server) eventLog() (EventLog, error) {
	if s.cfg.Events == nil {
		return nil, errorf(http.StatusNotImplemented, "the event log is not configured")
	}
	return s.cfg.Events, nil
}

// getEventLog answers GET /v1/events: a page of the tenant's events with
// their verdicts, newest first, as JSON, or CSV when asked with
// Accept: text/csv or ?format=csv (the next page's cursor then in the
// X-Next-Cursor header).
func (s *Server) getEventLog(w http.ResponseWriter, r *http.Request) error {
	log, err := s.eventLog()
	if err != nil {
		return err
	}
	q, err := ActivityQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := log.Activity(r.Context(), q, s.now())
	if errors.Is(err, store.ErrBadQuery) {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv") {
		return writeEventsCSV(w, page)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// ActivityQuery reads the activity log's filters from a query string, the
// API's and the dashboard's: channel, campaign (present and empty: events
// without a campaign), recipient, message_id, outcome, reason, provider,
// country, carrier, from, to (RFC 3339 or YYYY-MM-DD), limit and cursor.
func ActivityQuery(v url.Values) (store.ActivityQuery, error) {
	q := store.ActivityQuery{Channel: channels.Channel(v.Get("channel")), Recipient: v.Get("recipient"),
		MessageID: v.Get("message_id"), Outcome: v.Get("outcome"), Reason: v.Get("reason"),
		Provider: v.Get("provider"), Cursor: v.Get("cursor")}
	if q.Channel != "" && !q.Channel.Valid() {
		return q, errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", q.Channel)
	}
	var err error
	if q.Country, q.Carrier, err = store.ActivityNetwork(v.Get("country"), v.Get("carrier")); err != nil {
		return q, errorf(http.StatusBadRequest, "%v", err)
	}
	if _, ok := v["campaign"]; ok {
		q.Campaign, q.CampaignSet = v.Get("campaign"), true
	}
	if q.Recipient != "" && q.Channel != "" {
		if n, err := channels.NormalizeRecipient(q.Channel, q.Recipient); err == nil {
			q.Recipient = n
		}
	}
	if q.From, err = parseTime("from", v.Get("from")); err != nil {
		return q, err
	}
	if q.To, err = parseTime("to", v.Get("to")); err != nil {
		return q, err
	}
	if l := v.Get("limit"); l != "" {
		if q.Limit, err = strconv.Atoi(l); err != nil || q.Limit < 1 || q.Limit > store.MaxActivityRows {
			return q, errorf(http.StatusBadRequest, "limit: %q is not a count from 1 to %d", l, store.MaxActivityRows)
		}
	}
	return q, nil
}

// getEvent answers GET /v1/events/{id}: one event of the tenant with its
// verdict, rule, evidence and raw source, secrets masked.
func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	log, err := s.eventLog()
	if err != nil {
		return err
	}
	d, err := log.ActivityEvent(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "no event %q", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, eventDetail{ActivityDetail: d, SMTP: d.Event.SMTP, SMS: d.Event.SMS,
		Raw: channels.MaskRaw(d.Event.Raw), Unverified: d.Event.Unverified})
	return nil
}

// eventColumns are the CSV's columns; new ones go last, so a reader by
// position keeps working.
var eventColumns = []string{"occurred_at", "received_at", "id", "channel", "type", "campaign", "recipient", "message_id",
	"provider", "outcome", "reason", "rule", "applied_at", "country", "carrier"}

// writeEventsCSV writes a page of events as CSV (RFC 4180) with a header
// line; text cells a spreadsheet would run as a formula are neutralized.
func writeEventsCSV(w http.ResponseWriter, page store.ActivityPage) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="events.csv"`)
	if page.NextCursor != "" {
		w.Header().Set("X-Next-Cursor", page.NextCursor)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(eventColumns)
	for _, e := range page.Events {
		applied := ""
		if e.AppliedAt != nil {
			applied = e.AppliedAt.UTC().Format(time.RFC3339Nano)
		}
		_ = cw.Write([]string{e.OccurredAt.Format(time.RFC3339Nano), e.ReceivedAt.Format(time.RFC3339Nano), csvText(e.ID),
			string(e.Channel), e.Type, csvText(e.Campaign), csvText(e.Recipient), csvText(e.MessageID), csvText(e.Provider),
			e.Outcome, e.Reason, csvText(e.Rule), applied, e.Country, e.Carrier})
	}
	cw.Flush()
	return cw.Error()
}
