package email

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/rebond/rebond/channels"
)

// HeaderSignature is rebond's signed message header: a sender adds it to
// each message, beside X-Rebond-Message-ID (and X-Rebond-Campaign), and a
// bounce or complaint that returns the message's headers proves with it
// which message to which recipient it reports on.
const HeaderSignature = "X-Rebond-Signature"

// signatureVersion prefixes the header's value, so the scheme can change
// without ambiguity.
const signatureVersion = "v1="

// Signature computes and checks X-Rebond-Signature values:
//
//	v1=<hex(HMAC-SHA256(Secret, "v1\n" + message_id + "\n" + recipient + "\n" + campaign))>
//
// where message_id is the X-Rebond-Message-ID value, recipient the address
// the message was sent to as rebond normalizes it (lower case; see
// channels.NormalizeRecipient) and campaign the X-Rebond-Campaign value
// ("" when the message has none). Newlines cannot occur in any of the
// three (header values are unfolded, ids are clean text), so the input is
// unambiguous. The secret is the tenant's (email.verp_secret, or
// email.tenant_secrets.<tenant>): the same key as its VERP tokens.
type Signature struct {
	// Secret keys the HMAC; an empty secret signs nothing and verifies
	// nothing.
	Secret []byte
}

// Sign returns the header value for one message to one recipient, "" when
// Secret is empty.
func (s Signature) Sign(messageID, recipient, campaign string) string {
	if len(s.Secret) == 0 {
		return ""
	}
	return signatureVersion + hex.EncodeToString(s.mac(messageID, recipient, campaign))
}

// Verify reports whether value is the signature of the message to the
// recipient (compared in constant time).
func (s Signature) Verify(value, messageID, recipient, campaign string) bool {
	if len(s.Secret) == 0 || messageID == "" || recipient == "" {
		return false
	}
	got, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(value), signatureVersion))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(value), signatureVersion) {
		return false
	}
	return hmac.Equal(got, s.mac(messageID, recipient, campaign))
}

func (s Signature) mac(messageID, recipient, campaign string) []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("v1\n" + messageID + "\n" + canonicalRecipient(recipient) + "\n" + campaign))
	return m.Sum(nil)
}

// canonicalRecipient is the recipient as events carry it: quoted where
// RFC 5322 requires it, lower-cased and normalized like any recipient;
// an address that does not normalize is only lower-cased.
func canonicalRecipient(addr string) string {
	if n, err := channels.NormalizeRecipient(channels.Email, quoteLocal(addr)); err == nil {
		return n
	}
	return strings.ToLower(strings.TrimSpace(addr))
}
