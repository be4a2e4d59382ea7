package api

import "github.com/rebond/rebond/channels"

// routeRoles is the role each authenticated route needs, by its pattern as
// registered with route. A route registered with auth and missing here
// answers 500 "no role for route" (and TestEveryAuthRouteHasARole names
// it): adding a route means deciding who may call it.
//
// ingest sends events and signs the consent URLs of its messages; read looks (including the POSTs that only read:
// exclusion checks, the SMS text check, rule explain and backtest);
// operate changes lists, releases recipients and manages rules and the
// qualification queue. Webhooks (and their /inbound routes) are not here:
// providers authenticate with their own signatures.
var routeRoles = map[string]channels.Role{
	"POST /v1/events": channels.RoleIngest,
	// A sender signs the consent URLs of the messages it sends: they
	// change nothing until a recipient follows them.
	"POST /v1/consent/unsubscribe": channels.RoleIngest,
	"POST /v1/consent/requests":    channels.RoleIngest,

	"GET /v1/rates":                          channels.RoleRead,
	"GET /v1/events":                         channels.RoleRead,
	"GET /v1/events/{id}":                    channels.RoleRead,
	"GET /v1/recipients/{channel}/{address}": channels.RoleRead,
	"POST /v1/exclusions":                    channels.RoleRead,
	"POST /v1/sms/check":                     channels.RoleRead,
	"GET /v1/lists/{list}":                   channels.RoleRead,
	"GET /v1/rules":                          channels.RoleRead,
	"GET /v1/rules/{id}":                     channels.RoleRead,
	"POST /v1/rules/explain":                 channels.RoleRead,
	"POST /v1/rules/backtest":                channels.RoleRead,
	"GET /v1/qualification":                  channels.RoleRead,
	"GET /v1/incidents":                      channels.RoleRead,
	"GET /v1/alerts":                         channels.RoleRead,
	"GET /v1/consents":                       channels.RoleRead,
	"GET /v1/alerts/deliveries":              channels.RoleRead,

	"POST /v1/lists/{list}":                            channels.RoleOperate,
	"DELETE /v1/lists/{list}/{channel}/{kind}/{value}": channels.RoleOperate,
	"POST /v1/recipients/{channel}/{address}/release":  channels.RoleOperate,
	"POST /v1/releases/preview":                        channels.RoleOperate,
	"POST /v1/releases":                                channels.RoleOperate,
	"POST /v1/rules":                                   channels.RoleOperate,
	"PUT /v1/rules/{id}":                               channels.RoleOperate,
	"POST /v1/rules/{id}/disable":                      channels.RoleOperate,
	"POST /v1/qualification/{group}/keep":              channels.RoleOperate,
	"POST /v1/qualification/{group}/ignore":            channels.RoleOperate,
}
