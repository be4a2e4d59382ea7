package store

import (
	"context"

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
