package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// Operator is what the operator routes change in the store: deny and allow
// lists, and manual releases (every one audited with its actor and reason).
type Operator interface {
	AddListEntries(ctx context.Context, entries []store.ListEntry) error
	ListEntries(ctx context.Context, list string, ch channels.Channel) ([]store.ListEntry, error)
	DeleteListEntry(ctx context.Context, e store.ListEntry) error
	Release(ctx context.Context, ch channels.Channel, address, reason, actor string, now time.Time) error
	PreviewRelease(ctx context.Context, f store.ReleaseFilter) (store.ReleasePreview, error)
	ReleaseBulk(ctx context.Context, f store.ReleaseFilter, reason, actor string, now time.Time) (int64, error)
}

// actorAdmin is the audit actor of changes made with the configured admin
// token; a stored token's changes are "token:<name>" (see actor).
const actorAdmin = "api:admin"

// listColumns are the CSV columns of list import and export.
var listColumns = []string{"channel", "kind", "value", "reason", "expires_at"}

func (s *Server) operator() (Operator, error) {
	if s.cfg.Operator == nil {
		return nil, errorf(http.StatusNotImplemented, "operator routes are not configured")
	}
	return s.cfg.Operator, nil
}

// listRoute is the common start of the list routes: the operator and the
// list named by the path.
func (s *Server) listRoute(r *http.Request) (Operator, string, error) {
	op, err := s.operator()
	if err != nil {
		return nil, "", err
	}
	l := r.PathValue("list")
	if l != "deny" && l != "allow" {
		return nil, "", errorf(http.StatusNotFound, "no list %q (deny or allow)", l)
	}
	return op, l, nil
}

// postList adds entries to a list, from JSON {"entries":[...]} or from CSV
// (Content-Type: text/csv, the columns of listColumns with a header line):
// all or none, the first bad entry named.
func (s *Server) postList(w http.ResponseWriter, r *http.Request) error {
	op, list, err := s.listRoute(r)
	if err != nil {
		return err
	}
	var entries []store.ListEntry
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "text/csv" {
		entries, err = readListCSV(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	} else {
		var req struct {
			Entries []store.ListEntry `json:"entries"`
		}
		err = s.decodeJSON(w, r, &req)
		entries = req.Entries
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return errorf(http.StatusBadRequest, "entries: none given")
	}
	if len(entries) > s.cfg.MaxBatch {
		return errorf(http.StatusRequestEntityTooLarge, "%d entries in one request; at most %d", len(entries), s.cfg.MaxBatch)
	}
	for i := range entries {
		entries[i].List = list
		s.readListNumber(r.Context(), &entries[i])
		if err := store.ValidateNewListEntry(&entries[i]); err != nil {
			return errorf(http.StatusBadRequest, "entry %d: %v", i, err)
		}
	}
	if err := op.AddListEntries(r.Context(), entries); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "list entries added", "list", list, "entries", len(entries), "actor", actor(r))
	writeJSON(w, http.StatusOK, map[string]int{"added": len(entries)})
	return nil
}

// readListNumber writes an exact SMS entry's number in E.164 read with
// the tenant's region, as exclusions read numbers, so every form of a
// number names one entry, to add or to delete. A number it cannot read
// is left for validation to refuse.
func (s *Server) readListNumber(ctx context.Context, e *store.ListEntry) {
	if e.Channel != channels.SMS || e.Kind != "exact" {
		return
	}
	if n, err := s.readNumber(channels.Tenant(ctx), e.Value); err == nil {
		e.Value = n
	}
}

func readListCSV(r io.Reader) ([]store.ListEntry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, bodyError(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"channel", "kind", "value"} {
		if _, ok := col[need]; !ok {
			return nil, errorf(http.StatusBadRequest, "csv: no %q column (want %s)", need, strings.Join(listColumns, ","))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return csvUntext(strings.TrimSpace(rec[i]))
		}
		return ""
	}
	var out []store.ListEntry
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, bodyError(err)
		}
		e := store.ListEntry{Channel: channels.Channel(get(rec, "channel")), Kind: get(rec, "kind"),
			Value: get(rec, "value"), Reason: get(rec, "reason")}
		if exp := get(rec, "expires_at"); exp != "" {
			if e.ExpiresAt, err = time.Parse(time.RFC3339, exp); err != nil {
				return nil, errorf(http.StatusBadRequest, "csv line %d: expires_at %q is not RFC 3339", line, exp)
			}
		}
		out = append(out, e)
	}
}

// getList exports a list as JSON, or CSV with ?format=csv or Accept: text/csv.
func (s *Server) getList(w http.ResponseWriter, r *http.Request) error {
	op, list, err := s.listRoute(r)
	if err != nil {
		return err
	}
	ch := channels.Channel(r.URL.Query().Get("channel"))
	if ch != "" && !ch.Valid() {
		return errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", ch)
	}
	entries, err := op.ListEntries(r.Context(), list, ch)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv") {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-list.csv"`, list))
		cw := csv.NewWriter(w)
		_ = cw.Write(listColumns)
		for _, e := range entries {
			exp := ""
			if !e.ExpiresAt.IsZero() {
				exp = e.ExpiresAt.Format(time.RFC3339)
			}
			_ = cw.Write([]string{csvText(string(e.Channel)), csvText(e.Kind), csvText(e.Value), csvText(e.Reason), exp})
		}
		cw.Flush()
		return cw.Error()
	}
	if entries == nil {
		entries = []store.ListEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
	return nil
}

// deleteList removes one entry.
func (s *Server) deleteList(w http.ResponseWriter, r *http.Request) error {
	op, list, err := s.listRoute(r)
	if err != nil {
		return err
	}
	e := store.ListEntry{Channel: channels.Channel(r.PathValue("channel")), List: list, Kind: r.PathValue("kind"), Value: r.PathValue("value")}
	s.readListNumber(r.Context(), &e)
	if err := store.ValidateListEntry(&e); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err := op.DeleteListEntry(r.Context(), e); errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "no %s entry %s %s for %s", list, e.Kind, e.Value, e.Channel)
	} else if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "list entry deleted", "list", list, "kind", e.Kind, "value", e.Value, "actor", actor(r))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postRelease releases one quarantined or suspended recipient; the reason
// is mandatory and audited.
func (s *Server) postRelease(w http.ResponseWriter, r *http.Request) error {
	op, err := s.operator()
	if err != nil {
		return err
	}
	ch, addr, err := s.recipientPath(r)
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return errorf(http.StatusBadRequest, "reason: required (it goes to the audit trail)")
	}
	if err := op.Release(r.Context(), ch, addr, req.Reason, actor(r), s.now()); errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "%s is not quarantined or suspended", addr)
	} else if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "recipient released", "channel", ch, "recipient", addr, "actor", actor(r), "reason", req.Reason)
	return s.getRecipient(w, r)
}

type releaseRequest struct {
	store.ReleaseFilter
	// Why (required for the release itself) goes to every audit row.
	Why string `json:"why"`
	// Expect must equal the preview's count: a bulk release never takes
	// back more recipients than the operator saw.
	Expect *int64 `json:"expect"`
}

func (s *Server) releaseFilter(w http.ResponseWriter, r *http.Request) (releaseRequest, error) {
	var req releaseRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return req, err
	}
	if !req.Channel.Valid() {
		return req, errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", req.Channel)
	}
	if req.State != "" && req.State != channels.StateQuarantined && req.State != channels.StateSuspended {
		return req, errorf(http.StatusBadRequest, "state: %q is not one of quarantined, suspended", req.State)
	}
	return req, nil
}

// postReleasePreview says how many recipients a bulk release would take
// back and how many of them complained.
func (s *Server) postReleasePreview(w http.ResponseWriter, r *http.Request) error {
	op, err := s.operator()
	if err != nil {
		return err
	}
	req, err := s.releaseFilter(w, r)
	if err != nil {
		return err
	}
	p, err := op.PreviewRelease(r.Context(), req.ReleaseFilter)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// postReleases releases in bulk what the filter selects, when the count
// still is the one the operator previewed (409 otherwise).
func (s *Server) postReleases(w http.ResponseWriter, r *http.Request) error {
	op, err := s.operator()
	if err != nil {
		return err
	}
	req, err := s.releaseFilter(w, r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(req.Why) == "" {
		return errorf(http.StatusBadRequest, "why: required (it goes to the audit trail)")
	}
	if req.Expect == nil {
		return errorf(http.StatusBadRequest, "expect: required, the recipients count of POST /v1/releases/preview")
	}
	p, err := op.PreviewRelease(r.Context(), req.ReleaseFilter)
	if err != nil {
		return err
	}
	if p.Recipients != *req.Expect {
		return errorf(http.StatusConflict, "the filter now selects %d recipients, not %d: preview again", p.Recipients, *req.Expect)
	}
	n, err := op.ReleaseBulk(r.Context(), req.ReleaseFilter, req.Why, actor(r), s.now())
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "recipients released in bulk", "channel", req.Channel, "state", req.State,
		"reason", req.Reason, "released", n, "actor", actor(r), "why", req.Why)
	writeJSON(w, http.StatusOK, map[string]int64{"released": n})
	return nil
}
