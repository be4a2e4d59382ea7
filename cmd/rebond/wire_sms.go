package main

import (
	"context"
	"errors"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/store"
)

// smsTextCheck adapts sms.CheckText to the HTTP package.
func smsTextCheck(text string, maxSegments int, requireGSM bool) api.TextCheck {
	c := sms.CheckText(text, maxSegments, requireGSM)
	out := api.TextCheck{Encoding: string(c.Encoding), Units: c.Units, Segments: c.Segments, Reason: string(c.Reason)}
	for _, r := range c.Unsupported {
		out.Unsupported = append(out.Unsupported, string(r))
	}
	return out
}

// smppStore is the store as the ESME sees it (smpp.Store): an unknown
// message is an empty recipient, not an error.
type smppStore struct{ *store.Store }

// MessageRecipient implements smpp.Store.
func (s smppStore) MessageRecipient(ctx context.Context, tenant string, ch channels.Channel, messageID string) (string, error) {
	r, err := s.Store.MessageRecipient(ctx, tenant, ch, messageID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return r, err
}
