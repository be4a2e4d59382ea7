package channels

// Role is what an API token may call (the route table is api/roles.go).
// RoleAdmin includes every role and RoleOperate includes RoleRead; no
// other role includes another, so an ingest token cannot read and a read
// token cannot ingest.
type Role string

// Token roles, least to most powerful.
const (
	// RoleIngest sends events.
	RoleIngest Role = "ingest"
	// RoleRead reads rates, recipients, lists, rules and the queue,
	// including the POSTs that only read (exclusion checks, explain).
	RoleRead Role = "read"
	// RoleOperate changes lists, releases recipients and manages rules
	// and the qualification queue.
	RoleOperate Role = "operate"
	// RoleAdmin may call everything, token management included.
	RoleAdmin Role = "admin"
)

// Roles lists the token roles, least to most powerful.
func Roles() []Role { return []Role{RoleIngest, RoleRead, RoleOperate, RoleAdmin} }

// RoleNames lists Roles as strings, for help texts and error messages.
func RoleNames() []string {
	names := make([]string, 0, 4)
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return names
}

// Includes says whether a token of role r may do what needs role need:
// admin includes every role, operate includes read, and no other role
// includes another (an ingest token cannot read, a read token cannot
// ingest). No role includes the empty role, so an action whose role was
// never decided is refused to everyone. The API's route table and the
// dashboard's actions both ask it.
func (r Role) Includes(need Role) bool {
	switch {
	case need == "":
		return false
	case r == RoleAdmin:
		return true
	case r == RoleOperate:
		return need == RoleOperate || need == RoleRead
	}
	return r == need
}
