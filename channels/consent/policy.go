package consent

import (
	"fmt"
	"slices"

	"github.com/rebond/rebond/channels"
)

// Requirement is one tenant's rule for confirmed consent: All requires it
// for every exclusion check of the tenant; Lists for the checks that name
// one of these lists (POST /v1/exclusions "list").
type Requirement struct {
	All   bool     `koanf:"all"`
	Lists []string `koanf:"lists"`
}

// Policy says which exclusion checks require a confirmed consent (a
// double opt-in confirmed with a Confirm token), by tenant; a recipient
// without one is then excluded with reason not_confirmed. The zero value
// requires none.
type Policy struct {
	RequireConfirmed map[string]Requirement `koanf:"require_confirmed"`
}

// Requires reports whether an exclusion check of tenant naming list ("":
// none) requires a confirmed consent.
func (p Policy) Requires(tenant, list string) bool {
	r, ok := p.RequireConfirmed[tenant]
	return ok && (r.All || list != "" && slices.Contains(r.Lists, list))
}

// Validate names a key that is not a tenant.
func (p Policy) Validate() error {
	for t := range p.RequireConfirmed {
		if !channels.ValidTenant(t) {
			return fmt.Errorf("require_confirmed.%s: not a tenant name", t)
		}
	}
	return nil
}
