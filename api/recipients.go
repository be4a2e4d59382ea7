package api

import (
	"errors"
	"net/http"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// getRecipient returns a recipient's state and history. A recipient rebond
// never changed is active with an empty history (sendable), not a 404.
func (s *Server) getRecipient(w http.ResponseWriter, r *http.Request) error {
	ch, addr, err := s.recipientPath(r)
	if err != nil {
		return err
	}
	v, err := s.reader.Recipient(r.Context(), ch, addr)
	if errors.Is(err, store.ErrNotFound) {
		v = store.RecipientView{Channel: ch, Address: addr, State: channels.StateActive, History: []store.Transition{}}
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// recipientPath reads {channel} and {address} from the path, the address
// normalized as the state machine keys it.
func (s *Server) recipientPath(r *http.Request) (channels.Channel, string, error) {
	ch := channels.Channel(r.PathValue("channel"))
	if !ch.Valid() {
		return "", "", errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", ch)
	}
	addr, err := s.recipient(r.Context(), ch, r.PathValue("address"))
	if err != nil {
		return "", "", errorf(http.StatusBadRequest, "address: %v", err)
	}
	return ch, addr, nil
}
