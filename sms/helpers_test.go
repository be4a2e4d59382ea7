package sms_test

import (
	"strconv"
	"strings"

	"github.com/rebond/rebond/channels"
)

// summary renders the fields a parser fills, in a fixed order, so a table
// test compares one line: type provider message_id recipient stat err
// dialect network_error message_state ("-" when absent).
func summary(e channels.Event) string {
	r := channels.SMSReceipt{}
	if e.SMS != nil {
		r = *e.SMS
	}
	state := "-"
	if r.MessageState != nil {
		state = strconv.Itoa(*r.MessageState)
	}
	return strings.Join([]string{string(e.Type), e.Provider, e.MessageID, e.Recipient, r.Stat, r.Err, r.Dialect, r.NetworkError, state}, "|")
}
