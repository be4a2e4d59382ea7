package store

import (
	"errors"
	"time"

	"github.com/rebond/rebond/channels"
)

// ErrNotFound is returned by lookups of a single row that does not exist.
var ErrNotFound = errors.New("not found")

// RatesQuery selects and groups rate buckets. Zero fields do not filter.
type RatesQuery struct {
	// Tenant whose counts are read; empty: the tenant of the context
	// (channels.WithTenant).
	Tenant   string
	Channel  channels.Channel
	Campaign string
	// Route keeps the deliveries of one route (lifecycle.Message.Route),
	// named as rows name it: lifecycle.UnknownRoute for those no event
	// named a provider for.
	Route    string
	From, To time.Time
	// GroupBy names the keys of each row besides its channel, which is
	// always one (rates are per channel): any of campaign, domain, route,
	// country, carrier (SMS), day or hour, reason or reason_group;
	// "channel" adds nothing. Empty:
	// DefaultRateGroups (campaign). A campaign or route filtered on is
	// also named on every row. Mailbox providers are api.Rates's.
	GroupBy []string
	// MinVolume flags rows with fewer sent messages (RateRow.LowVolume).
	MinVolume int64
}

// RateRow is one group of messages bucketed by send time. Rates are per
// message final outcome: SoftRate = Soft / Sent, HardRate = Hard / Sent.
type RateRow struct {
	Channel    channels.Channel `json:"channel"`
	Campaign   string           `json:"campaign"`
	Domain     string           `json:"domain,omitempty"`
	Bucket     *time.Time       `json:"bucket,omitempty"`
	Sent       int64            `json:"sent"`
	Delivered  int64            `json:"delivered"`
	Soft       int64            `json:"soft"`
	Hard       int64            `json:"hard"`
	Complaints int64            `json:"complaints"`
	// Unverified counts the bounce and complaint mails of the range that
	// nothing vouched for (channels.Event.Unverified): by their own hour,
	// in the row without campaign or domain (under the route of the
	// listener that received them), never in the rates.
	Unverified int64 `json:"unverified"`
	// Unsubscribed counts the sent messages through which their recipient
	// opted out (the unsubscribe URL of the mail: lifecycle, "Consent");
	// not a delivery outcome, so in none of the other counters.
	Unsubscribed int64 `json:"unsubscribed"`
	// Pending counts sent messages with no final outcome yet.
	Pending       int64   `json:"pending"`
	SoftRate      float64 `json:"soft_rate"`
	HardRate      float64 `json:"hard_rate"`
	ComplaintRate float64 `json:"complaint_rate"`
	// UnsubscribeRate is Unsubscribed / Sent.
	UnsubscribeRate float64 `json:"unsubscribe_rate"`
	// The 95% Wilson score intervals of the rates: with few messages a
	// rate says little, and the interval says how little.
	SoftRateCI        channels.Interval `json:"soft_rate_ci"`
	HardRateCI        channels.Interval `json:"hard_rate_ci"`
	ComplaintRateCI   channels.Interval `json:"complaint_rate_ci"`
	UnsubscribeRateCI channels.Interval `json:"unsubscribe_rate_ci"`
	// LowVolume flags rows with fewer sent messages than the reader's
	// minimum volume: their rates are not worth acting on.
	LowVolume bool `json:"low_volume,omitempty"`
	// Provider is the mailbox provider of group_by=provider rows (set by
	// Regroup from the domain; the store itself never sets it).
	Provider string `json:"provider,omitempty"`
	// Route is the route of group_by=route rows (lifecycle.Message.Route):
	// "smpp:<gateway>", a webhook's provider…, or lifecycle.UnknownRoute
	// for the deliveries no event named a provider for.
	Route string `json:"route,omitempty"`
	// Country and Carrier are the SMS recipients' country (ISO 3166-1
	// alpha-2) and carrier (MCC-MNC, "23410") of group_by=country and
	// carrier rows, lifecycle.UnknownNetwork for deliveries whose number
	// gave no country or whose gateway named no network
	// (lifecycle.Message.Domain holds both for SMS).
	Country string `json:"country,omitempty"`
	Carrier string `json:"carrier,omitempty"`
	// Reason and ReasonGroup are set when the rows are grouped by them
	// (group_by=reason or reason_group): each row then counts the
	// messages whose final outcome has that reason, and Sent is the
	// whole group's, so the rates are each reason's share of what was sent.
	Reason      string `json:"reason,omitempty"`
	ReasonGroup string `json:"reason_group,omitempty"`
}

// Exclusion answers the pre-send question for one recipient. Excluded is
// the answer; State and Reason say why. Under a deny entry, State is
// denylisted and Reason the entry's own (or "denylisted" when it gives
// none). Under an allow entry, a quarantined or suspended recipient is not
// Excluded, and State and Reason stay the recorded ones.
type Exclusion struct {
	Recipient string         `json:"recipient"`
	Excluded  bool           `json:"excluded"`
	State     channels.State `json:"state"`
	Reason    string         `json:"reason,omitempty"`
	Since     *time.Time     `json:"since,omitempty"`
	Until     *time.Time     `json:"until,omitempty"`
	EventID   string         `json:"event_id,omitempty"`
	// Shared is set when the exclusion comes from another tenant's
	// user_unknown quarantine (tenancy.share_user_unknown); that tenant's
	// evidence is not disclosed.
	Shared bool `json:"shared,omitempty"`
	// Scope, List, Campaign and Source say, for reason opted_out, what
	// the recipient opted out of (all; a list; a campaign) and how
	// (channels.Source*: one-click, mailto, sms-keyword, gateway-error...).
	Scope    channels.Scope `json:"scope,omitempty"`
	List     string         `json:"list,omitempty"`
	Campaign string         `json:"campaign,omitempty"`
	Source   string         `json:"source,omitempty"`
	// Confirmed is when the recipient confirmed a double opt-in, given
	// when the check requires it (ConsentCheck.RequireConfirmed).
	Confirmed *time.Time `json:"confirmed_at,omitempty"`
	// ListEntry names the list entry that decided the answer: the deny
	// entry that excludes, or the allow entry that lets a recorded
	// exclusion be sent to; nil when no entry did.
	ListEntry *ListRef `json:"list_entry,omitempty"`
}

// ListRef names one deny or allow list entry, as DELETE
// /v1/lists/{list}/{channel}/{kind}/{value} does.
type ListRef struct {
	List  string `json:"list"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Transition is one audit row of a recipient's state machine.
type Transition struct {
	At      time.Time      `json:"at"`
	From    channels.State `json:"from"`
	To      channels.State `json:"to"`
	Reason  string         `json:"reason,omitempty"`
	Actor   string         `json:"actor"`
	EventID string         `json:"event_id,omitempty"`
	Rule    string         `json:"rule,omitempty"`
	// Scope is a consent change's ("all", "list:<name>",
	// "campaign:<name>"), empty for every other transition.
	Scope string `json:"scope,omitempty"`
}

// RecipientView is a recipient's current state and its history, newest
// transition first.
type RecipientView struct {
	Channel   channels.Channel `json:"channel"`
	Address   string           `json:"address"`
	State     channels.State   `json:"state"`
	Reason    string           `json:"reason,omitempty"`
	SoftCount int              `json:"soft_count"`
	Since     *time.Time       `json:"since,omitempty"`
	Until     *time.Time       `json:"until,omitempty"`
	History   []Transition     `json:"history"`
	// QuarantineCount is the recipient's run of repeated quarantines,
	// which lengthens the next one (policy.escalation).
	QuarantineCount int `json:"quarantine_count"`
	// Consents are its consents by scope: opt-outs, confirmations.
	Consents []ConsentView `json:"consents"`
}
