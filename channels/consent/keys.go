package consent

import (
	"crypto/hmac"
	"crypto/sha256"
)

// Keys are the tenants' consent keys by tenant name; the default tenant's
// under channels.DefaultTenant.
type Keys map[string][]byte

// Of returns tenant's key, nil when it has none.
func (k Keys) Of(tenant string) []byte { return k[tenant] }

// deriveLabel separates a derived consent key from every other use of the
// email key it comes from.
const deriveLabel = "rebond consent key v1"

// DeriveKey returns the consent key of a tenant that has an email key
// (email.verp_secret, email.tenant_secrets) and no consent key of its own:
// HMAC-SHA256(emailKey, "rebond consent key v1"). Knowing it tells nothing
// of the email key, so a sender given its consent key to sign URLs itself
// cannot forge VERP tokens or signed headers with it.
func DeriveKey(emailKey []byte) []byte {
	h := hmac.New(sha256.New, emailKey)
	h.Write([]byte(deriveLabel))
	return h.Sum(nil)
}
