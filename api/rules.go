package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/rulebook"
)

// RuleBook is what the rules and qualification routes need; cmd wires a
// *rulebook.Book.
type RuleBook interface {
	List(ctx context.Context, ch channels.Channel) ([]rulebook.Entry, error)
	Show(ctx context.Context, id string) ([]rulebook.Entry, error)
	Create(ctx context.Context, r rules.Rule, state, author string) (rulebook.Entry, error)
	Update(ctx context.Context, id string, r rules.Rule, state, author string) (rulebook.Entry, error)
	Disable(ctx context.Context, id, author string) (rulebook.Entry, error)
	Explain(ctx context.Context, s rulebook.Sample) ([]rulebook.Explanation, error)
	Backtest(ctx context.Context, req rulebook.BacktestRequest) (rulebook.BacktestReport, error)
	Qualification(ctx context.Context, q rulebook.QualifyQuery) ([]rulebook.Group, error)
	Keep(ctx context.Context, group string, req rulebook.KeepRequest, author string) (rulebook.Entry, error)
	Ignore(ctx context.Context, group, author string) (rulebook.Group, error)
}

// routeRules registers the rule and qualification routes; every one needs
// the bearer token.
func (s *Server) routeRules(mux *http.ServeMux) {
	for _, rt := range []struct {
		pattern string
		h       handlerFunc
	}{
		{"GET /v1/rules", s.getRules},
		{"POST /v1/rules", s.postRule},
		{"GET /v1/rules/{id}", s.getRule},
		{"PUT /v1/rules/{id}", s.putRule},
		{"POST /v1/rules/{id}/disable", s.postRuleDisable},
		{"POST /v1/rules/explain", s.postExplain},
		{"POST /v1/rules/backtest", s.postBacktest},
		{"GET /v1/qualification", s.getQualification},
		{"POST /v1/qualification/{group}/keep", s.postKeep},
		{"POST /v1/qualification/{group}/ignore", s.postIgnore},
	} {
		s.route(mux, rt.pattern, s.withBook(rt.h), true)
	}
}

// withBook answers 501 when the server has no rule book.
func (s *Server) withBook(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Rules == nil {
			return errorf(http.StatusNotImplemented, "this server manages no rules")
		}
		return h(w, r)
	}
}

// bookError turns the rule book's errors into answers.
func bookError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rulebook.ErrInvalid):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, rulebook.ErrNotFound):
		return errorf(http.StatusNotFound, "%v", err)
	case errors.Is(err, rulebook.ErrConflict), errors.Is(err, rulebook.ErrBusy):
		return errorf(http.StatusConflict, "%v", err)
	}
	return err
}

// answer writes v as 200 (or status) unless err, which it returns as an
// answer.
func answer(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return bookError(err)
	}
	writeJSON(w, status, v)
	return nil
}

// author is who made a change. With the configured admin token it is
// ?author=, else "api". With a stored token it is the token's actor,
// which the caller cannot choose: "token:<name>", followed by " (author)"
// when ?author= names a person (bounded, so the audit stays readable).
func author(r *http.Request) string {
	a := r.URL.Query().Get("author")
	if p, ok := r.Context().Value(principalKey{}).(principal); ok && p.named {
		if a == "" {
			return p.actor
		}
		if len(a) > 64 {
			a = strings.ToValidUTF8(a[:64], "") // drop a rune cut in two
		}
		return p.actor + " (" + a + ")"
	}
	if a != "" {
		return a
	}
	return "api"
}

func (s *Server) getRules(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Rules.List(r.Context(), channels.Channel(r.URL.Query().Get("channel")))
	return answer(w, http.StatusOK, map[string]any{"rules": list}, err)
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) error {
	versions, err := s.cfg.Rules.Show(r.Context(), r.PathValue("id"))
	return answer(w, http.StatusOK, map[string]any{"versions": versions}, err)
}

// readRule reads a body holding one rule, as YAML or JSON (rules.ParseRule).
func (s *Server) readRule(w http.ResponseWriter, r *http.Request) (rules.Rule, error) {
	limit := min(s.cfg.MaxBodyBytes, rules.MaxRuleBytes)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return rules.Rule{}, bodyError(err)
	}
	rule, err := rules.ParseRule(body)
	if err != nil {
		return rules.Rule{}, errorf(http.StatusBadRequest, "%v", err)
	}
	return rule, nil
}

func (s *Server) postRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.readRule(w, r)
	if err != nil {
		return err
	}
	e, err := s.cfg.Rules.Create(r.Context(), rule, r.URL.Query().Get("state"), author(r))
	return answer(w, http.StatusCreated, e, err)
}

func (s *Server) putRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.readRule(w, r)
	if err != nil {
		return err
	}
	e, err := s.cfg.Rules.Update(r.Context(), r.PathValue("id"), rule, r.URL.Query().Get("state"), author(r))
	return answer(w, http.StatusCreated, e, err)
}

func (s *Server) postRuleDisable(w http.ResponseWriter, r *http.Request) error {
	e, err := s.cfg.Rules.Disable(r.Context(), r.PathValue("id"), author(r))
	return answer(w, http.StatusCreated, e, err)
}

func (s *Server) postExplain(w http.ResponseWriter, r *http.Request) error {
	sample, err := s.readSample(w, r)
	if err != nil {
		return err
	}
	ex, err := s.cfg.Rules.Explain(r.Context(), sample)
	return answer(w, http.StatusOK, map[string]any{"explanations": ex}, err)
}

// mailMediaType is the Content-Type of a raw mail posted to explain
// (RFC 2046 section 5.2.1): what a user holding a bounce file sends.
const mailMediaType = "message/rfc822"

// readSample reads the body of POST /v1/rules/explain: a raw mail as it
// is, with Content-Type message/rfc822 (curl --data-binary @bounce.eml
// -H 'Content-Type: message/rfc822'), or else the JSON object of
// rulebook.Sample. text/plain is not a mail: a reply line, a receipt and
// an event are text too, so the JSON object says which one it is.
func (s *Server) readSample(w http.ResponseWriter, r *http.Request) (rulebook.Sample, error) {
	var sample rulebook.Sample
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == mailMediaType {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
		if err != nil {
			return sample, bodyError(err)
		}
		if len(body) == 0 {
			return sample, errorf(http.StatusBadRequest, "mail: the body is empty")
		}
		sample.Mail = string(body)
		return sample, nil
	}
	err := s.decodeJSON(w, r, &sample)
	var he *httpError
	if errors.As(err, &he) && he.status == http.StatusBadRequest {
		he.msg += `; send {"mail": ...}, {"reply": ...}, {"receipt": ...} or {"event": ...}, or a raw mail with Content-Type: ` + mailMediaType
	}
	return sample, err
}

// backtestRequest is the body of POST /v1/rules/backtest.
type backtestRequest struct {
	Channel  channels.Channel `json:"channel"`
	From     string           `json:"from"`
	To       string           `json:"to"`
	Rules    []jsonRule       `json:"rules"`
	Disable  []string         `json:"disable"`
	Examples int              `json:"examples"`
}

// jsonRule is a rule inside a JSON body, parsed as strictly as a rule file.
type jsonRule struct{ rules.Rule }

func (j *jsonRule) UnmarshalJSON(b []byte) error {
	r, err := rules.ParseRule(b)
	if err != nil {
		return err
	}
	j.Rule = r
	return nil
}

func (s *Server) postBacktest(w http.ResponseWriter, r *http.Request) error {
	var body backtestRequest
	if err := s.decodeJSON(w, r, &body); err != nil {
		return err
	}
	req := rulebook.BacktestRequest{Channel: body.Channel, Disable: body.Disable, Examples: body.Examples}
	var err error
	if req.From, err = parseTime("from", body.From); err != nil {
		return err
	}
	if req.To, err = parseTime("to", body.To); err != nil {
		return err
	}
	for _, jr := range body.Rules {
		req.Rules = append(req.Rules, jr.Rule)
	}
	rep, err := s.cfg.Rules.Backtest(r.Context(), req)
	return answer(w, http.StatusOK, rep, err)
}

func (s *Server) getQualification(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := rulebook.QualifyQuery{Channel: channels.Channel(v.Get("channel")), State: v.Get("state")}
	var err error
	if q.Since, err = parseTime("since", v.Get("since")); err != nil {
		return err
	}
	groups, err := s.cfg.Rules.Qualification(r.Context(), q)
	return answer(w, http.StatusOK, map[string]any{"groups": groups}, err)
}

func (s *Server) postKeep(w http.ResponseWriter, r *http.Request) error {
	var req rulebook.KeepRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Outcome == "" || req.Reason == "" {
		return errorf(http.StatusBadRequest, "outcome and reason: required")
	}
	e, err := s.cfg.Rules.Keep(r.Context(), r.PathValue("group"), req, author(r))
	return answer(w, http.StatusCreated, e, err)
}

func (s *Server) postIgnore(w http.ResponseWriter, r *http.Request) error {
	g, err := s.cfg.Rules.Ignore(r.Context(), r.PathValue("group"), author(r))
	return answer(w, http.StatusOK, g, err)
}
