package api

import (
	"context"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
)

// readNumber reads an SMS number of tenant into E.164 digits with the
// tenant's default region (channels.NumberReader).
func (s *Server) readNumber(tenant, number string) (string, error) {
	return phone.E164(number, s.cfg.Numbers.For(tenant))
}

// recipient normalizes an address of ch as the state machine keys it: an
// SMS number read with the request's tenant's region first, so every form
// of one number names one recipient.
func (s *Server) recipient(ctx context.Context, ch channels.Channel, given string) (string, error) {
	if ch == channels.SMS {
		n, err := s.readNumber(channels.Tenant(ctx), given)
		if err != nil {
			return "", err
		}
		given = n
	}
	return channels.NormalizeRecipient(ch, given)
}
