package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/rebond/rebond/channels"
)

// eventError is the error of one element of a posted batch.
type eventError struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

type eventsResponse struct {
	Accepted int          `json:"accepted"`
	Rejected int          `json:"rejected"`
	IDs      []string     `json:"ids"`
	Errors   []eventError `json:"errors,omitempty"`
}

// postEvents ingests one event or an array. Good events are published
// (all or nothing: a publish failure is a 503 and nothing is claimed);
// bad ones are listed by index with the field at fault, and the answer is
// then 400 even though the good ones were accepted.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		return bodyError(err)
	}
	items, err := channels.SplitBatch(body)
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if len(items) > s.cfg.MaxBatch {
		return errorf(http.StatusRequestEntityTooLarge, "%d events in one request; at most %d", len(items), s.cfg.MaxBatch)
	}
	resp := eventsResponse{IDs: []string{}}
	good := make([]channels.Event, 0, len(items))
	for i, raw := range items {
		// The bus refuses anything over its max_payload; re-encoding can
		// only grow an event by its derived id and its normalization.
		if lim := s.cfg.MaxEventBytes; lim > 0 && int64(len(raw))+1024 > lim {
			resp.Errors = append(resp.Errors, eventError{Index: i,
				Error: fmt.Sprintf("event of %d bytes: larger than the event bus carries (%d)", len(raw), lim)})
			continue
		}
		e, err := channels.DecodeEventNumbers(raw, channels.Tenant(r.Context()), s.readNumber)
		if err == nil && e.Consent != nil && e.Consent.Source == channels.SourceConfirm {
			// A confirmed double opt-in is the recipient's proof, made
			// by rebond's confirmation page only: no sender asserts one.
			err = &channels.FieldError{Field: "consent.source", Msg: "confirm is rebond's own (a confirmation link followed); post opt_in with another source"}
		}
		if err != nil {
			resp.Errors = append(resp.Errors, eventError{Index: i, Error: eventErrorText(err)})
			continue
		}
		// No raw copy of a posted event: the event is its own source, and
		// its JSON, kept as the stored payload, holds every field it
		// brought (a copy would double the bytes on the bus, in the inbox
		// and in the WAL).
		good = append(good, e)
		resp.IDs = append(resp.IDs, e.ID)
	}
	if len(good) > 0 {
		if err := s.pub.Publish(r.Context(), good); err != nil {
			s.log.WarnContext(r.Context(), "publish failed; events refused", "events", len(good), "error", err)
			return errorf(http.StatusServiceUnavailable, "event bus unavailable; nothing was accepted, retry later")
		}
	}
	s.count(good, len(resp.Errors))
	resp.Accepted, resp.Rejected = len(good), len(resp.Errors)
	status := http.StatusAccepted
	if resp.Rejected > 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, resp)
	return nil
}

// eventErrorText strips the sentinel's prefix from field errors, which
// already say what is wrong.
func eventErrorText(err error) string {
	var fe *channels.FieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return err.Error()
}

func (s *Server) count(good []channels.Event, bad int) {
	by := map[channels.Channel]int{}
	for _, e := range good {
		by[e.Channel]++
	}
	for ch, n := range by {
		s.metrics.ingested.WithLabelValues(string(ch), "accepted").Add(float64(n))
	}
	if bad > 0 {
		s.metrics.ingested.WithLabelValues("", "rejected").Add(float64(bad))
	}
}
