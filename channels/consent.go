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

// The reasons of consent. OptedOut is both the verdict reason of an
// opt-out event and the exclusion reason of a recipient who opted out (a
// gateway's refusal because the number opted out has it too, REASONS.md);
// OptedIn the verdict reason of an opt-in; Inbound that of an inbound
// message; Confirmed the audit reason of a confirmed double opt-in; and
// NotConfirmed the exclusion reason of a recipient without the confirmed
// consent a tenant or list requires.
const (
	ReasonOptedOut     Reason = "opted_out"
	ReasonOptedIn      Reason = "opted_in"
	ReasonInbound      Reason = "inbound"
	ReasonConfirmed    Reason = "confirmed"
	ReasonNotConfirmed Reason = "not_confirmed"
)

// ConsentName is what a consent's scope names: the list of ScopeList, the
// campaign of ScopeCampaign (the event's), nothing for ScopeAll. With the
// scope it keys a recipient's consents.
func (e Event) ConsentName() string {
	if e.Consent == nil {
		return ""
	}
	switch e.Consent.Scope {
	case ScopeList:
		return e.Consent.List
	case ScopeCampaign:
		return e.Campaign
	}
	return ""
}

// ConsentVerdict is the verdict of a consent event, which no rule
// decides: a consent is no delivery outcome, so the outcome is ignored
// (it moves no message status and no rate of soft, hard or complaints);
// the reason is opted_out, opted_in or inbound; the rule
// "consent.<type>@1"; the evidence its scope, name and source. Every
// classifier gives it (channels/rules), so a replay or a backtest never
// reads a consent as a failure.
func ConsentVerdict(e Event) Verdict {
	v := Verdict{Outcome: OutcomeIgnored, Rule: "consent." + string(e.Type) + "@1"}
	switch e.Type {
	case OptOut:
		v.Reason = ReasonOptedOut
	case OptIn:
		v.Reason = ReasonOptedIn
	default:
		v.Reason = ReasonInbound
	}
	if c := e.Consent; c != nil {
		v.Evidence = "scope=" + string(c.Scope)
		if n := e.ConsentName(); n != "" {
			v.Evidence += " name=" + n
		}
		if c.Source != "" {
			v.Evidence += " source=" + c.Source
		}
		if c.Keyword != "" {
			v.Evidence += " keyword=" + c.Keyword
		}
	}
	return v
}
