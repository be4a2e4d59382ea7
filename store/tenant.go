package store

import (
	"context"

	"github.com/rebond/rebond/channels"
)

// tenantKey carries the tenant a request acts for.
type tenantKey struct{}

// WithTenant returns ctx acting for tenant: every read and every operator
// change the store makes under it touches that tenant's rows only. The API
// sets it from the caller's token (api.authenticate), the CLI from
// --tenant. An invalid name is the caller's bug; it matches no row.
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// Tenant is the tenant ctx acts for: the one WithTenant set, or
// channels.DefaultTenant (a single-tenant installation never sets one).
//
// Why a context value and not a parameter: the tenant scopes every query
// the same way, from the API down to SQL, and threading it through each
// interface would put one more string in every signature without making
// the scoping any harder to forget; TestEveryRouteIsTenantScoped is what
// checks that no route reads or writes across tenants.
func Tenant(ctx context.Context) string {
	if t, ok := ctx.Value(tenantKey{}).(string); ok && t != "" {
		return t
	}
	return channels.DefaultTenant
}

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
