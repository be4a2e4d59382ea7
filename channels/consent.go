package channels

import "fmt"

// Consent events say what a recipient wants, not what a network did: an
// opt-out (RFC 8058 one-click unsubscribe, an RFC 2369 mailto: unsubscribe,
// an SMS STOP reply), an opt-in (SMS START, an undo, a confirmed double
// opt-in), or an inbound message that is neither. They answer the second half
// of the pre-send question ("does its owner still want it?"); they are never
// part of a delivery's counts.
const (
	// OptOut: the recipient asked to receive nothing more in Consent.Scope.
	OptOut Type = "opt_out"
	// OptIn: the recipient asked to receive again (START, an undo), or
	// confirmed a double opt-in (Consent.Source "confirm").
	OptIn Type = "opt_in"
	// Inbound: a message from the recipient (an SMS MO) that is neither an
	// opt-out nor an opt-in keyword; kept as a fact, acted on by nothing.
	Inbound Type = "inbound"
)

// IsConsent reports whether t is one of the consent types: OptOut, OptIn,
// Inbound.
func (t Type) IsConsent() bool { return t == OptOut || t == OptIn || t == Inbound }

// Scope is what an opt-out or opt-in covers.
type Scope string

// The consent scopes. An opt-out of ScopeAll excludes the recipient from
// every message of the tenant on the channel; ScopeList from messages of one
// list (Consent.List); ScopeCampaign from one campaign (Event.Campaign).
const (
	ScopeAll      Scope = "all"
	ScopeList     Scope = "list"
	ScopeCampaign Scope = "campaign"
)

// Valid reports whether s is a scope rebond knows.
func (s Scope) Valid() bool { return s == ScopeAll || s == ScopeList || s == ScopeCampaign }

// Consent sources: how the recipient said it. They are recorded in the
// audit and shown by an exclusion ("why?").
const (
	SourceOneClick     = "one-click"     // RFC 8058 POST to a signed unsubscribe URL
	SourceUnsubscribe  = "unsubscribe"   // the confirmation page (GET) and its undo
	SourceMailto       = "mailto"        // RFC 2369 mailto: unsubscribe at the SMTP listener
	SourceSMSKeyword   = "sms-keyword"   // an MO SMS carrying STOP, START...
	SourceGatewayError = "gateway-error" // a gateway refused because the number opted out
	SourceConfirm      = "confirm"       // a double opt-in confirmation link
	SourceAPI          = "api"           // the sender said so over the API
)

// Consent is what a consent event carries beside the common fields. Scope
// defaults to ScopeAll. Keyword is the keyword an MO matched (upper-cased,
// accents kept as received); Text the MO's text (also in Event.Raw when the
// event was made from a receipt or webhook body). IP and UserAgent are the
// confirming or unsubscribing client's, for the audit.
type Consent struct {
	Scope     Scope  `json:"scope,omitempty"`
	List      string `json:"list,omitempty"`
	Source    string `json:"source,omitempty"`
	Keyword   string `json:"keyword,omitempty"`
	Text      string `json:"text,omitempty"`
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// normalizeConsent checks the consent fields of a consent event, and that
// other events carry none.
func (e *Event) normalizeConsent() error {
	if !e.Type.IsConsent() {
		if e.Consent != nil {
			return &FieldError{"consent", fmt.Sprintf("only on %s, %s and %s events", OptOut, OptIn, Inbound)}
		}
		return nil
	}
	if e.Consent == nil {
		e.Consent = &Consent{}
	}
	c := e.Consent
	if c.Scope == "" {
		c.Scope = ScopeAll
	}
	if !c.Scope.Valid() {
		return &FieldError{"consent.scope", fmt.Sprintf("%q is not one of all, list, campaign", c.Scope)}
	}
	if c.Scope == ScopeList && c.List == "" {
		return &FieldError{"consent.list", "required with scope list"}
	}
	if c.Scope == ScopeCampaign && e.Campaign == "" {
		return &FieldError{"campaign", "required with consent scope campaign"}
	}
	for _, f := range [...]struct{ name, v string }{{"consent.list", c.List}, {"consent.source", c.Source}, {"consent.keyword", c.Keyword}, {"consent.ip", c.IP}, {"consent.user_agent", c.UserAgent}} {
		if len(f.v) > MaxIDLen {
			return &FieldError{f.name, fmt.Sprintf("longer than %d bytes", MaxIDLen)}
		}
		if !CleanID(f.v) {
			return &FieldError{f.name, "must be valid UTF-8 without control characters"}
		}
	}
	if len(c.Text) > 4096 {
		return &FieldError{"consent.text", "longer than 4096 bytes"}
	}
	if e.Recipient == "" {
		return &FieldError{"recipient", "required on consent events"}
	}
	return nil
}
