package ui

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// AlertReader lists the active rate alerts. When the handler's Reader
// implements it too (the store does), the overview shows them in a banner
// above the charts.
type AlertReader interface {
	ActiveAlerts(ctx context.Context) ([]channels.AlertChange, error)
}

// alertLine is one active alert as the banner shows it.
type alertLine struct {
	Level    string // warning or critical
	Channel  channels.Channel
	Campaign string
	Provider string
	Metric   string // "hard rate"
	channels.AlertChange
}

// activeAlerts returns the alerts of the shown channels, critical first;
// nil when the reader keeps no alerts.
func (h *Handler) activeAlerts(ctx context.Context, f filter) ([]alertLine, error) {
	ar, ok := h.reader.(AlertReader)
	if !ok {
		return nil, nil
	}
	list, err := ar.ActiveAlerts(ctx)
	if err != nil {
		return nil, err
	}
	var crit, warn []alertLine
	for _, a := range list {
		if f.Channel != "" && a.Channel != f.Channel {
			continue
		}
		l := alertLine{Level: a.To, Channel: a.Channel, Campaign: a.Campaign, Provider: a.Provider,
			Metric: strings.ReplaceAll(a.Metric, "_", " "), AlertChange: a}
		if a.To == channels.AlertCritical {
			crit = append(crit, l)
		} else {
			warn = append(warn, l)
		}
	}
	return append(crit, warn...), nil
}

// AlertDeliveryLog reads the log of alert notices sent to the configured
// destinations (store.Store.RecentAlertDeliveries, the caller's tenant).
// When the handler's Reader implements it too, the Alerts page shows the
// recent deliveries per destination, so a team sees that its people were
// told, or why not, without calling the API.
type AlertDeliveryLog interface {
	RecentAlertDeliveries(ctx context.Context, limit int) ([]store.AlertDelivery, error)
}

// alertDeliveriesShown is how many of the latest deliveries the page reads.
const alertDeliveriesShown = 200

// alertsData is the Alerts page's.
type alertsData struct {
	Active []alertLine
	// NoLog says the reader keeps no delivery log.
	NoLog        bool
	Destinations []destinationLog
	Shown        int
}

// destinationLog is one destination's recent deliveries, newest first.
type destinationLog struct {
	Name, Kind            string
	Sent, Failed, Pending int
	LastSent              *time.Time
	Deliveries            []deliveryLine
}

// deliveryLine is one delivery as the page shows it.
type deliveryLine struct {
	store.AlertDelivery
	Metric string // "hard rate"
}

// alerts shows the tenant's active alerts and the recent notices to its
// destinations: when, which alert, open/escalate/resolve, status,
// attempts and the last error, grouped by destination.
func (h *Handler) alerts(r *http.Request, v *view) (string, error) {
	v.Title, v.Active = "Alerts", "alerts"
	var d alertsData
	v.Data = &d
	active, err := h.activeAlerts(r.Context(), filter{})
	if err != nil {
		return "", err
	}
	d.Active = active
	dl, ok := h.reader.(AlertDeliveryLog)
	if !ok {
		d.NoLog = true
		return "alerts", nil
	}
	list, err := dl.RecentAlertDeliveries(r.Context(), alertDeliveriesShown)
	if err != nil {
		return "", err
	}
	d.Shown = len(list)
	byName := map[string]*destinationLog{}
	for _, x := range list {
		g := byName[x.Destination]
		if g == nil {
			g = &destinationLog{Name: x.Destination, Kind: x.Kind}
			byName[x.Destination] = g
		}
		switch x.Status {
		case store.DeliverySent:
			g.Sent++
			if g.LastSent == nil || (x.SentAt != nil && x.SentAt.After(*g.LastSent)) {
				g.LastSent = x.SentAt
			}
		case store.DeliveryFailed:
			g.Failed++
		default:
			g.Pending++
		}
		g.Deliveries = append(g.Deliveries, deliveryLine{AlertDelivery: x, Metric: strings.ReplaceAll(x.Change.Metric, "_", " ")})
	}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		d.Destinations = append(d.Destinations, *byName[name])
	}
	return "alerts", nil
}
