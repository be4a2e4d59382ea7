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
