package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// TestBenchTenantAndCleanup runs `rebond bench` against a serve: it finds
// the admin token in data_dir/admin-token, posts into the tenant "bench"
// (the default tenant's rates stay empty) with the documented mix exact
// at 300 messages, keeps the data with --keep and deletes all of the
// tenant's data otherwise, and refuses to clean up the default tenant.
// Not parallel: it sets the environment the command reads.
func TestBenchTenantAndCleanup(t *testing.T) {
	cfg := testConfig(t, 14, nil)
	in := start(t, cfg)
	if err := os.WriteFile(filepath.Join(cfg.DataDir, "admin-token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REBOND_CONFIG", "")
	t.Setenv("REBOND_ADMIN_TOKEN", "")
	t.Setenv("REBOND_DATABASE_URL", cfg.Database.URL)
	t.Setenv("REBOND_DATA_DIR", cfg.DataDir)
	bench := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		root := newRootCmd(&out, &errb)
		root.SetArgs(append([]string{"bench", "--url", in.base, "--messages", "300", "--batch", "100", "--timeout", "60s"}, args...))
		err := root.ExecuteContext(context.Background())
		return out.String(), errb.String(), err
	}
	ctx := context.Background()
	byChannel := func(tenant string) map[channels.Channel]store.RateRow {
		t.Helper()
		rows, err := in.store.Rates(channels.WithTenant(ctx, tenant), store.RatesQuery{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[channels.Channel]store.RateRow{}
		for _, r := range rows {
			r.Campaign, r.Bucket = "", nil
			out[r.Channel] = r
		}
		return out
	}

	out, errOut, err := bench("--keep")
	if err != nil {
		t.Fatalf("bench --keep: %v\n%s%s", err, out, errOut)
	}
	if want := "admin token from " + filepath.Join(cfg.DataDir, "admin-token"); !strings.Contains(errOut, want) || !strings.Contains(errOut, "tenant bench") {
		t.Errorf("stderr %q: want the tenant and %q", errOut, want)
	}
	// 240 emails: 192 delivered, 24 soft, 12 hard, 12 nothing; 60 SMS:
	// 51 delivered, 5 soft, 2 hard, 2 nothing (largest remainders).
	rates := byChannel("bench")
	if e, s := rates[channels.Email], rates[channels.SMS]; e.Sent != 240 || e.Delivered != 192 || e.Soft != 24 || e.Hard != 12 ||
		s.Sent != 60 || s.Delivered != 51 || s.Soft != 5 || s.Hard != 2 {
		t.Errorf("bench tenant's rates %+v, want the exact mix", rates)
	}
	if rows := byChannel(channels.DefaultTenant); len(rows) != 0 {
		t.Errorf("the default tenant's rates %+v, want none", rows)
	}

	out, errOut, err = bench()
	if err != nil {
		t.Fatalf("bench: %v\n%s%s", err, out, errOut)
	}
	// both runs' data: 2 × (300 sends + 286 outcomes)
	if !strings.Contains(out, "cleaned up tenant bench: 1172 events, 600 messages") {
		t.Errorf("stdout %q: want the cleanup of both runs' data", out)
	}
	if rows := byChannel("bench"); len(rows) != 0 {
		t.Errorf("after the cleanup, the bench tenant's rates %+v, want none", rows)
	}
	if applied, pending, err := in.store.CountEvents(ctx); err != nil || applied != 0 || pending != 0 {
		t.Errorf("after the cleanup: %d applied, %d pending events (%v), want none", applied, pending, err)
	}

	if out, errOut, err := bench("--tenant", "default"); err == nil || !strings.Contains(err.Error(), "default tenant is never purged") {
		t.Errorf("bench --tenant default: %v, want a refusal\n%s%s", err, out, errOut)
	}
	if applied, _, _ := in.store.CountEvents(ctx); applied != 0 {
		t.Errorf("the refused run stored %d events", applied)
	}
}
