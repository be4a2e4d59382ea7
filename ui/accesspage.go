package ui

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/rebond/rebond/channels"
)

// accessData is the access page's: who signed in and what it may do here
// and with the API.
type accessData struct {
	Who  identity
	Rows []accessRow
	// API says what the same token may call on the HTTP API.
	API string
	// Stronger is the next role up, which the page says how to get;
	// empty for an admin.
	Stronger channels.Role
}

// accessRow is one dashboard action: what it is, whether the session may
// do it, and what it needs.
type accessRow struct {
	What  string
	May   bool
	Needs string
}

// accessOrder lists the dashboard's actions as the page shows them.
var accessOrder = []action{actView, actRelease, actTenants, actQueues}

// apiAbilities says what each role may do with the API, as the README's
// role table does (api/roles.go is the rule): the end of "the API lets
// you …".
var apiAbilities = map[channels.Role]string{
	channels.RoleRead: "read rates, recipients, lists, rules, the qualification queue, incidents and alerts; " +
		"check recipients before a send (POST /v1/exclusions) and SMS texts; explain and backtest rules. " +
		"A read token changes nothing and sends no events.",
	channels.RoleOperate: "do everything a read token may, and change the deny and allow lists, release recipients " +
		"(one or in bulk), create, update and disable rules, keep or ignore qualification groups. " +
		"An operate token sends no events.",
	channels.RoleAdmin: "call every route of your tenant, sending events included.",
}

// access shows the signed-in identity and what it may do.
func (h *Handler) access(r *http.Request, v *view) (string, error) {
	v.Title, v.Active = "Your access", "access"
	d := accessData{Who: v.Who, API: apiAbilities[v.Who.Role]}
	switch v.Who.Role {
	case channels.RoleRead:
		d.Stronger = channels.RoleOperate
	case channels.RoleOperate:
		d.Stronger = channels.RoleAdmin
	}
	if v.Who.Admin {
		d.API = "call every route for any tenant (?tenant=), sending events included."
	}
	for _, a := range accessOrder {
		if a == actQueues && h.cfg.Queues == nil {
			continue
		}
		row := accessRow{What: upperFirst(actionNames[a]), May: v.Who.may(a), Needs: "a token of role " + string(actionRoles[a])}
		if crossTenant[a] {
			row.Needs = "the server's configured admin token"
		}
		d.Rows = append(d.Rows, row)
	}
	v.Data = d
	return "access", nil
}

// upperFirst starts s with a capital, for an action's name in a list.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}
