package api

import (
	"context"
	"net/http"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// consentScope is what an exclusion request says of consent: the list
// and the campaign of the send ("" for none).
type consentScope struct {
	List     string `json:"list"`
	Campaign string `json:"campaign"`
}

// consentExclusions completes found, the state answers for normalized
// recipients, with their consents (store.ConsentExclusions): opt-outs of
// the request's list or campaign, the source of every opt-out, and the
// tenant's or list's requirement of confirmed consent.
func (s *Server) consentExclusions(ctx context.Context, ch channels.Channel, sc consentScope, found []store.Exclusion) error {
	for _, f := range []struct{ name, v string }{{"list", sc.List}, {"campaign", sc.Campaign}} {
		if len(f.v) > channels.MaxIDLen || !channels.CleanID(f.v) {
			return errorf(http.StatusBadRequest, "%s: at most %d bytes of valid UTF-8 without control characters", f.name, channels.MaxIDLen)
		}
	}
	if s.cfg.Consents == nil || len(found) == 0 {
		return nil
	}
	c := store.ConsentCheck{Channel: ch, List: sc.List, Campaign: sc.Campaign,
		RequireConfirmed: s.cfg.Consent.Policy.Requires(channels.Tenant(ctx), sc.List)}
	return s.cfg.Consents.ConsentExclusions(ctx, c, found)
}
