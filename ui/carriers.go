package ui

import (
	"net/http"
	"strconv"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// carrierPage is the SMS counterpart of the domains page: the worst
// carriers (country and MCC-MNC), then the worst countries.
type carrierPage struct {
	Min                 int64
	Carriers, Countries domainList
}

// carrierLabel names a carrier row: "GB 23410", or "GB, carrier unknown"
// for the deliveries no gateway named a network for.
func carrierLabel(r store.RateRow) string {
	if r.Carrier == "" && r.Country == "" {
		return ""
	}
	if r.Carrier == "unknown" {
		return r.Country + ", carrier unknown"
	}
	return r.Country + " " + r.Carrier
}

// carriers lists the SMS recipients' carriers and countries with the
// highest hard rates (GET /v1/rates?group_by=country,carrier).
func (h *Handler) carriers(r *http.Request, v *view) (string, error) {
	v.Title, v.Active, v.Picker = "Worst carriers", "carriers", true
	f := v.Filter
	f.Channel = channels.SMS // carriers are an SMS notion
	v.Filter = f
	minSent := minVolume(r.URL.Query(), h.cfg.MinVolume)
	if minSent != h.cfg.MinVolume {
		v.Keep.Set("min", strconv.FormatInt(minSent, 10))
	}
	rows, err := h.reader.Rates(r.Context(), store.RatesQuery{Channel: channels.SMS, From: f.From, To: f.To,
		GroupBy: []string{"country", "carrier"}})
	if err != nil {
		return "", err
	}
	v.Data = carrierPage{Min: minSent,
		Carriers: worstBy(rows, nil, minSent, 100, listing{head: "Carrier (country, MCC-MNC)", noun: "carrier", nouns: "carriers", medium: "SMS",
			key: carrierLabel}),
		Countries: worstBy(rows, nil, minSent, 100, listing{head: "Country", noun: "country", nouns: "countries", medium: "SMS",
			key: func(r store.RateRow) string { return r.Country }}),
	}
	return "carriers", nil
}
