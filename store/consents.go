package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// consentRow is a stored consent (recipient_consents).
type consentRow struct {
	Tenant           string       `db:"tenant"`
	Channel          string       `db:"channel"`
	Address          string       `db:"address"`
	Scope            string       `db:"scope"`
	Name             string       `db:"name"`
	OptedOut         bool         `db:"opted_out"`
	Since            sql.NullTime `db:"since"`
	Source           string       `db:"source"`
	EventID          string       `db:"event_id"`
	At               time.Time    `db:"at"`
	ConfirmedAt      sql.NullTime `db:"confirmed_at"`
	ConfirmEventID   string       `db:"confirm_event_id"`
	ConfirmIP        string       `db:"confirm_ip"`
	ConfirmUserAgent string       `db:"confirm_user_agent"`
}

func (r consentRow) consent() lifecycle.Consent {
	return lifecycle.Consent{
		ConsentKey: lifecycle.ConsentKey{Tenant: r.Tenant, Channel: channels.Channel(r.Channel), Address: r.Address,
			Scope: channels.Scope(r.Scope), Name: r.Name},
		OptedOut: r.OptedOut, Since: r.Since.Time, Source: r.Source, EventID: r.EventID, At: r.At,
		ConfirmedAt: r.ConfirmedAt.Time, ConfirmEventID: r.ConfirmEventID, ConfirmIP: r.ConfirmIP, ConfirmUserAgent: r.ConfirmUserAgent,
	}
}

// readConsents reads the stored consents the batch's consent events name
// (lifecycle.ConsentKeyOf) and those of alsoLoad, and returns them with
// the keys it read. Their recipients are locked already: every consent
// write is an apply that holds its recipient's lock. A batch without
// consent events reads nothing.
func (s *Store) readConsents(ctx context.Context, tx *sqlx.Tx, events []channels.Event, alsoLoad map[lifecycle.ConsentKey]bool) (map[lifecycle.ConsentKey]lifecycle.Consent, map[lifecycle.ConsentKey]bool, error) {
	keys := make(map[lifecycle.ConsentKey]bool, len(alsoLoad))
	for k := range alsoLoad {
		keys[k] = true
	}
	for _, e := range events {
		if e.Type.IsConsent() && e.Type != channels.Inbound && e.Recipient != "" && !e.Unverified {
			keys[lifecycle.ConsentKeyOf(e)] = true
		}
	}
	out := make(map[lifecycle.ConsentKey]lifecycle.Consent, len(keys))
	if len(keys) == 0 {
		return out, keys, nil
	}
	cols := make([][]string, 5)
	for k := range keys {
		for i, x := range []string{k.Tenant, string(k.Channel), k.Address, string(k.Scope), k.Name} {
			cols[i] = append(cols[i], x)
		}
	}
	var rows []consentRow
	if err := s.selectNamed(ctx, tx, &rows, qReadConsents, arrays(cols)...); err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		c := r.consent()
		out[c.ConsentKey] = c
	}
	return out, keys, nil
}

// unloadedConsents returns the consents the plan changes that the
// attempt did not read (loaded): a gateway's opted_out refusal opts its
// number out of everything, which no consent event of the batch named.
func unloadedConsents(p lifecycle.Plan, stored map[lifecycle.ConsentKey]lifecycle.Consent, loaded map[lifecycle.ConsentKey]bool) []lifecycle.ConsentKey {
	var out []lifecycle.ConsentKey
	for _, c := range p.Consents {
		if _, ok := stored[c.ConsentKey]; !ok && !loaded[c.ConsentKey] {
			out = append(out, c.ConsentKey)
		}
	}
	return out
}

// writeConsents writes the consents the plan changed, whole, in key order.
func (s *Store) writeConsents(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan) error {
	if len(p.Consents) == 0 {
		return nil
	}
	text := make([][]string, 13)
	var optedOut []bool
	for _, c := range p.Consents {
		row := []string{c.Tenant, string(c.Channel), c.Address, string(c.Scope), c.Name, ts(c.Since), c.Source, c.EventID, ts(c.At),
			ts(c.ConfirmedAt), c.ConfirmEventID, c.ConfirmIP, c.ConfirmUserAgent}
		for i, x := range row {
			text[i] = append(text[i], x)
		}
		optedOut = append(optedOut, c.OptedOut)
	}
	return s.exec(ctx, tx, qWriteConsents, pq.Array(text[0]), pq.Array(text[1]), pq.Array(text[2]), pq.Array(text[3]),
		pq.Array(text[4]), pq.Array(optedOut), pq.Array(text[5]), pq.Array(text[6]), pq.Array(text[7]), pq.Array(text[8]),
		pq.Array(text[9]), pq.Array(text[10]), pq.Array(text[11]), pq.Array(text[12]))
}

// ConsentView is one consent of a recipient: whether it opted out of the
// scope (and its list or campaign, Name), since when, by which source and
// event; and its latest confirmed double opt-in with the confirming
// client.
type ConsentView struct {
	Channel          channels.Channel `json:"channel"`
	Address          string           `json:"address"`
	Scope            channels.Scope   `json:"scope"`
	Name             string           `json:"name,omitempty"`
	OptedOut         bool             `json:"opted_out"`
	Since            *time.Time       `json:"since,omitempty"`
	Source           string           `json:"source,omitempty"`
	EventID          string           `json:"event_id,omitempty"`
	ConfirmedAt      *time.Time       `json:"confirmed_at,omitempty"`
	ConfirmIP        string           `json:"confirm_ip,omitempty"`
	ConfirmUserAgent string           `json:"confirm_user_agent,omitempty"`
	// UpdatedAt is the time of the latest consent event applied to it.
	UpdatedAt time.Time `json:"updated_at"`
}

func (r consentRow) view() ConsentView {
	return ConsentView{Channel: channels.Channel(r.Channel), Address: r.Address, Scope: channels.Scope(r.Scope), Name: r.Name,
		OptedOut: r.OptedOut, Since: ptime(r.Since), Source: r.Source, EventID: shownID(r.EventID),
		ConfirmedAt: ptime(r.ConfirmedAt), ConfirmIP: r.ConfirmIP, ConfirmUserAgent: r.ConfirmUserAgent, UpdatedAt: r.At.UTC()}
}

// maxRecipientConsents bounds the consents a recipient view lists.
const maxRecipientConsents = 100

// recipientConsents returns a recipient's consents, scope all first.
func (s *Store) recipientConsents(ctx context.Context, ch channels.Channel, address string) ([]ConsentView, error) {
	q, err := s.query(qRecipientConsents)
	if err != nil {
		return nil, err
	}
	var rows []consentRow
	if err := s.db.SelectContext(ctx, &rows, q, string(ch), address, channels.Tenant(ctx), maxRecipientConsents); err != nil {
		return nil, fmt.Errorf("recipient consents: %w", err)
	}
	out := make([]ConsentView, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}

// ConsentsQuery selects one page of a tenant's consents (GET /v1/consents).
type ConsentsQuery struct {
	Channel channels.Channel
	// State keeps "opted_out" or "confirmed" consents; "" all.
	State string
	// After is the cursor of the previous page (its Next); zero: the start.
	After ConsentCursor
	// Limit bounds the page (default 1000, at most 10000).
	Limit int
}

// ConsentCursor is a position in a tenant's consents of a channel.
type ConsentCursor struct {
	Address string
	Scope   channels.Scope
	Name    string
}

// ConsentPage is one page of consents, and the cursor of the next one
// (Done when this one is the last).
type ConsentPage struct {
	Consents []ConsentView
	Next     ConsentCursor
	Done     bool
}

// Consents returns one page of the tenant's consents of q.Channel, in key
// order: the export of consent states.
func (s *Store) Consents(ctx context.Context, q ConsentsQuery) (ConsentPage, error) {
	if err := validChannel(q.Channel); err != nil {
		return ConsentPage{}, err
	}
	switch q.State {
	case "", "opted_out", "confirmed":
	default:
		return ConsentPage{}, fmt.Errorf("state %q is not one of opted_out, confirmed", q.State)
	}
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	q.Limit = min(q.Limit, 10000)
	stmt, err := s.query(qConsentsExport)
	if err != nil {
		return ConsentPage{}, err
	}
	var rows []consentRow
	a := q.After
	if err := s.db.SelectContext(ctx, &rows, stmt, channels.Tenant(ctx), string(q.Channel), q.State, a.Address, string(a.Scope), a.Name, q.Limit); err != nil {
		return ConsentPage{}, fmt.Errorf("consents: %w", err)
	}
	page := ConsentPage{Consents: make([]ConsentView, len(rows)), Done: len(rows) < q.Limit}
	for i, r := range rows {
		page.Consents[i] = r.view()
	}
	if n := len(rows); n > 0 {
		last := rows[n-1]
		page.Next = ConsentCursor{Address: last.Address, Scope: channels.Scope(last.Scope), Name: last.Name}
	}
	return page, nil
}
