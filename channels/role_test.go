package channels_test

import (
	"slices"
	"testing"

	"github.com/rebond/rebond/channels"
)

func TestRoleIncludes(t *testing.T) {
	t.Parallel()
	// may[have] lists the roles whose routes a token of role have may call.
	may := map[channels.Role][]channels.Role{
		channels.RoleIngest:  {channels.RoleIngest},
		channels.RoleRead:    {channels.RoleRead},
		channels.RoleOperate: {channels.RoleOperate, channels.RoleRead},
		channels.RoleAdmin:   {channels.RoleIngest, channels.RoleRead, channels.RoleOperate, channels.RoleAdmin},
		"":                   nil,
		"root":               nil,
	}
	for have, allowed := range may {
		for _, need := range append(channels.Roles(), "") {
			want := slices.Contains(allowed, need)
			if got := have.Includes(need); got != want {
				t.Errorf("%q.Includes(%q) = %v, want %v", have, need, got, want)
			}
		}
	}
}
