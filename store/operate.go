package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
)

// Lists and list kinds of recipient_lists.
var (
	listNames = []string{"deny", "allow"}
	listKinds = []string{"exact", "domain", "prefix"}
)

// ValidateListEntry checks an entry and normalizes its value: an exact
// entry is a recipient in canonical form, a domain is lower-cased (email
// only; "example.com" is that domain alone, ".example.com" every
// subdomain of it and not itself, as in Postfix access tables), a prefix
// is digits (SMS only: a country or operator prefix). It accepts every
// entry a list may hold, so any can be deleted; ValidateNewListEntry holds
// new ones to today's rules.
func ValidateListEntry(e *ListEntry) error {
	if err := validChannel(e.Channel); err != nil {
		return err
	}
	if !contains(listNames, e.List) {
		return fmt.Errorf("list: %q is not one of deny, allow", e.List)
	}
	v := strings.TrimSpace(e.Value)
	switch e.Kind {
	case "exact":
		n, err := channels.NormalizeRecipient(e.Channel, v)
		if err != nil {
			return fmt.Errorf("value: %w", err)
		}
		v = n
	case "domain":
		v = strings.ToLower(strings.TrimPrefix(v, "@"))
		if e.Channel != channels.Email || v == "" || strings.ContainsAny(v, "@ \t") {
			return fmt.Errorf("value: %q is not an email domain (example.com, or .example.com for its subdomains)", e.Value)
		}
	case "prefix":
		v = strings.TrimPrefix(v, "+")
		if e.Channel != channels.SMS || v == "" || len(v) > 15 || strings.Trim(v, "0123456789") != "" {
			return fmt.Errorf("value: %q is not a number prefix (digits, SMS only)", e.Value)
		}
	default:
		return fmt.Errorf("kind: %q is not one of exact, domain, prefix", e.Kind)
	}
	if len(e.Reason) > 1024 {
		return errors.New("reason: longer than 1024 bytes")
	}
	e.Value = v
	return nil
}

// ValidateNewListEntry is ValidateListEntry for an entry being added: a
// domain is labels joined by dots (a leading dot for subdomains), and a
// prefix starts with a country code, never 0 (ITU-T E.164: a leading 0 is
// a national trunk prefix, which no stored number keeps, so such an entry
// would match nothing).
func ValidateNewListEntry(e *ListEntry) error {
	if err := ValidateListEntry(e); err != nil {
		return err
	}
	switch e.Kind {
	case "domain":
		if slices.Contains(strings.Split(strings.TrimPrefix(e.Value, "."), "."), "") {
			return fmt.Errorf("value: %q is not an email domain (example.com, or .example.com for its subdomains)", e.Value)
		}
	case "prefix":
		if strings.HasPrefix(e.Value, "0") {
			return fmt.Errorf("value: %q starts with 0: write the prefix with its country code (+33 6…), as numbers are kept", e.Value)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// AddListEntries validates and upserts entries in one transaction: all or
// none. It returns the index of the first bad entry in its error.
func (s *Store) AddListEntries(ctx context.Context, entries []ListEntry) error {
	for i := range entries {
		if err := ValidateNewListEntry(&entries[i]); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, e := range entries {
			var exp any
			if !e.ExpiresAt.IsZero() {
				exp = e.ExpiresAt
			}
			if err := s.exec(ctx, tx, qAddListEntry, string(e.Channel), e.List, e.Kind, e.Value, e.Reason, exp, channels.Tenant(ctx)); err != nil {
				return err
			}
		}
		return nil
	})
}

type listRow struct {
	ID        int64        `db:"id"`
	Channel   string       `db:"channel"`
	List      string       `db:"list"`
	Kind      string       `db:"kind"`
	Value     string       `db:"value"`
	Reason    string       `db:"reason"`
	ExpiresAt sql.NullTime `db:"expires_at"`
	CreatedAt time.Time    `db:"created_at"`
}

// ListEntries returns a list's entries, of one channel or all ("").
func (s *Store) ListEntries(ctx context.Context, list string, ch channels.Channel) ([]ListEntry, error) {
	q, err := s.query(qListEntries)
	if err != nil {
		return nil, err
	}
	var rows []listRow
	if err := s.db.SelectContext(ctx, &rows, q, list, string(ch), channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("list entries: %w", err)
	}
	out := make([]ListEntry, len(rows))
	for i, r := range rows {
		out[i] = ListEntry{Channel: channels.Channel(r.Channel), List: r.List, Kind: r.Kind, Value: r.Value,
			Reason: r.Reason, CreatedAt: r.CreatedAt.UTC()}
		if r.ExpiresAt.Valid {
			out[i].ExpiresAt = r.ExpiresAt.Time.UTC()
		}
	}
	return out, nil
}

// DeleteListEntry removes an entry; ErrNotFound when there was none.
func (s *Store) DeleteListEntry(ctx context.Context, e ListEntry) error {
	if err := ValidateListEntry(&e); err != nil {
		return err
	}
	q, err := s.query(qDeleteListEntry)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, q, string(e.Channel), e.List, e.Kind, e.Value, channels.Tenant(ctx))
	if err != nil {
		return fmt.Errorf("delete list entry: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Release returns one quarantined or suspended recipient to active on an
// operator's word: reason is mandatory and, with actor, goes to the audit
// row. ErrNotFound when the recipient is not quarantined or suspended:
// an opt-out is lifted by the recipient's own opt-in only.
func (s *Store) Release(ctx context.Context, ch channels.Channel, address, reason, actor string, now time.Time) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("reason: required to release a recipient")
	}
	q, err := s.query(qReleaseRecipient)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, q, string(ch), address, "released: "+reason, actor, now, channels.Tenant(ctx))
		if err != nil {
			return fmt.Errorf("release: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// ReleaseFilter selects excluded recipients for a bulk release; empty
// State and Reason match any.
type ReleaseFilter struct {
	Channel channels.Channel `json:"channel"`
	State   channels.State   `json:"state,omitempty"`
	Reason  string           `json:"reason,omitempty"`
}

// ReleasePreview says how many recipients a bulk release would take
// back, and how many of them complained.
type ReleasePreview struct {
	Recipients     int64 `json:"recipients" db:"recipients"`
	WithComplaints int64 `json:"with_complaints" db:"with_complaints"`
}

// PreviewRelease counts what ReleaseBulk would release.
func (s *Store) PreviewRelease(ctx context.Context, f ReleaseFilter) (ReleasePreview, error) {
	var p ReleasePreview
	if err := validChannel(f.Channel); err != nil {
		return p, err
	}
	q, err := s.query(qReleasePreview)
	if err != nil {
		return p, err
	}
	if err := s.db.GetContext(ctx, &p, q, string(f.Channel), string(f.State), f.Reason, channels.Tenant(ctx)); err != nil {
		return p, fmt.Errorf("release preview: %w", err)
	}
	return p, nil
}

// ReleaseBulk releases every recipient f selects, each with an audit row,
// in one transaction, and returns how many.
func (s *Store) ReleaseBulk(ctx context.Context, f ReleaseFilter, reason, actor string, now time.Time) (int64, error) {
	if err := validChannel(f.Channel); err != nil {
		return 0, err
	}
	if strings.TrimSpace(reason) == "" {
		return 0, errors.New("reason: required to release recipients")
	}
	q, err := s.query(qReleaseBulk)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, q, string(f.Channel), string(f.State), f.Reason, "released: "+reason, actor, now, channels.Tenant(ctx))
		if err != nil {
			return fmt.Errorf("bulk release: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
