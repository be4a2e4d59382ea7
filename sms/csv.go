package sms

import (
	"fmt"
	"strings"

	"github.com/rebond/rebond/channels"
)

// CSVDialect is the err table of the comma-separated receipt text a large
// UK carrier sends in short_message instead of the Appendix B layout
// (quoted on devel@kannel.org, 2002); its codes are its own.
const CSVDialect = "vodafone-uk"

// ReceiptCSV is a comma-separated receipt text with the fields STATUS,
// STATUS TS, ACCEPTED TS, ERROR, DEST, ORIG, RESERVED. STATUS is a
// two-digit code ("00" delivered); the timestamps are YYMMDDhhmm.
type ReceiptCSV struct {
	Status, Error, Dest, Orig, Reserved string
	StatusTS, AcceptedTS                string
}

// ParseReceiptCSV reads the comma-separated receipt text. It wants exactly
// seven fields and a numeric STATUS.
func ParseReceiptCSV(s string) (ReceiptCSV, error) {
	if len(s) > MaxTextLen {
		return ReceiptCSV{}, fmt.Errorf("parse csv receipt: %d bytes, limit %d", len(s), MaxTextLen)
	}
	f := strings.Split(strings.TrimSpace(s), ",")
	if len(f) != 7 {
		return ReceiptCSV{}, fmt.Errorf("parse csv receipt: %d fields, want 7 (STATUS,STATUS TS,ACCEPTED TS,ERROR,DEST,ORIG,RESERVED)", len(f))
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	if f[0] == "" || strings.Trim(f[0], "0123456789") != "" {
		return ReceiptCSV{}, fmt.Errorf("parse csv receipt: status %q is not numeric", f[0])
	}
	return ReceiptCSV{Status: f[0], StatusTS: f[1], AcceptedTS: f[2], Error: f[3], Dest: f[4], Orig: f[5], Reserved: f[6]}, nil
}

// ParseCSVEvent reads the comma-separated receipt text into an event of
// provider "smpp": Stat is STATUS, Err is ERROR, and Dialect is the
// connection's dialect or, when none is set, CSVDialect. The ORIG field
// (the carrier's reference of the original message) is the message id.
func ParseCSVEvent(s, dialect string) (channels.Event, error) {
	c, err := ParseReceiptCSV(s)
	if err != nil {
		return channels.Event{}, err
	}
	if err := CheckID("orig", c.Orig); err != nil {
		return channels.Event{}, fmt.Errorf("parse csv receipt: %w", err)
	}
	if dialect == "" {
		dialect = CSVDialect
	}
	r := Receipt{
		Provider: "smpp", MessageID: c.Orig, Recipient: c.Dest, At: ParseReceiptDate(c.StatusTS), Raw: s,
		SMS:  channels.SMSReceipt{Stat: c.Status, Err: c.Error, Dialect: dialect},
		Type: csvType(c.Status),
	}
	return r.Event(), nil
}

// csvType: 00 is the delivered status of the format; 01 (not delivered
// yet, the network retries) is under way; anything else failed.
func csvType(status string) channels.Type {
	switch strings.TrimLeft(status, "0") {
	case "":
		return channels.Delivered
	case "1":
		return channels.Deferred
	}
	return channels.Failed
}
