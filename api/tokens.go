package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// TokenLookup finds the live API token whose secret a request presents;
// cmd wires the *store.Store. It answers store.ErrNotFound for an unknown
// or revoked secret.
type TokenLookup interface {
	LookupToken(ctx context.Context, secret string) (store.Token, error)
}

const (
	// defaultTokenCacheTTL is how long a token lookup is reused: a revoked
	// token keeps working on a server that looked it up for at most this
	// long (Config.TokenCacheTTL).
	defaultTokenCacheTTL = 30 * time.Second
	// maxTokenCache bounds the cache against a flood of distinct secrets.
	maxTokenCache = 10000
	// maxBearer bounds the presented token: ours are 47 bytes, and a long
	// header must not cost a hash or a query.
	maxBearer = 512
)

// principal is who a request authenticated as: its role, and the actor
// that the audit trail records for the changes it makes.
type principal struct {
	role  channels.Role
	actor string
	// tenant is the one tenant a stored token acts for; empty for the
	// configured admin token, which acts for any (?tenant=, default
	// channels.DefaultTenant): it is the installation's operator.
	tenant string
	// named is set for a stored token ("token:<name>"), unset for the
	// configured admin token.
	named bool
}

type principalKey struct{}

// actor is the audit actor of the request: "token:<name>" for a stored
// token, actorAdmin for the configured admin token.
func actor(r *http.Request) string {
	if p, ok := r.Context().Value(principalKey{}).(principal); ok {
		return p.actor
	}
	return actorAdmin
}

// tokenCache remembers token lookups, found or not, for ttl, so a request
// costs no database round trip when its token was seen recently.
type tokenCache struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	p     principal
	found bool
	until time.Time
}

func newTokenCache(ttl time.Duration) *tokenCache {
	if ttl == 0 {
		ttl = defaultTokenCacheTTL
	}
	return &tokenCache{ttl: ttl, entries: make(map[[sha256.Size]byte]cachedToken)}
}

// get returns the principal of secret, from the cache or else from look.
// Lookup errors other than ErrNotFound are returned and not cached.
func (c *tokenCache) get(ctx context.Context, look TokenLookup, secret string, now time.Time) (principal, bool, error) {
	key := sha256.Sum256([]byte(secret))
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.p, e.found, nil
	}
	tok, err := look.LookupToken(ctx, secret)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return principal{}, false, err
	}
	e = cachedToken{found: err == nil, until: now.Add(c.ttl)}
	if e.found {
		e.p = principal{role: tok.Role, actor: "token:" + tok.Name, named: true, tenant: tok.Tenant}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxTokenCache {
		c.evict(now)
	}
	c.entries[key] = e
	return e.p, e.found, nil
}

// evict drops the expired entries, and everything when none had expired
// (a flood of fresh secrets): the cache saves queries, it is not state.
func (c *tokenCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= maxTokenCache {
		clear(c.entries)
	}
}

// identify returns who the request's bearer token is: the configured
// admin token (compared in constant time) or a stored token. ok is false
// when the request has no valid token.
func (s *Server) identify(r *http.Request) (p principal, ok bool, err error) {
	got, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	got = strings.TrimSpace(got)
	if !found || got == "" || len(got) > maxBearer {
		return principal{}, false, nil
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.AdminToken)) == 1 {
		return principal{role: channels.RoleAdmin, actor: actorAdmin}, true, nil
	}
	if s.cfg.Tokens == nil || !strings.HasPrefix(got, store.TokenPrefix) {
		return principal{}, false, nil
	}
	return s.tokens.get(r.Context(), s.cfg.Tokens, got, s.now())
}
