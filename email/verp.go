package email

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strings"
)

// VERP builds and reads variable envelope return paths: a sender that
// uses VERP.Address as the MAIL FROM of each message gets every bounce
// delivered to an address that names the message and the recipient, so a
// bounce that returns nothing of the original (no headers, no DSN) is still
// correlated. The token is
//
//	base32(HMAC-SHA256(Secret, payload)[:8] || payload)
//
// with payload = uvarint(len(messageID)) || messageID || recipient, in
// lower-case base32 without padding: local parts are case-insensitive in
// practice (RFC 5321 section 2.4 allows servers to fold them), and base32
// survives folding where base64 would not. The 64-bit tag makes a forged
// token improbable and needs no lookup to verify. Long message ids and
// recipients make local parts longer than RFC 5321's 64 octets; the MTAs
// that matter accept them, but keep message ids short.
type VERP struct {
	// Secret keys the HMAC; an empty secret disables VERP (Address
	// returns "" and Decode fails).
	Secret []byte
	// Domain is the return-path domain whose MX is rebond's bounce
	// listener.
	Domain string
	// Local is the local-part prefix before "+", "bounces" when empty.
	Local string
}

// verpTagLen is the truncated HMAC length.
const verpTagLen = 8

var verpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (v VERP) local() string {
	if v.Local == "" {
		return "bounces"
	}
	return strings.ToLower(v.Local)
}

// Address returns the return path for one message to one recipient:
// <local>+<token>@<domain>. It returns "" when Secret or Domain is empty.
func (v VERP) Address(messageID, recipient string) string {
	if len(v.Secret) == 0 || v.Domain == "" {
		return ""
	}
	payload := binary.AppendUvarint(nil, uint64(len(messageID)))
	payload = append(payload, messageID...)
	payload = append(payload, strings.ToLower(recipient)...)
	buf := append(v.tag(payload), payload...)
	return v.local() + "+" + strings.ToLower(verpEncoding.EncodeToString(buf)) + "@" + strings.ToLower(v.Domain)
}

// tag is the truncated HMAC of payload.
func (v VERP) tag(payload []byte) []byte {
	mac := hmac.New(sha256.New, v.Secret)
	mac.Write(payload)
	return mac.Sum(nil)[:verpTagLen]
}

// Decode reads an address built by Address (angle brackets and case do
// not matter) and returns its message id and recipient. ok is false for
// any other address, a token that does not decode, or a tag that does not
// verify with Secret.
func (v VERP) Decode(address string) (messageID, recipient string, ok bool) {
	if len(v.Secret) == 0 {
		return "", "", false
	}
	a := strings.ToLower(strings.Trim(strings.TrimSpace(address), "<>"))
	at := strings.LastIndexByte(a, '@')
	if at < 0 || v.Domain != "" && a[at+1:] != strings.ToLower(v.Domain) {
		return "", "", false
	}
	token, found := strings.CutPrefix(a[:at], v.local()+"+")
	if !found || len(token) > 1024 {
		return "", "", false
	}
	buf, err := verpEncoding.DecodeString(strings.ToUpper(token))
	if err != nil || len(buf) <= verpTagLen {
		return "", "", false
	}
	tag, payload := buf[:verpTagLen], buf[verpTagLen:]
	if !hmac.Equal(tag, v.tag(payload)) {
		return "", "", false
	}
	n, k := binary.Uvarint(payload)
	if k <= 0 || n > uint64(len(payload)-k) {
		return "", "", false
	}
	return string(payload[k : k+int(n)]), string(payload[k+int(n):]), true
}
