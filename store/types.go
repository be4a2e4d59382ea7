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
	// Pending counts sent messages with no final outcome yet.
	Pending       int64   `json:"pending"`
	SoftRate      float64 `json:"soft_rate"`
	HardRate      float64 `json:"hard_rate"`
	ComplaintRate float64 `json:"complaint_rate"`
	// The 95% Wilson score intervals of the rates: with few messages a
	// rate says little, and the interval says how little.
	SoftRateCI      channels.Interval `json:"soft_rate_ci"`
	HardRateCI      channels.Interval `json:"hard_rate_ci"`
	ComplaintRateCI channels.Interval `json:"complaint_rate_ci"`
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

// Exclusion answers the pre-send question for one recipient.
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
}
