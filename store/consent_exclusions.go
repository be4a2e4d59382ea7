package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
)

// ConsentCheck is what an exclusion check asks of consents, beside the
// states Exclusions answers: the list and the campaign the send is for
// ("" for none), whose opt-outs exclude, and whether a confirmed double
// opt-in is required (consent.Policy.Requires, the tenant's and list's
// require_confirmed).
type ConsentCheck struct {
	Channel          channels.Channel
	List, Campaign   string
	RequireConfirmed bool
}

// needed reports whether c can change an answer in xs: it names a list,
// a campaign or requires confirmation, or an answer is an opt-out whose
// source only the consents know.
func (c ConsentCheck) needed(xs []Exclusion) bool {
	if c.List != "" || c.Campaign != "" || c.RequireConfirmed {
		return true
	}
	for _, x := range xs {
		if x.State == channels.StateOptedOut {
			return true
		}
	}
	return false
}

// exclusionConsent is one consent row an exclusion check reads.
type exclusionConsent struct {
	Ord         int            `db:"ord"`
	Scope       channels.Scope `db:"scope"`
	Name        string         `db:"name"`
	OptedOut    bool           `db:"opted_out"`
	Since       sql.NullTime   `db:"since"`
	Source      string         `db:"source"`
	EventID     string         `db:"event_id"`
	ConfirmedAt sql.NullTime   `db:"confirmed_at"`
}

// ConsentExclusions completes xs, the answers Exclusions gave for the
// normalized recipients xs[i].Recipient of c.Channel, with the
// recipients' consents (withConsent says how). It reads nothing when c
// cannot change an answer.
func (s *Store) ConsentExclusions(ctx context.Context, c ConsentCheck, xs []Exclusion) error {
	if !c.needed(xs) {
		return nil
	}
	if err := validChannel(c.Channel); err != nil {
		return err
	}
	q, err := s.query(qConsentExclusions)
	if err != nil {
		return err
	}
	addrs := make([]string, len(xs))
	for i, x := range xs {
		addrs[i] = x.Recipient
	}
	var rows []exclusionConsent
	if err := s.db.SelectContext(ctx, &rows, q, channels.Tenant(ctx), pq.Array(addrs), string(c.Channel), c.List, c.Campaign); err != nil {
		return fmt.Errorf("consent exclusions: %w", err)
	}
	by := make(map[int][]exclusionConsent)
	for _, r := range rows {
		if r.Ord < 1 || r.Ord > len(xs) {
			return fmt.Errorf("consent exclusions: row for position %d of %d", r.Ord, len(xs))
		}
		by[r.Ord-1] = append(by[r.Ord-1], r)
	}
	for i := range xs {
		xs[i] = withConsent(xs[i], by[i], c)
	}
	return nil
}

// withConsent is x completed by the recipient's consents cs (those c
// reads): a state the states answered stays (a deny list or a quarantine
// wins), an opted_out state gets its source; then an opt-out of the
// check's list, of its campaign, or of everything excludes, reason
// opted_out with its scope and source; then, when c requires it, a
// recipient without a confirmed double opt-in (of everything, or of the
// check's list) is excluded, reason not_confirmed.
func withConsent(x Exclusion, cs []exclusionConsent, c ConsentCheck) Exclusion {
	var all, list, campaign *exclusionConsent
	for i := range cs {
		switch cs[i].Scope {
		case channels.ScopeAll:
			all = &cs[i]
		case channels.ScopeList:
			list = &cs[i]
		case channels.ScopeCampaign:
			campaign = &cs[i]
		}
	}
	if x.State == channels.StateOptedOut {
		x.Scope = channels.ScopeAll
		if all != nil {
			x.Source = all.Source
		}
		return x
	}
	if x.Excluded {
		return x
	}
	for _, o := range []*exclusionConsent{list, campaign, all} {
		if o != nil && o.OptedOut {
			x.Excluded, x.Reason, x.Scope, x.Source = true, string(channels.ReasonOptedOut), o.Scope, o.Source
			x.Since, x.Until, x.EventID = ptime(o.Since), nil, shownID(o.EventID)
			switch o.Scope {
			case channels.ScopeList:
				x.List = o.Name
			case channels.ScopeCampaign:
				x.Campaign = o.Name
			}
			return x
		}
	}
	if !c.RequireConfirmed {
		return x
	}
	for _, o := range []*exclusionConsent{all, list} {
		if o != nil && o.ConfirmedAt.Valid {
			x.Confirmed = ptime(o.ConfirmedAt)
			return x
		}
	}
	x.Excluded, x.Reason = true, string(channels.ReasonNotConfirmed)
	return x
}
