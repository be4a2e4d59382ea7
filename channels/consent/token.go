package consent

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// Kind says what a token lets its holder do.
type Kind byte

// The token kinds.
const (
	// Unsubscribe tokens opt the recipient out (a POST) or back in (the
	// confirmation page's undo).
	Unsubscribe Kind = 'u'
	// Confirm tokens confirm a double opt-in.
	Confirm Kind = 'c'
)

// Errors of Open. The API answers ErrInvalid with 403 and ErrExpired with
// 410: a forged or altered URL is refused, an old confirmation says so.
var (
	ErrInvalid = errors.New("invalid consent token")
	ErrExpired = errors.New("consent token expired")
)

// Token is what a consent URL carries, signed. Recipient is normalized
// (channels.NormalizeRecipient); Scope defaults to channels.ScopeAll; List
// is set with ScopeList; Campaign and MessageID say which send the URL
// came with (the opt-out counts in that delivery's campaign rates,
// lifecycle "Consent"); Expires is zero for no expiry.
type Token struct {
	Kind      Kind
	Tenant    string
	Channel   channels.Channel
	Recipient string
	Scope     channels.Scope
	List      string
	Campaign  string
	MessageID string
	Expires   time.Time
}

const (
	version = 1
	// macLen is the bytes of HMAC-SHA256 a token keeps: 128 bits.
	macLen = 16
	// maxField bounds each text field of a decoded token, and maxToken a
	// token's text: a URL path, a mail subject.
	maxField = 1024
	maxToken = 4096
)

// macLabel separates consent MACs from every other HMAC made with a key
// derived from the same secret.
const macLabel = "rebond-consent\x00"

// b64 is strict: a token's last character cannot be changed in its unused
// bits, so one token has one text.
var b64 = base64.RawURLEncoding.Strict()

// prefix is the token text's start: kind and version, then a dot.
func (k Kind) prefix() string { return string(rune(k)) + "1." }

// Sign returns the token's text under key. The tenant defaults to
// channels.DefaultTenant and the scope to channels.ScopeAll.
func (t Token) Sign(key []byte) string {
	t = t.defaults()
	p := t.payload()
	return t.Kind.prefix() + b64.EncodeToString(append(p, mac(key, p)...))
}

func (t Token) defaults() Token {
	if t.Tenant == "" {
		t.Tenant = channels.DefaultTenant
	}
	if t.Scope == "" {
		t.Scope = channels.ScopeAll
	}
	return t
}

func (t Token) payload() []byte {
	b := []byte{version, byte(t.Kind)}
	for _, f := range t.fields() {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	var exp uint64
	if !t.Expires.IsZero() {
		exp = uint64(max(t.Expires.Unix(), 1))
	}
	return binary.AppendUvarint(b, exp)
}

func (t Token) fields() []string {
	return []string{t.Tenant, string(t.Channel), t.Recipient, string(t.Scope), t.List, t.Campaign, t.MessageID}
}

func mac(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(macLabel))
	h.Write(payload)
	return h.Sum(nil)[:macLen]
}

// KeyOf returns a tenant's consent key, nil when the tenant has none
// (Keys.Of is one).
type KeyOf func(tenant string) []byte

// Open checks the token text s of kind k: its signature under the key of
// the tenant it names, and its expiry at now. Any malformed, altered or
// unsigned token, one of another kind, or one of a tenant without a key
// is ErrInvalid; a well-signed one past its expiry is ErrExpired.
func Open(s string, k Kind, keyOf KeyOf, now time.Time) (Token, error) {
	t, payload, sum, err := decode(s, k)
	if err != nil {
		return Token{}, err
	}
	key := keyOf(t.Tenant)
	if len(key) == 0 || !hmac.Equal(sum, mac(key, payload)) {
		return Token{}, fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	if !t.Expires.IsZero() && !now.Before(t.Expires) {
		return t, fmt.Errorf("%w at %s", ErrExpired, t.Expires.UTC().Format(time.RFC3339))
	}
	return t, nil
}

// decode reads a token's text without checking its signature.
func decode(s string, k Kind) (Token, []byte, []byte, error) {
	bad := func(why string) (Token, []byte, []byte, error) {
		return Token{}, nil, nil, fmt.Errorf("%w: %s", ErrInvalid, why)
	}
	if len(s) > maxToken {
		return bad("too long")
	}
	rest, ok := strings.CutPrefix(s, k.prefix())
	if !ok {
		return bad("not a " + k.String() + " token")
	}
	raw, err := b64.DecodeString(rest)
	if err != nil || len(raw) < 2+macLen {
		return bad("not base64url")
	}
	payload, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if payload[0] != version || Kind(payload[1]) != k {
		return bad("unknown version or kind")
	}
	r := bytes.NewReader(payload[2:])
	fields := make([]string, 7)
	for i := range fields {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > maxField || n > uint64(r.Len()) {
			return bad("truncated")
		}
		b := make([]byte, n)
		_, _ = r.Read(b)
		fields[i] = string(b)
	}
	exp, err := binary.ReadUvarint(r)
	if err != nil || r.Len() != 0 || exp > 1<<40 {
		return bad("truncated")
	}
	t := Token{Kind: k, Tenant: fields[0], Channel: channels.Channel(fields[1]), Recipient: fields[2],
		Scope: channels.Scope(fields[3]), List: fields[4], Campaign: fields[5], MessageID: fields[6]}
	if exp > 0 {
		t.Expires = time.Unix(int64(exp), 0).UTC()
	}
	if !channels.ValidTenant(t.Tenant) || !t.Channel.Valid() || !t.Scope.Valid() || t.Recipient == "" {
		return bad("bad fields")
	}
	return t, payload, sum, nil
}

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Unsubscribe:
		return "unsubscribe"
	case Confirm:
		return "confirm"
	}
	return fmt.Sprintf("kind %q", rune(k))
}

// Event is the consent event a checked token's holder causes: of type typ
// (channels.OptOut or channels.OptIn), from source (channels.Source*), at
// at, by the client at ip with user agent ua (kept for the audit). It is
// not normalized yet (its id is derived by channels.Event.Normalize).
func (t Token) Event(typ channels.Type, source string, at time.Time, ip, ua string) channels.Event {
	return channels.Event{Tenant: t.Tenant, Channel: t.Channel, Type: typ, MessageID: t.MessageID,
		Recipient: t.Recipient, Campaign: t.Campaign, OccurredAt: at,
		Consent: &channels.Consent{Scope: t.Scope, List: t.List, Source: source, IP: ip, UserAgent: ua}}
}

// Validate checks that t is a token worth signing: the events it makes
// are ones the bus takes (recipient normalized, list, campaign and
// message id as an event carries them), a list goes with scope list only,
// a campaign scope names its campaign, and a confirmation is of
// everything or of a list.
func (t Token) Validate() error {
	t = t.defaults()
	if t.Kind == Confirm && t.Scope == channels.ScopeCampaign {
		return errors.New("scope: a double opt-in is of everything or of a list, not of a campaign")
	}
	if t.Scope != channels.ScopeList && t.List != "" {
		return errors.New("list: only with scope list")
	}
	if !channels.ValidTenant(t.Tenant) {
		return fmt.Errorf("tenant: %q is not a tenant name", t.Tenant)
	}
	e := t.Event(channels.OptOut, channels.SourceAPI, time.Unix(1<<31, 0), "", "")
	if err := e.Normalize(); err != nil {
		return err
	}
	if e.Recipient != t.Recipient {
		return fmt.Errorf("recipient: %q is not normalized (%q)", t.Recipient, e.Recipient)
	}
	return nil
}
