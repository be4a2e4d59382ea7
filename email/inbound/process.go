package inbound

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rebond/rebond/channels"
)

// Subject is the NATS subject the spool stores received mail on.
const Subject = "rebond.inbound.email"

// Parser turns a received mail into events. It returns no events and a
// reason when the mail reports nothing (not a bounce), and an error only
// when the mail cannot be read at all.
type Parser func(m Message) (events []channels.Event, why string, err error)

// Encode is the spool's wire form of a message (JSON; Data is base64).
func Encode(m Message) ([]byte, error) { return json.Marshal(m) }

// Decode reads what Encode wrote.
func Decode(data []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return Message{}, fmt.Errorf("%w: spooled mail: %v", channels.ErrMalformed, err)
	}
	if m.ID == "" || len(m.Data) == 0 {
		return Message{}, fmt.Errorf("%w: spooled mail without id or data", channels.ErrMalformed)
	}
	return m, nil
}

// Handler parses spooled mail; workers drive it from the spool's consumer.
type Handler struct {
	Parse Parser
	// MaxKept bounds the mail Sample keeps (default DefaultMaxKept).
	MaxKept int
}

// DefaultMaxKept is Handler.MaxKept's default: the header and the start
// of the body of a mail that is no bounce say what it was.
const DefaultMaxKept = 16 << 10

// Sample returns the spooled message with at most MaxKept bytes of its
// mail (Truncated set when cut), for the rejected table; a record that
// does not decode is cut to MaxKept bytes as it is.
func (h Handler) Sample(data []byte) []byte {
	limit := h.MaxKept
	if limit <= 0 {
		limit = DefaultMaxKept
	}
	m, err := Decode(data)
	if err != nil {
		return data[:min(len(data), limit)]
	}
	if len(m.Data) <= limit {
		return data
	}
	m.Data, m.Truncated = m.Data[:limit], true
	out, err := Encode(m)
	if err != nil {
		return data[:limit]
	}
	return out
}

// Handle decodes one spooled message and parses it. A mail that is no
// bounce gives no events and the reason why, for the rejected-payload
// table; a spool record that cannot be decoded is an ErrMalformed error.
func (h Handler) Handle(_ context.Context, data []byte) ([]channels.Event, string, error) {
	m, err := Decode(data)
	if err != nil {
		return nil, "", err
	}
	events, why, err := h.Parse(m)
	if err != nil {
		return nil, "", fmt.Errorf("%w: mail %s: %v", channels.ErrMalformed, m.ID, err)
	}
	return events, why, nil
}
