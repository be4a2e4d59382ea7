package sms

import (
	"encoding/json"
	"fmt"

	"github.com/rebond/rebond/channels"
)

// maxSinchRecipients bounds the recipients one batch report may name: a
// Sinch batch goes to at most 1,000 (Sinch SMS REST API, "Send": to).
const maxSinchRecipients = 1000

// sinchBatchReport is a Sinch SMS REST API batch delivery report (type
// delivery_report_sms; developers.sinch.com, "Delivery report"): one
// status per group of recipients. A "full" report lists each group's
// recipients; a "summary" report gives only their count.
type sinchBatchReport struct {
	Type     string `json:"type"`
	BatchID  string `json:"batch_id"`
	Statuses []struct {
		Code       flexString `json:"code"`
		Status     string     `json:"status"`
		Count      int        `json:"count"`
		Recipients []string   `json:"recipients"`
	} `json:"statuses"`
}

// ParseSinchReports reads a Sinch delivery report: a recipient report
// (recipient_delivery_report_sms, ParseSinch) or a batch report
// (delivery_report_sms), one event per recipient a batch report names,
// with the id ParseSinch gives the same recipient's report of the same
// status, so the two count once. A summary report names no recipient: it
// gives no event but ErrNoDelivery (rebond cannot tell whose outcome it
// is; the batch's delivery_report must be "full" or "per_recipient").
// Other types are ErrNotReceipt.
func ParseSinchReports(body []byte) ([]channels.Event, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("parse sinch callback: %w", err)
	}
	if head.Type != "delivery_report_sms" {
		return single(ParseSinch(body))
	}
	var b sinchBatchReport
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("parse sinch callback: %w", err)
	}
	var events []channels.Event
	for _, st := range b.Statuses {
		for _, rcpt := range st.Recipients {
			if len(events) == maxSinchRecipients {
				return nil, fmt.Errorf("parse sinch callback: more than %d recipients in one report", maxSinchRecipients)
			}
			r, err := providerReceipt("sinch", b.BatchID, phone(rcpt), st.Status, string(st.Code))
			if err != nil {
				return nil, err
			}
			e := r.event()
			e.ID = EventID("sinch", b.BatchID+"/"+rcpt, st.Status)
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("sinch summary delivery report of batch %q (counts per status, no recipients): %w;"+
			" send batches with delivery_report \"full\" or \"per_recipient\"", b.BatchID, ErrNoDelivery)
	}
	return events, nil
}
