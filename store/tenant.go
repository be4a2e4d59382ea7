package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
)

// shownID is the event id a tenant knows, for an event key read back from
// a row (evidence, last event): the key without its tenant part.
func shownID(key string) string {
	_, id := channels.SplitKey(key)
	return id
}

// MaxKnownTenants bounds KnownTenants' list.
const MaxKnownTenants = 1000

// KnownTenants returns the names of the tenants rebond knows, sorted: the
// default one, those of unrevoked tokens and those with rates (at most
// MaxKnownTenants). It reads across tenants, for the admin dashboard's
// tenant picker, and is never scoped by the request's tenant.
func (s *Store) KnownTenants(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.selectNamed(ctx, s.db, &out, qKnownTenants, MaxKnownTenants); err != nil {
		return nil, err
	}
	return out, nil
}

// ErrTenantInUse says PurgeTenant will not delete a tenant's data: the
// default tenant, or one an operator made something for (tenantUse).
var ErrTenantInUse = errors.New("tenant in use")

// tenantUse counts what operators made for a tenant: API tokens (revoked
// ones too), list entries, rule overrides and qualification decisions.
type tenantUse struct {
	Tokens        int64 `db:"tokens"`
	ListEntries   int64 `db:"list_entries"`
	RuleOverrides int64 `db:"rule_overrides"`
	Decisions     int64 `db:"decisions"`
}

// Purged counts the rows PurgeTenant deleted: events, messages
// (deliveries), recipients, and the rest (inbox, audit, rate rows,
// incidents, alert changes, shadow verdicts).
type Purged struct {
	Events     int64 `db:"events"`
	Messages   int64 `db:"messages"`
	Recipients int64 `db:"recipients"`
	Other      int64 `db:"other"`
}

// Purgeable returns nil when PurgeTenant may delete the data of ctx's
// tenant (channels.WithTenant), else an error wrapping ErrTenantInUse that
// says why not; for a caller that checks before it makes the data.
func (s *Store) Purgeable(ctx context.Context) error {
	return s.purgeable(ctx, s.db)
}

// PurgeTenant deletes, in one transaction, everything the events of ctx's
// tenant made (events, inbox rows, deliveries, recipients and their
// audit, rates, incidents, alert changes, shadow verdicts), for a tenant
// whose data is disposable, such as `rebond bench`'s. It refuses, with
// ErrTenantInUse, the default tenant and a tenant an operator made
// something for (tokens, list entries, rule overrides, qualification
// decisions): only a tenant nobody set up is purged, and no
// other tenant's row is touched. A retry or expiry still queued for a
// purged message finds it gone and does nothing.
func (s *Store) PurgeTenant(ctx context.Context) (Purged, error) {
	var p Purged
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.purgeable(ctx, tx); err != nil {
			return err
		}
		q, err := s.query(qPurgeTenant)
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &p, q, channels.Tenant(ctx)); err != nil {
			return fmt.Errorf("purge tenant %s: %w", channels.Tenant(ctx), err)
		}
		return nil
	})
	return p, err
}

// purgeable is Purgeable on q (the pool or PurgeTenant's transaction).
func (s *Store) purgeable(ctx context.Context, q sqlx.QueryerContext) error {
	tenant := channels.Tenant(ctx)
	if tenant == channels.DefaultTenant {
		return fmt.Errorf("tenant %s: %w: the default tenant is never purged", tenant, ErrTenantInUse)
	}
	sql, err := s.query(qTenantUse)
	if err != nil {
		return err
	}
	var u tenantUse
	if err := sqlx.GetContext(ctx, q, &u, sql, tenant); err != nil {
		return fmt.Errorf("tenant use %s: %w", tenant, err)
	}
	if u != (tenantUse{}) {
		return fmt.Errorf("tenant %s: %w: %d tokens, %d list entries, %d rule overrides, %d qualification decisions",
			tenant, ErrTenantInUse, u.Tokens, u.ListEntries, u.RuleOverrides, u.Decisions)
	}
	return nil
}
