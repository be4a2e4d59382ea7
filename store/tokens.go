package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// TokenPrefix starts every token secret, so a leaked one is recognizable
// (by secret scanners too) and a mistyped one is refused without a query.
const TokenPrefix = "rbd_"

// tokenBytes is the secret's entropy: 256 bits, base64url without padding
// (RFC 4648 section 5) is 43 characters.
const (
	tokenBytes     = 32
	tokenSecretLen = len(TokenPrefix) + 43
	maxTokenName   = 64
)

// ErrTokenExists is returned by CreateToken when the name is taken, by a
// live or a revoked token: names are never reused, so an audit actor
// "token:<name>" always means one token.
var ErrTokenExists = errors.New("token name exists")

// Token is an API token as stored: never its secret, only the secret's
// SHA-256 (not returned).
type Token struct {
	ID         int64         `db:"id" json:"id"`
	Name       string        `db:"name" json:"name"`
	Role       channels.Role `db:"role" json:"role"`
	Tenant     string        `db:"tenant" json:"tenant"`
	CreatedAt  time.Time     `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time    `db:"last_used_at" json:"last_used_at,omitempty"`
	RevokedAt  *time.Time    `db:"revoked_at" json:"revoked_at,omitempty"`
}

// validLabel is a token name or tenant: 1 to 64 of [A-Za-z0-9._-], so it
// reads unambiguously in an audit actor ("token:<name>") and a table.
func validLabel(field, v string) error {
	if v == "" || len(v) > maxTokenName || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
		return fmt.Errorf("%s: %q must be 1 to %d letters, digits, '.', '_' or '-'", field, v, maxTokenName)
	}
	return nil
}

// hashSecret is the stored form of a secret.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken stores a new token and returns its secret, "rbd_" and 43
// base64url characters of 32 random bytes. The secret exists only in the
// return value: the database keeps its SHA-256. An empty tenant is
// channels.DefaultTenant; ErrTokenExists when the name is taken.
func (s *Store) CreateToken(ctx context.Context, name string, role channels.Role, tenant string) (string, Token, error) {
	if tenant == "" {
		tenant = channels.DefaultTenant
	}
	if err := validLabel("name", name); err != nil {
		return "", Token{}, err
	}
	if !channels.ValidTenant(tenant) {
		err := fmt.Errorf("tenant: %q must be 1 to 63 of a-z, 0-9, '-', '_', starting with a letter or digit", tenant)
		return "", Token{}, err
	}
	if !slices.Contains(channels.Roles(), role) {
		return "", Token{}, fmt.Errorf("role: %q is not one of %s", role, strings.Join(channels.RoleNames(), ", "))
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, fmt.Errorf("create token %s: random: %w", name, err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	q, err := s.query(qCreateToken)
	if err != nil {
		return "", Token{}, err
	}
	var t Token
	err = s.db.GetContext(ctx, &t, q, name, string(role), tenant, hashSecret(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return "", Token{}, fmt.Errorf("create token %s: %w", name, ErrTokenExists)
	}
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %s: %w", name, err)
	}
	return secret, t.utc(), nil
}

// LookupToken returns the live token whose secret this is and records its
// use; ErrNotFound when there is none, or it is revoked, or the secret is
// not even well formed (then without a query). It is constant-time safe by
// construction: the database compares SHA-256 digests, and the timing of
// an index search on a digest tells an attacker nothing about which
// secret would match.
func (s *Store) LookupToken(ctx context.Context, secret string) (Token, error) {
	if !wellFormedSecret(secret) {
		return Token{}, ErrNotFound
	}
	t, err := s.token(ctx, qLookupToken, hashSecret(secret))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Token{}, fmt.Errorf("look up token: %w", err)
	}
	return t, err
}

// LiveToken returns the live token of this id; ErrNotFound when there is
// none or it is revoked. The dashboard asks it on every request of a
// session signed in with a stored token, so a revocation ends the session
// at once, and the token's role and tenant are read, never remembered.
func (s *Store) LiveToken(ctx context.Context, id int64) (Token, error) {
	t, err := s.token(ctx, qLiveToken, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Token{}, fmt.Errorf("live token %d: %w", id, err)
	}
	return t, err
}

// token runs a statement that returns at most one token row:
// ErrNotFound when it returns none.
func (s *Store) token(ctx context.Context, name queryName, arg any) (Token, error) {
	q, err := s.query(name)
	if err != nil {
		return Token{}, err
	}
	var t Token
	err = s.db.GetContext(ctx, &t, q, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, err
	}
	return t.utc(), nil
}

// wellFormedSecret says whether secret has the shape CreateToken gives.
func wellFormedSecret(secret string) bool {
	body, ok := strings.CutPrefix(secret, TokenPrefix)
	if !ok || len(secret) != tokenSecretLen {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	return err == nil && len(raw) == tokenBytes
}

// ListTokens lists every token, revoked ones included, by name.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	q, err := s.query(qListTokens)
	if err != nil {
		return nil, err
	}
	var ts []Token
	if err := s.db.SelectContext(ctx, &ts, q); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	for i := range ts {
		ts[i] = ts[i].utc()
	}
	return ts, nil
}

// RevokeToken revokes the named token and returns it; revoking
// twice keeps the first time. ErrNotFound when no token has the name. An
// API server that cached the token accepts it until its cache entry
// expires (api.Config.TokenCacheTTL).
func (s *Store) RevokeToken(ctx context.Context, name string) (Token, error) {
	t, err := s.token(ctx, qRevokeToken, name)
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %s: %w", name, err)
	}
	return t, nil
}

// utc puts the times in UTC, as the rest of the store returns them.
func (t Token) utc() Token {
	t.CreatedAt = t.CreatedAt.UTC()
	for _, p := range []**time.Time{&t.LastUsedAt, &t.RevokedAt} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	return t
}
