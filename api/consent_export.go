package api

import (
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

var consentColumns = []string{"channel", "address", "scope", "name", "opted_out", "since", "source", "event_id",
	"confirmed_at", "confirm_ip", "confirm_user_agent", "updated_at"}

// writeConsentsCSV writes consent states as CSV (RFC 4180) with a header
// line, text cells neutralized as in every export (csvText).
func writeConsentsCSV(w http.ResponseWriter, cs []store.ConsentView) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="consents.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(consentColumns)
	when := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, c := range cs {
		_ = cw.Write([]string{csvText(string(c.Channel)), csvText(c.Address), csvText(string(c.Scope)), csvText(c.Name),
			strconv.FormatBool(c.OptedOut), when(c.Since), csvText(c.Source), csvText(c.EventID), when(c.ConfirmedAt),
			csvText(c.ConfirmIP), csvText(c.ConfirmUserAgent), c.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}

// consentCursor is a page cursor's wire form: base64url of its JSON, so
// it survives a URL query whatever the address holds.
type consentCursor struct {
	A string `json:"a"`
	S string `json:"s"`
	N string `json:"n"`
}

func encodeCursor(c store.ConsentCursor) string {
	b, _ := json.Marshal(consentCursor{c.Address, string(c.Scope), c.Name})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (store.ConsentCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 4096 {
		return store.ConsentCursor{}, errors.New("bad cursor")
	}
	var c consentCursor
	if err := json.Unmarshal(b, &c); err != nil {
		return store.ConsentCursor{}, err
	}
	return store.ConsentCursor{Address: c.A, Scope: channels.Scope(c.S), Name: c.N}, nil
}
