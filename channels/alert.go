package channels

import "time"

// Alert states, from best to worst.
const (
	AlertOK       = "ok"
	AlertWarning  = "warning"
	AlertCritical = "critical"
)

// AlertKey names what an alert watches: one metric (soft_rate, hard_rate
// or complaint_rate) of one channel and campaign, at one mailbox provider
// or, with Provider "", over all of them.
type AlertKey struct {
	Channel  Channel `json:"channel"`
	Campaign string  `json:"campaign"`
	Provider string  `json:"provider,omitempty"`
	Metric   string  `json:"metric"`
}

// AlertChange is one state change of an alert (states: AlertOK,
// AlertWarning, AlertCritical) with the evidence it was decided on. The
// scheduler decides it, the store records it, the API and the dashboard
// list it, and its JSON is the notice published on NATS. ID is 0 until
// recorded.
type AlertChange struct {
	ID int64 `json:"id"`
	// Tenant whose rates changed state (set by the store).
	Tenant string `json:"tenant"`
	AlertKey
	From string    `json:"from"`
	To   string    `json:"to"`
	At   time.Time `json:"at"`
	// Sent messages in the window, Hits of them counting towards the
	// metric; Rate = Hits / Sent, CI its 95% Wilson interval, whose lower
	// bound was compared with Threshold.
	Sent      int64    `json:"sent"`
	Hits      int64    `json:"hits"`
	Rate      float64  `json:"rate"`
	CI        Interval `json:"rate_ci"`
	Threshold float64  `json:"threshold"`
	// PublishedAt is when the change went out on NATS; nil until then.
	PublishedAt *time.Time `json:"published_at,omitempty"`
}
