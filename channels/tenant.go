package channels

import "context"

// tenantKey carries the tenant a request acts for.
type tenantKey struct{}

// WithTenant returns ctx acting for tenant: every read and every operator
// change made under it touches that tenant's rows only. The API sets it
// from the caller's token (api.authenticate), the CLI from --tenant. An
// invalid name is the caller's bug; it matches no row.
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

// Tenant is the tenant ctx acts for: the one WithTenant set, or
// DefaultTenant (a single-tenant installation never sets one).
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
	return DefaultTenant
}
