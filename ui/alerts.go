package ui

import (
	"context"
	"strings"

	"github.com/rebond/rebond/channels"
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
