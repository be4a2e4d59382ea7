package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/rebond/rebond/channels"
)

// view is what every page template receives: the layout's needs (title,
// active tab, the range picker) and the page's own Data.
type view struct {
	Title string
	// Active names the navigation tab to highlight.
	Active string
	// Path is the page's path, the action of its range picker.
	Path   string
	Filter filter
	// Keep holds the page's own query parameters (a campaign's name, a
	// recipient's address) that links and the range picker carry along.
	Keep url.Values
	// Notices explain what the page corrected in the request.
	Notices []string
	Error   string
	// Picker shows the range picker; Channels the channel selector; Bare
	// hides the navigation (the login page).
	Picker, Channels, Bare bool
	Data                   any
	MinVolume              int64
	// Who signed in (access.go). Tenant is whose data the pages show: a
	// stored token's own, or the one the admin token chose (?tenant=,
	// remembered in a cookie); Tenants the names the header's field
	// suggests, to the admin token only.
	Who     identity
	Tenant  string
	Tenants []string
}

// presets are the quick ranges of the picker, in days ending today.
var presets = []int{1, 7, 30, 90, 365}

const (
	defaultDays = 30
	maxDays     = 400
	dayLayout   = "2006-01-02"
)

// filter is the time range and channel a page shows.
type filter struct {
	// From and To bound the range [From, To): whole UTC days.
	From, To time.Time
	Days     int
	// Preset is the number of days of a quick range ending today, 0 for
	// a custom range.
	Preset  int
	Channel channels.Channel
}

// Hourly reports whether the range is short enough to chart by hour.
func (f filter) Hourly() bool { return f.Days <= 2 }

// Step is the chart bucket width.
func (f filter) Step() time.Duration {
	if f.Hourly() {
		return time.Hour
	}
	return 24 * time.Hour
}

// Last is the range's last day (To is exclusive).
func (f filter) Last() time.Time { return f.To.Add(-24 * time.Hour) }

// Query returns the filter as URL parameters.
func (f filter) Query() url.Values {
	q := url.Values{}
	if f.Preset != 0 {
		if f.Preset != defaultDays {
			q.Set("range", strconv.Itoa(f.Preset))
		}
	} else {
		q.Set("from", f.From.Format(dayLayout))
		q.Set("to", f.Last().Format(dayLayout))
	}
	if f.Channel != "" {
		q.Set("channel", string(f.Channel))
	}
	return q
}

func (h *Handler) newView(r *http.Request) *view {
	v := &view{Path: r.URL.Path, Keep: url.Values{}, MinVolume: h.cfg.MinVolume, Tenant: channels.Tenant(r.Context()),
		Who: whoOf(r.Context())}
	v.Filter, v.Notices = parseFilter(r.URL.Query(), h.now())
	if h.tenants != nil && v.Who.may(actTenants) {
		// A failure only leaves the field without suggestions: the
		// page's own reads report the database's trouble.
		names, err := h.tenants.KnownTenants(r.Context())
		if err != nil {
			h.log.WarnContext(r.Context(), "dashboard: cannot list the tenants", "error", err)
		}
		v.Tenants = names
	}
	return v
}

// parseFilter reads range=N, or from= and to= (whole days, both
// included), and channel=. Anything it cannot use is replaced by the
// default (the last 30 days, every channel) with a notice saying so.
func parseFilter(q url.Values, now time.Time) (filter, []string) {
	today := now.UTC().Truncate(24 * time.Hour)
	f := filter{Days: defaultDays, Preset: defaultDays}
	var notices []string
	if s := q.Get("range"); s != "" {
		n, err := strconv.Atoi(s)
		if err == nil && slices.Contains(presets, n) {
			f.Days, f.Preset = n, n
		} else {
			notices = append(notices, fmt.Sprintf("Unknown range %q: showing the last %d days.", clip(s), defaultDays))
		}
	}
	f.To = today.Add(24 * time.Hour)
	f.From = f.To.AddDate(0, 0, -f.Days)
	if q.Get("from") != "" || q.Get("to") != "" {
		from, to, err := customRange(q.Get("from"), q.Get("to"), today)
		if err != nil {
			notices = append(notices, err.Error()+fmt.Sprintf(" Showing the last %d days.", f.Days))
		} else {
			f.From, f.To, f.Preset = from, to, 0
			f.Days = int(to.Sub(from) / (24 * time.Hour))
		}
	}
	switch ch := channels.Channel(q.Get("channel")); {
	case ch == "" || ch.Valid():
		f.Channel = ch
	default:
		notices = append(notices, fmt.Sprintf("Unknown channel %q: showing email and SMS.", clip(string(ch))))
	}
	return f, notices
}

// customRange parses a from and to day (to included; either may be
// empty: from defaults to 29 days before to, to to today).
func customRange(fromText, toText string, today time.Time) (from, to time.Time, err error) {
	last := today
	if toText != "" {
		if last, err = time.Parse(dayLayout, toText); err != nil {
			return from, to, fmt.Errorf("The end date %q is not a date (YYYY-MM-DD).", clip(toText))
		}
	}
	from = last.AddDate(0, 0, 1-defaultDays)
	if fromText != "" {
		if from, err = time.Parse(dayLayout, fromText); err != nil {
			return from, to, fmt.Errorf("The start date %q is not a date (YYYY-MM-DD).", clip(fromText))
		}
	}
	to = last.Add(24 * time.Hour)
	switch days := to.Sub(from) / (24 * time.Hour); {
	case days < 1:
		return from, to, fmt.Errorf("The start date %s is after the end date %s.", from.Format(dayLayout), last.Format(dayLayout))
	case days > maxDays:
		return from, to, fmt.Errorf("The range is longer than %d days.", maxDays)
	}
	return from, to, nil
}

// clip bounds a user's text quoted back in a notice.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// Link returns a dashboard URL for path (relative to Prefix) with the
// current range and channel, the page's kept parameters when path is the
// page itself, and then the given key, value pairs (an empty value
// removes the key).
func (v *view) Link(path string, kv ...string) string {
	q := v.Filter.Query()
	if Prefix+path == v.Path {
		for k, vals := range v.Keep {
			q[k] = vals
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	u := Prefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// RangeLink is the current page with a quick range of n days.
func (v *view) RangeLink(n int) string {
	return v.Link(v.page(), "range", strconv.Itoa(n), "from", "", "to", "")
}

// ChannelLink is the current page for one channel ("" for both).
func (v *view) ChannelLink(ch string) string {
	return v.Link(v.page(), "channel", ch)
}

// page is the current path relative to Prefix.
func (v *view) page() string {
	if len(v.Path) < len(Prefix) {
		return ""
	}
	return v.Path[len(Prefix):]
}

// Presets lists the quick ranges for the picker.
func (v *view) Presets() []int { return presets }

// CampaignLink is the page of one campaign (whose name may be empty: the
// messages sent without one).
func (v *view) CampaignLink(ch channels.Channel, name string) string {
	q := v.Filter.Query()
	q.Set("channel", string(ch))
	q.Set("name", name)
	return Prefix + "campaign?" + q.Encode()
}

// RecipientLink is the recipient page of an address.
func (v *view) RecipientLink(ch channels.Channel, address string) string {
	q := url.Values{"channel": {string(ch)}, "address": {address}}
	return Prefix + "recipient?" + q.Encode()
}

// PresetName names a quick range.
func (v *view) PresetName(days int) string {
	switch days {
	case 1:
		return "Today"
	case 365:
		return "12 months"
	}
	return strconv.Itoa(days) + " days"
}
