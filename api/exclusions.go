package api

import (
	"net/http"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// Reasons the API gives for input it cannot look up (REASONS.md, pre-send).
const (
	reasonMissing   = "address_missing"
	reasonInvalid   = "address_invalid"
	reasonDuplicate = "duplicate"
)

type exclusionsRequest struct {
	Channel    channels.Channel `json:"channel"`
	Recipients []string         `json:"recipients"`
	// For SMS, the text about to be sent: when it fails the pre-send
	// check, every recipient is excluded with the check's reason.
	textCheckRequest
	// The list and the campaign the send is for: their recipients'
	// opt-outs of them exclude too, and the list may require confirmed
	// consent (consent.Policy).
	consentScope
}

// postExclusions answers the pre-send question for a batch, in input order.
// Input hygiene happens here: empty and malformed recipients, and repeats
// of an earlier recipient of the request, are excluded without a lookup;
// the rest go to the store once.
func (s *Server) postExclusions(w http.ResponseWriter, r *http.Request) error {
	var req exclusionsRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if !req.Channel.Valid() {
		return errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", req.Channel)
	}
	if len(req.Recipients) > s.cfg.MaxBatch {
		return errorf(http.StatusRequestEntityTooLarge, "%d recipients in one request; at most %d", len(req.Recipients), s.cfg.MaxBatch)
	}
	var textCheck *TextCheck
	if req.Text != nil {
		if req.Channel != channels.SMS {
			return errorf(http.StatusBadRequest, "text: only SMS sends have a text check")
		}
		c, err := s.check(req.textCheckRequest)
		if err != nil {
			return err
		}
		textCheck = &c
	}
	results := make([]store.Exclusion, len(req.Recipients))
	lookup := make([]string, 0, len(req.Recipients))
	at := make([]int, 0, len(req.Recipients))
	seen := make(map[string]bool, len(req.Recipients))
	for i, given := range req.Recipients {
		results[i] = store.Exclusion{Recipient: given, Excluded: true, State: channels.StateActive}
		norm, err := s.recipient(r.Context(), req.Channel, given)
		switch {
		case strings.TrimSpace(given) == "":
			results[i].Reason = reasonMissing
		case err != nil:
			results[i].Reason = reasonInvalid
		case seen[norm]:
			results[i].Reason = reasonDuplicate
		default:
			seen[norm] = true
			lookup = append(lookup, norm)
			at = append(at, i)
		}
	}
	found, err := s.reader.Exclusions(r.Context(), req.Channel, lookup, s.now())
	if err != nil {
		return err
	}
	if err := s.consentExclusions(r.Context(), req.Channel, req.consentScope, found); err != nil {
		return err
	}
	for j, x := range found {
		x.Recipient = req.Recipients[at[j]]
		if textCheck != nil && !textCheck.OK && !x.Excluded {
			x.Excluded, x.Reason = true, textCheck.Reason
		}
		results[at[j]] = x
	}
	resp := map[string]any{"results": results}
	if textCheck != nil {
		resp["text_check"] = textCheck
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
