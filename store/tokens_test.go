package store_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	secret, tok, err := s.CreateToken(ctx, "shop-ingest", channels.RoleIngest, "")
	if err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(secret, "rbd_")
	raw, decErr := base64.RawURLEncoding.DecodeString(body)
	if !ok || len(body) != 43 || decErr != nil || len(raw) != 32 {
		t.Errorf("secret %q: want rbd_ and 43 base64url characters of 32 bytes", secret)
	}
	if tok.Name != "shop-ingest" || tok.Role != channels.RoleIngest || tok.Tenant != channels.DefaultTenant || tok.CreatedAt.IsZero() || tok.LastUsedAt != nil || tok.RevokedAt != nil {
		t.Errorf("created %+v", tok)
	}

	got, err := s.LookupToken(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Role != channels.RoleIngest || got.LastUsedAt == nil {
		t.Fatalf("lookup: %+v, %v (want the token, its use recorded)", got, err)
	}
	for _, bad := range []string{"", secret + "x", secret[:len(secret)-1] + "!", "rbd_" + strings.Repeat("A", 43), strings.ToUpper(secret), strings.Repeat("x", 1<<16)} {
		if _, err := s.LookupToken(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("lookup %.20q: %v, want ErrNotFound", bad, err)
		}
	}

	if live, err := s.LiveToken(ctx, tok.ID); err != nil || live.Name != "shop-ingest" || live.Role != channels.RoleIngest || live.Tenant != channels.DefaultTenant {
		t.Errorf("live token by id: %+v, %v", live, err)
	}
	if _, err := s.LiveToken(ctx, tok.ID+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("live token of an unknown id: %v, want ErrNotFound", err)
	}

	if _, _, err := s.CreateToken(ctx, "shop-ingest", channels.RoleRead, "acme"); !errors.Is(err, store.ErrTokenExists) {
		t.Errorf("second token with the name: %v, want ErrTokenExists", err)
	}
	revoked, err := s.RevokeToken(ctx, "shop-ingest")
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	if again, err := s.RevokeToken(ctx, "shop-ingest"); err != nil || !again.RevokedAt.Equal(*revoked.RevokedAt) {
		t.Errorf("revoking twice must keep the first time: %+v, %v", again, err)
	}
	if _, err := s.LookupToken(ctx, secret); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked token looked up: %v", err)
	}
	if _, err := s.LiveToken(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked token live by id: %v, want ErrNotFound", err)
	}
	if _, _, err := s.CreateToken(ctx, "shop-ingest", channels.RoleRead, ""); !errors.Is(err, store.ErrTokenExists) {
		t.Errorf("a revoked token's name must stay taken: %v", err)
	}
	if _, err := s.RevokeToken(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
}

func TestListTokensNeverShowsSecrets(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	secrets := map[channels.Role]string{}
	for _, r := range channels.Roles() {
		secret, _, err := s.CreateToken(ctx, "t-"+string(r), r, "acme")
		if err != nil {
			t.Fatal(err)
		}
		secrets[r] = secret
	}
	if _, err := s.RevokeToken(ctx, "t-read"); err != nil {
		t.Fatal(err)
	}
	ts, err := s.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tok := range ts {
		names = append(names, tok.Name+"/"+string(tok.Role)+"/"+tok.Tenant+"/"+map[bool]string{true: "revoked", false: "live"}[tok.RevokedAt != nil])
	}
	want := "t-admin/admin/acme/live t-ingest/ingest/acme/live t-operate/operate/acme/live t-read/read/acme/revoked"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("list = %s\nwant   %s", got, want)
	}
	// Each token gets its own secret.
	if len(secrets) != 4 || secrets["admin"] == secrets["ingest"] {
		t.Errorf("secrets not unique: %v", secrets)
	}
}

func TestCreateTokenValidates(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, tokName string
		role          channels.Role
		tenant, want  string
	}{
		{"no name", "", channels.RoleRead, "", "name:"},
		{"name with a space", "a b", channels.RoleRead, "", "name:"},
		{"name with a colon", "token:x", channels.RoleRead, "", "name:"},
		{"long name", strings.Repeat("n", 65), channels.RoleRead, "", "name:"},
		{"unknown role", "x", "root", "", "role:"},
		{"no role", "x", "", "", "role:"},
		{"bad tenant", "x", channels.RoleRead, "a/b", "tenant:"},
	} {
		if _, _, err := s.CreateToken(ctx, tc.tokName, tc.role, tc.tenant); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", tc.name, err, tc.want)
		}
	}
	if ts, err := s.ListTokens(ctx); err != nil || len(ts) != 0 {
		t.Errorf("refused tokens stored: %v %v", ts, err)
	}
}
