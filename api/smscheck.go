package api

import (
	"net/http"
	"unicode/utf8"
)

// TextCheck is the verdict of the SMS pre-send text check: how the text
// would be encoded (gsm7 or ucs2), its length in septets or UTF-16 units,
// its segments, and the reason it cannot be sent as asked ("" when it can:
// text_too_long, unsupported_character; REASONS.md pre-send reasons).
type TextCheck struct {
	OK          bool     `json:"ok"`
	Encoding    string   `json:"encoding"`
	Units       int      `json:"units"`
	Segments    int      `json:"segments"`
	Reason      string   `json:"reason,omitempty"`
	Unsupported []string `json:"unsupported,omitempty"`
}

// TextChecker runs the SMS text check (cmd wires sms.CheckText, so the HTTP
// package does not depend on a channel adapter).
type TextChecker func(text string, maxSegments int, requireGSM bool) TextCheck

// maxSMSText bounds the text of a check: a concatenated SMS has at most 255
// segments (3GPP TS 23.040 section 9.2.3.24.1), 255 × 153 septets.
const maxSMSText = 255 * 160

// textCheckRequest is the body of POST /v1/sms/check, and the optional text
// part of POST /v1/exclusions for SMS.
type textCheckRequest struct {
	Text        *string `json:"text"`
	MaxSegments *int    `json:"max_segments"`
	RequireGSM  *bool   `json:"require_gsm"`
}

// check runs the checker with the request's settings or the configured
// defaults.
func (s *Server) check(req textCheckRequest) (TextCheck, error) {
	if s.cfg.TextCheck == nil {
		return TextCheck{}, errorf(http.StatusNotImplemented, "the SMS text check is not configured")
	}
	if req.Text == nil {
		return TextCheck{}, errorf(http.StatusBadRequest, "text: required")
	}
	if !utf8.ValidString(*req.Text) || utf8.RuneCountInString(*req.Text) > maxSMSText {
		return TextCheck{}, errorf(http.StatusBadRequest, "text: must be valid UTF-8 of at most %d characters", maxSMSText)
	}
	maxSeg, gsm := s.cfg.SMSMaxSegments, s.cfg.SMSRequireGSM
	if req.MaxSegments != nil {
		if *req.MaxSegments < 0 || *req.MaxSegments > 255 {
			return TextCheck{}, errorf(http.StatusBadRequest, "max_segments: %d is out of 0..255 (0: no limit)", *req.MaxSegments)
		}
		maxSeg = *req.MaxSegments
	}
	if req.RequireGSM != nil {
		gsm = *req.RequireGSM
	}
	c := s.cfg.TextCheck(*req.Text, maxSeg, gsm)
	c.OK = c.Reason == ""
	return c, nil
}

// postSMSCheck answers POST /v1/sms/check: may this text be sent, in how
// many segments, and if not, why.
func (s *Server) postSMSCheck(w http.ResponseWriter, r *http.Request) error {
	var req textCheckRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := s.check(req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
