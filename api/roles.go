package api

import "github.com/rebond/rebond/store"

// routeRoles is the role each authenticated route needs, by its pattern as
// registered with route. A route registered with auth and missing here
// answers 500 "no role for route" (and TestEveryAuthRouteHasARole names
// it): adding a route means deciding who may call it.
//
// ingest sends events; read looks (including the POSTs that only read:
// exclusion checks, the SMS text check, rule explain and backtest);
// operate changes lists, releases recipients and manages rules and the
// qualification queue. Webhooks are not here: providers authenticate with
// their own signatures.
var routeRoles = map[string]string{
	"POST /v1/events": store.RoleIngest,

	"GET /v1/rates":                          store.RoleRead,
	"GET /v1/recipients/{channel}/{address}": store.RoleRead,
	"POST /v1/exclusions":                    store.RoleRead,
	"POST /v1/sms/check":                     store.RoleRead,
	"GET /v1/lists/{list}":                   store.RoleRead,
	"GET /v1/rules":                          store.RoleRead,
	"GET /v1/rules/{id}":                     store.RoleRead,
	"POST /v1/rules/explain":                 store.RoleRead,
	"POST /v1/rules/backtest":                store.RoleRead,
	"GET /v1/qualification":                  store.RoleRead,
	"GET /v1/incidents":                      store.RoleRead,
	"GET /v1/alerts":                         store.RoleRead,

	"POST /v1/lists/{list}":                            store.RoleOperate,
	"DELETE /v1/lists/{list}/{channel}/{kind}/{value}": store.RoleOperate,
	"POST /v1/recipients/{channel}/{address}/release":  store.RoleOperate,
	"POST /v1/releases/preview":                        store.RoleOperate,
	"POST /v1/releases":                                store.RoleOperate,
	"POST /v1/rules":                                   store.RoleOperate,
	"PUT /v1/rules/{id}":                               store.RoleOperate,
	"POST /v1/rules/{id}/disable":                      store.RoleOperate,
	"POST /v1/qualification/{group}/keep":              store.RoleOperate,
	"POST /v1/qualification/{group}/ignore":            store.RoleOperate,
}

// roleIncludes says whether a token of role have may call a route that
// needs role need: admin includes every role, operate includes read, and
// no other role includes another (an ingest token cannot read, a read
// token cannot ingest).
func roleIncludes(have, need string) bool {
	switch {
	case need == "":
		return false // no route without a role
	case have == store.RoleAdmin:
		return true
	case have == store.RoleOperate:
		return need == store.RoleOperate || need == store.RoleRead
	}
	return have == need
}
