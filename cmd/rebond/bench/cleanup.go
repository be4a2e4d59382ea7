package bench

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// cleaner deletes the bench tenant's data after a run, through the store
// (store.PurgeTenant): all of it, what earlier --keep runs left included.
type cleaner struct {
	st     *store.Store
	tenant string
}

// openCleaner opens the database and checks, before the run makes any
// data, that the tenant may be purged: never the default tenant nor one
// an operator set up (tokens, lists, rules, qualification decisions).
func openCleaner(ctx context.Context, db store.Config, tenant string) (*cleaner, error) {
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("bench deletes its data afterwards through database.url (or pass --keep): %w", err)
	}
	ctx = channels.WithTenant(ctx, tenant)
	if err := st.Purgeable(ctx); err != nil {
		st.Close()
		if errors.Is(err, store.ErrTenantInUse) {
			return nil, fmt.Errorf("%w; bench deletes its tenant's data afterwards: pass another --tenant, or --keep", err)
		}
		return nil, err
	}
	return &cleaner{st: st, tenant: tenant}, nil
}

// purge deletes the tenant's data and says what it deleted on w. It runs
// after an interrupted run too (ctx without its cancellation).
func (cl *cleaner) purge(ctx context.Context, w io.Writer) error {
	ctx = channels.WithTenant(context.WithoutCancel(ctx), cl.tenant)
	p, err := cl.st.PurgeTenant(ctx)
	if err != nil {
		return fmt.Errorf("clean up tenant %s: %w", cl.tenant, err)
	}
	fmt.Fprintf(w, "  cleaned up tenant %s: %d events, %d messages, %d recipients, %d other rows deleted (--keep keeps them)\n",
		cl.tenant, p.Events, p.Messages, p.Recipients, p.Other)
	return nil
}

// Close closes the database.
func (cl *cleaner) Close() error { return cl.st.Close() }
