package api

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/providers"
	"github.com/rebond/rebond/store"
)

// wantsCSV reports whether r asks for CSV: Accept: text/csv or
// ?format=csv.
func wantsCSV(r *http.Request) bool {
	return r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv")
}

// getRates answers GET /v1/rates as JSON, or CSV when asked with
// Accept: text/csv or ?format=csv.
func (s *Server) getRates(w http.ResponseWriter, r *http.Request) error {
	q, err := ratesQuery(r.URL.Query())
	if err != nil {
		return err
	}
	q.MinVolume = s.cfg.RatesMinVolume
	if v := r.URL.Query().Get("min_volume"); v != "" {
		if q.MinVolume, err = strconv.ParseInt(v, 10, 64); err != nil || q.MinVolume < 0 {
			return errorf(http.StatusBadRequest, "min_volume: %q is not a count", v)
		}
	}
	rows, err := Rates(r.Context(), s.reader, q, s.cfg.Providers)
	if err != nil {
		return err
	}
	if wantsCSV(r) {
		return writeRatesCSV(w, rows)
	}
	writeJSON(w, http.StatusOK, map[string]any{"rows": rows})
	return nil
}

func ratesQuery(v url.Values) (store.RatesQuery, error) {
	q := store.RatesQuery{Channel: channels.Channel(v.Get("channel")), Campaign: v.Get("campaign"), Route: v.Get("route")}
	if q.Channel != "" && !q.Channel.Valid() {
		return q, errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", q.Channel)
	}
	var err error
	if q.From, err = parseTime("from", v.Get("from")); err != nil {
		return q, err
	}
	if q.To, err = parseTime("to", v.Get("to")); err != nil {
		return q, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, errorf(http.StatusBadRequest, "from: must be before to")
	}
	if q.GroupBy, err = ParseGroupBy(strings.Split(strings.Join(v["group_by"], ","), ",")); err != nil {
		return q, errorf(http.StatusBadRequest, "group_by: %v", err)
	}
	return q, nil
}

// RatesReader is the store's rates query.
type RatesReader interface {
	Rates(ctx context.Context, q store.RatesQuery) ([]store.RateRow, error)
}

// Rates answers q like the store does, and also groups by mailbox
// provider when q.GroupBy names "provider": the store groups by domain, and
// the rows are summed per provider of t (nil: the built-in table), their
// rates and intervals derived again. The domain column stays only when
// "domain" was asked for too. Mailbox providers are an email notion: SMS
// rows get no provider. The API and `rebond rates` share it.
func Rates(ctx context.Context, r RatesReader, q store.RatesQuery, t *providers.Table) ([]store.RateRow, error) {
	i := slices.Index(q.GroupBy, "provider")
	if i < 0 {
		return r.Rates(ctx, q)
	}
	t, err := providers.Or(t)
	if err != nil {
		return nil, err
	}
	keepDomain := slices.Contains(q.GroupBy, "domain")
	sq := q
	sq.GroupBy = slices.Clone(q.GroupBy)
	if keepDomain {
		sq.GroupBy = slices.Delete(sq.GroupBy, i, i+1)
	} else {
		sq.GroupBy[i] = "domain"
	}
	rows, err := r.Rates(ctx, sq)
	if err != nil {
		return nil, err
	}
	return store.Regroup(rows, func(row *store.RateRow) {
		if row.Channel == channels.Email {
			row.Provider = t.Of(row.Domain)
		}
		if !keepDomain {
			row.Domain = ""
		}
	}, q.MinVolume), nil
}

func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errorf(http.StatusBadRequest, "%s: %q is neither RFC 3339 nor YYYY-MM-DD", name, s)
}

var rateColumns = []string{"channel", "campaign", "domain", "bucket", "sent", "delivered", "soft", "hard", "complaints", "pending",
	"soft_rate", "hard_rate", "complaint_rate", "soft_rate_low", "soft_rate_high", "hard_rate_low", "hard_rate_high",
	"complaint_rate_low", "complaint_rate_high", "low_volume", "provider", "reason", "reason_group", "route",
	"unsubscribed", "unsubscribe_rate", "unsubscribe_rate_low", "unsubscribe_rate_high", "country", "carrier"}

func writeRatesCSV(w http.ResponseWriter, rows []store.RateRow) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rates.csv"`)
	return WriteRatesCSV(w, rows)
}

// WriteRatesCSV writes rate rows as CSV (RFC 4180) with a header line; the
// API and `rebond rates --csv` share it, so both give the same columns.
// Columns are only ever added at the end, so a reader by position keeps
// working.
// Text cells a spreadsheet would run as a formula are neutralized
// (csvText); numbers are written as numbers.
func WriteRatesCSV(w io.Writer, rows []store.RateRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(rateColumns)
	for _, r := range rows {
		bucket := ""
		if r.Bucket != nil {
			bucket = r.Bucket.Format(time.RFC3339)
		}
		i := func(n int64) string { return strconv.FormatInt(n, 10) }
		f := func(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }
		_ = cw.Write([]string{csvText(string(r.Channel)), csvText(r.Campaign), csvText(r.Domain), bucket, i(r.Sent), i(r.Delivered),
			i(r.Soft), i(r.Hard), i(r.Complaints), i(r.Pending), f(r.SoftRate), f(r.HardRate), f(r.ComplaintRate),
			f(r.SoftRateCI.Low), f(r.SoftRateCI.High), f(r.HardRateCI.Low), f(r.HardRateCI.High),
			f(r.ComplaintRateCI.Low), f(r.ComplaintRateCI.High), strconv.FormatBool(r.LowVolume),
			csvText(r.Provider), csvText(r.Reason), csvText(r.ReasonGroup), csvText(r.Route),
			i(r.Unsubscribed), f(r.UnsubscribeRate), f(r.UnsubscribeRateCI.Low), f(r.UnsubscribeRateCI.High),
			csvText(r.Country), csvText(r.Carrier)})
	}
	cw.Flush()
	return cw.Error()
}
