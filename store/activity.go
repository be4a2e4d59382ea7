package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
)

// The bounds of the activity log (GET /v1/events, the dashboard's Activity
// page): every query reads one tenant, one window of at most
// MaxActivityRange and at most MaxActivityRows rows, under
// activityTimeout, so no filter can make it scan the whole table.
const (
	// MaxActivityRows bounds ActivityQuery.Limit.
	MaxActivityRows = 1000
	// DefaultActivityRows is the page size when ActivityQuery.Limit is 0.
	DefaultActivityRows = 100
	// DefaultActivityRange is the window when ActivityQuery.From is zero.
	DefaultActivityRange = 7 * 24 * time.Hour
	// MaxActivityRange bounds To - From.
	MaxActivityRange = 31 * 24 * time.Hour
	// activityTimeout is the statement timeout of one page.
	activityTimeout = 10 * time.Second
)

// The positions of the activity statements' arguments that Activity
// reads or rewrites per slice ($n of dashboard.sql is at n-1), named so
// that adding a filter renumbers them in one place. activityArgs gives
// $1 to $16, all activity-notable takes; activity also takes $17, the
// campaign of an event's message (argMessageCampaign, appended last).
const (
	argFrom            = 1
	argTo              = 2
	argCampaign        = 4
	argLimit           = 12
	argNotable         = 16 // the count activity-notable takes
	argMessageCampaign = 16
)

// ErrBadQuery marks an activity query the caller got wrong (a range too
// long, a cursor not made by Activity): the API answers it with 400.
var ErrBadQuery = errors.New("bad query")

// ActivityQuery selects a page of the activity log. Every filter is
// exact and empty means none, except Campaign, which filters when
// CampaignSet (the empty campaign is a campaign: events sent without
// one). To defaults to now and From to To - DefaultActivityRange;
// [From, To) is by occurrence time. Cursor is NextCursor of the page
// before.
type ActivityQuery struct {
	Channel     channels.Channel
	Campaign    string
	CampaignSet bool
	Recipient   string
	MessageID   string
	Outcome     string
	Reason      string
	// Provider is the provider or carrier route that reported the event
	// ("ses", "twilio", "smpp:<gateway>").
	Provider string
	// Country is an SMS recipient's country (ISO 3166-1 alpha-2): the
	// event's own when it carries one (the producer's or the gateway's),
	// else its number's (phone.Country), the country rates count the
	// delivery under; email events have none. Carrier is the MCC-MNC a
	// receipt reported (sms.mcc_mnc): only the events that reported it
	// match. ActivityNetwork normalizes both.
	Country, Carrier string
	From, To         time.Time
	Limit            int
	Cursor           string
}

// ActivityEvent is one row of the activity log: an event with the
// verdict the rules gave it (empty outcome while it waits in the inbox).
type ActivityEvent struct {
	ID         string           `json:"id" db:"id"`
	Channel    channels.Channel `json:"channel" db:"channel"`
	Type       string           `json:"type" db:"type"`
	MessageID  string           `json:"message_id,omitempty" db:"message_id"`
	Recipient  string           `json:"recipient" db:"recipient"`
	Campaign   string           `json:"campaign,omitempty" db:"campaign"`
	OccurredAt time.Time        `json:"occurred_at" db:"occurred_at"`
	ReceivedAt time.Time        `json:"received_at" db:"received_at"`
	Provider   string           `json:"provider,omitempty" db:"provider"`
	// Country and Carrier are as ActivityQuery filters them: the SMS
	// recipient's country (the event's, else its number's) and the
	// carrier the event reported.
	Country   string     `json:"country,omitempty" db:"country"`
	Carrier   string     `json:"carrier,omitempty" db:"carrier"`
	AppliedAt *time.Time `json:"applied_at,omitempty" db:"applied_at"`
	Outcome   string     `json:"outcome,omitempty" db:"outcome"`
	Reason    string     `json:"reason,omitempty" db:"reason"`
	Rule      string     `json:"rule,omitempty" db:"rule"`
}

// ActivityPage is one page of the log, newest first. NextCursor is empty
// on the last page.
type ActivityPage struct {
	Events     []ActivityEvent `json:"events"`
	NextCursor string          `json:"next_cursor,omitempty"`
	From       time.Time       `json:"from"`
	To         time.Time       `json:"to"`
}

// ActivityDetail is one event with everything the log shows of it: its
// verdict's evidence and the stored event, whose Raw is the source as it
// arrived (the caller masks secrets before showing it:
// channels.MaskRaw).
type ActivityDetail struct {
	ActivityEvent
	Evidence string         `json:"evidence,omitempty" db:"evidence"`
	Payload  string         `json:"-" db:"payload"`
	Event    channels.Event `json:"-" db:"-"`
}

// Activity returns a page of the tenant's events matching q, newest
// first. A query on a notable reason or outcome (and no recipient or
// message id, whose indexes are narrower) reads notable_events
// (0023_notable_events.sql), whose indexes give its order. Any other
// with none of campaign, recipient or message id (whose indexes give the
// order) reads the window in slices, the last hour first, then the last
// day, then the rest, and stops once the page is full: the events of a
// busy week are not sorted to show the latest 100.
func (s *Store) Activity(ctx context.Context, q ActivityQuery, now time.Time) (ActivityPage, error) {
	args, page, err := activityArgs(ctx, q, now)
	if err != nil {
		return page, err
	}
	notable := notableQuery(q)
	name := qActivity
	if notable {
		name = qActivityNotable
	}
	stmt, err := s.query(name)
	if err != nil {
		return page, err
	}
	lo, hi := args[argFrom].(time.Time), args[argTo].(time.Time)
	starts := []time.Time{lo}
	if !notable && !q.CampaignSet && q.Recipient == "" && q.MessageID == "" {
		starts = []time.Time{hi.Add(-time.Hour), hi.Add(-24 * time.Hour), lo}
	}
	limit := args[argLimit].(int)
	args = append(args, nil) // argMessageCampaign: see activitySlice
	out := make([]ActivityEvent, 0, min(limit, 100))
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		out = out[:0]
		if err := s.exec(ctx, tx, qSetStatementTimeout, strconv.FormatInt(activityTimeout.Milliseconds(), 10)); err != nil {
			return err
		}
		top := hi
		for _, start := range starts {
			if start.Before(lo) {
				start = lo
			}
			if !start.Before(top) {
				continue
			}
			a := append([]any(nil), args...)
			a[argFrom], a[argTo], a[argLimit] = start, top, limit+1-len(out)
			var rows []ActivityEvent
			var err error
			if notable {
				if err = tx.SelectContext(ctx, &rows, stmt, a[:argNotable]...); err != nil {
					err = fmt.Errorf("activity by verdict: %w", err)
				}
			} else {
				rows, err = activitySlice(ctx, tx, stmt, a)
			}
			if err != nil {
				return err
			}
			out = append(out, rows...)
			if len(out) > limit {
				break
			}
			top = start
		}
		return nil
	})
	if err != nil {
		return page, err
	}
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		page.NextCursor = encodeCursor(last.OccurredAt, shownID(last.ID))
	}
	for i := range out {
		out[i].OccurredAt = out[i].OccurredAt.UTC()
		out[i].ReceivedAt = out[i].ReceivedAt.UTC()
		out[i].ID = shownID(out[i].ID)
		out[i].Country = countryOf(out[i])
	}
	page.Events = out
	return page, nil
}

// notableQuery reports whether every event q can match is in
// notable_events, and reading it is the quickest way to them: q names a
// reason no routine verdict has, or an outcome other than pending and
// delivered (routineVerdict), and neither a recipient nor a message id.
func notableQuery(q ActivityQuery) bool {
	if q.Recipient != "" || q.MessageID != "" {
		return false
	}
	routineOutcome := q.Outcome == string(channels.OutcomePending) || q.Outcome == string(channels.OutcomeDelivered)
	return q.Reason != "" && !routineReasons[channels.Reason(q.Reason)] || q.Outcome != "" && !routineOutcome
}

// activitySlice runs one slice of a page. A campaign filter takes the
// events that carry the campaign (events_activity, newest first) and
// those that carry none and whose message has it (a bounce or a receipt
// often names only its message), in two statements merged by
// (occurred_at, id): one statement with an OR would lose the index's
// order and read every event of the campaign in the window.
func activitySlice(ctx context.Context, tx *sqlx.Tx, stmt string, a []any) ([]ActivityEvent, error) {
	var own []ActivityEvent
	if err := tx.SelectContext(ctx, &own, stmt, a...); err != nil {
		return nil, fmt.Errorf("activity: %w", err)
	}
	campaign, _ := a[argCampaign].(string)
	if campaign == "" {
		return own, nil
	}
	b := append([]any(nil), a...)
	b[argCampaign], b[argMessageCampaign] = nil, campaign
	var joined []ActivityEvent
	if err := tx.SelectContext(ctx, &joined, stmt, b...); err != nil {
		return nil, fmt.Errorf("activity by message campaign: %w", err)
	}
	out := append(own, joined...)
	slices.SortFunc(out, func(x, y ActivityEvent) int {
		if c := y.OccurredAt.Compare(x.OccurredAt); c != 0 {
			return c
		}
		return strings.Compare(y.ID, x.ID)
	})
	return out[:min(len(out), a[argLimit].(int))], nil
}

// activityArgs checks q and returns the statement's arguments, with the
// page's window in it.
func activityArgs(ctx context.Context, q ActivityQuery, now time.Time) ([]any, ActivityPage, error) {
	var page ActivityPage
	to, from := q.To, q.From
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-DefaultActivityRange)
	}
	if !from.Before(to) {
		return nil, page, fmt.Errorf("%w: from must be before to", ErrBadQuery)
	}
	if to.Sub(from) > MaxActivityRange {
		return nil, page, fmt.Errorf("%w: range of %s; at most %d days", ErrBadQuery, to.Sub(from), MaxActivityRange/(24*time.Hour))
	}
	page.From, page.To = from.UTC(), to.UTC()
	chans := []string{string(channels.Email), string(channels.SMS)}
	if q.Channel != "" {
		if err := validChannel(q.Channel); err != nil {
			return nil, page, fmt.Errorf("%w: %w", ErrBadQuery, err)
		}
		chans = []string{string(q.Channel)}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultActivityRows
	}
	if limit > MaxActivityRows {
		return nil, page, fmt.Errorf("%w: limit %d; at most %d", ErrBadQuery, limit, MaxActivityRows)
	}
	tenant := channels.Tenant(ctx)
	var curAt, curID any
	hi := to
	if q.Cursor != "" {
		at, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, page, err
		}
		if at.Add(time.Microsecond).Before(hi) {
			hi = at.Add(time.Microsecond)
		}
		curAt, curID = at, channels.Event{ID: id, Tenant: tenant}.Key()
	}
	var campaign any
	if q.CampaignSet {
		campaign = q.Campaign
	}
	country, carrier, err := ActivityNetwork(q.Country, q.Carrier)
	if err != nil {
		return nil, page, err
	}
	var numbers any
	if country != "" {
		numbers = pq.Array(phone.Prefixes(country))
	}
	return []any{tenant, from, hi, pq.Array(chans), campaign, optional(q.Recipient), optional(q.MessageID),
		optional(q.Outcome), optional(q.Reason), optional(q.Provider), curAt, curID, limit,
		optional(country), optional(carrier), numbers}, page, nil
}

// ActivityNetwork normalizes and checks the country and carrier filters
// of an activity query as ingest does an event's (upper case; an MCC-MNC
// without its dash), so "gb" and "234-10" find what "GB" and "23410"
// find, and a filter no event could match is the caller's error
// (ErrBadQuery, naming the parameter) rather than an empty page.
func ActivityNetwork(country, carrier string) (string, string, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	if country != "" && !channels.ValidCountry(country) {
		return "", "", fmt.Errorf("%w: country: %q is not an ISO 3166-1 alpha-2 code (two letters, \"GB\")", ErrBadQuery, country)
	}
	carrier = strings.ReplaceAll(strings.TrimSpace(carrier), "-", "")
	if carrier != "" && !channels.ValidMCCMNC(carrier) {
		return "", "", fmt.Errorf("%w: carrier: %q is not an MCC-MNC (5 or 6 digits, \"23410\")", ErrBadQuery, carrier)
	}
	return country, carrier, nil
}

// countryOf is the country an event of the log shows: its own, else, for
// SMS, its number's, as the country filter reads it.
func countryOf(e ActivityEvent) string {
	if e.Country != "" || e.Channel != channels.SMS {
		return e.Country
	}
	return phone.Country(e.Recipient)
}

// optional is a filter's argument: NULL (no filter) when empty.
func optional(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// encodeCursor makes the opaque cursor of the row after which the next
// page starts: its occurrence time in microseconds (PostgreSQL's
// precision) and its id.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + ":" + id))
}

// decodeCursor reads a cursor made by encodeCursor.
func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if us, id, ok := strings.Cut(string(b), ":"); ok && id != "" {
			if n, err := strconv.ParseInt(us, 10, 64); err == nil {
				return time.UnixMicro(n).UTC(), id, nil
			}
		}
	}
	return time.Time{}, "", fmt.Errorf("%w: cursor %q is not one a page of events gave", ErrBadQuery, c)
}

// ActivityEvent returns one event of the tenant by its id, with its
// evidence and stored event; ErrNotFound when the tenant has none.
func (s *Store) ActivityEvent(ctx context.Context, id string) (ActivityDetail, error) {
	var d ActivityDetail
	stmt, err := s.query(qActivityEvent)
	if err != nil {
		return d, err
	}
	tenant := channels.Tenant(ctx)
	key := channels.Event{ID: id, Tenant: tenant}.Key()
	if err := s.db.GetContext(ctx, &d, stmt, tenant, key); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return d, ErrNotFound
		}
		return d, fmt.Errorf("activity event: %w", err)
	}
	if err := json.Unmarshal([]byte(d.Payload), &d.Event); err != nil {
		return d, fmt.Errorf("activity event %s: payload: %w", id, err)
	}
	d.ID = shownID(d.ID)
	d.Country = countryOf(d.ActivityEvent)
	d.OccurredAt, d.ReceivedAt = d.OccurredAt.UTC(), d.ReceivedAt.UTC()
	return d, nil
}
