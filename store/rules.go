package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
)

// States of an operator rule (rule_overrides.state).
const (
	// RuleActive rules classify events.
	RuleActive = "active"
	// RuleDisabled rules turn their id off (rules.Rule.Disabled).
	RuleDisabled = "disabled"
	// RuleShadow rules are evaluated beside the live ones; what they would
	// have decided is recorded, never acted on.
	RuleShadow = "shadow"
)

// ErrRuleExists is returned when an id@version is published already: a
// published rule version is never replaced.
var ErrRuleExists = errors.New("rule version exists")

// RuleOverride is an operator's rule as stored: a rule beside the built-in
// ones, never edited once published.
type RuleOverride struct {
	// Tenant whose events the rule classifies (set by the store: the
	// tenant of the context that added it).
	Tenant    string
	Rule      rules.Rule
	State     string
	Author    string
	CreatedAt time.Time
}

type ruleRow struct {
	Tenant      string    `db:"tenant"`
	ID          string    `db:"id"`
	Version     int       `db:"version"`
	Channel     string    `db:"channel"`
	Priority    int       `db:"priority"`
	Description string    `db:"description"`
	Match       []byte    `db:"match"`
	Verdict     []byte    `db:"verdict"`
	State       string    `db:"state"`
	Author      string    `db:"author"`
	CreatedAt   time.Time `db:"created_at"`
}

// RuleOverrides returns the operator rules of ctx's tenant, by id then
// version.
func (s *Store) RuleOverrides(ctx context.Context) ([]RuleOverride, error) {
	return s.ruleOverrides(ctx, channels.Tenant(ctx))
}

// AllRuleOverrides returns every tenant's operator rules, by tenant, id
// and version: what a worker classifies the events of all tenants with.
func (s *Store) AllRuleOverrides(ctx context.Context) ([]RuleOverride, error) {
	return s.ruleOverrides(ctx, "")
}

func (s *Store) ruleOverrides(ctx context.Context, tenant string) ([]RuleOverride, error) {
	q, err := s.query(qRuleOverrides)
	if err != nil {
		return nil, err
	}
	var rows []ruleRow
	if err := s.db.SelectContext(ctx, &rows, q, tenant); err != nil {
		return nil, fmt.Errorf("rule overrides: %w", err)
	}
	return decodeRules(rows)
}

func decodeRules(rows []ruleRow) ([]RuleOverride, error) {
	out := make([]RuleOverride, 0, len(rows))
	for _, r := range rows {
		o := RuleOverride{Tenant: r.Tenant, State: r.State, Author: r.Author, CreatedAt: r.CreatedAt, Rule: rules.Rule{
			ID: r.ID, Version: r.Version, Channel: channels.Channel(r.Channel), Priority: r.Priority,
			Description: r.Description, Disabled: r.State == RuleDisabled,
		}}
		if err := json.Unmarshal(r.Match, &o.Rule.Match); err != nil {
			return nil, fmt.Errorf("rule %s: decode match: %w", o.Rule.Key(), err)
		}
		if err := json.Unmarshal(r.Verdict, &o.Rule.Verdict); err != nil {
			return nil, fmt.Errorf("rule %s: decode verdict: %w", o.Rule.Key(), err)
		}
		out = append(out, o)
	}
	return out, nil
}

// RulesFingerprint changes whenever an operator rule is added: a reloader
// compares it to skip rebuilding an unchanged rule set.
func (s *Store) RulesFingerprint(ctx context.Context) (string, error) {
	q, err := s.query(qRuleOverridesFingerprint)
	if err != nil {
		return "", err
	}
	var row struct {
		N      int64     `db:"n"`
		Latest time.Time `db:"latest"`
	}
	if err := s.db.GetContext(ctx, &row, q); err != nil {
		return "", fmt.Errorf("rule overrides fingerprint: %w", err)
	}
	return fmt.Sprintf("%d/%d", row.N, row.Latest.UnixNano()), nil
}

// AddRuleOverride publishes an operator rule; ErrRuleExists when its
// id@version is taken in ctx's tenant. The caller validates the rule
// (rules.NewSet).
func (s *Store) AddRuleOverride(ctx context.Context, o RuleOverride) (RuleOverride, error) {
	o.Tenant = channels.Tenant(ctx)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		o.CreatedAt, err = s.insertRule(ctx, tx, o)
		return err
	})
	return o, err
}

// insertRule inserts o in tx and returns its creation time.
func (s *Store) insertRule(ctx context.Context, tx *sqlx.Tx, o RuleOverride) (time.Time, error) {
	switch o.State {
	case RuleActive, RuleDisabled, RuleShadow:
	default:
		return time.Time{}, fmt.Errorf("rule %s: state %q is not one of active, disabled, shadow", o.Rule.Key(), o.State)
	}
	r := o.Rule
	match, err := json.Marshal(r.Match)
	if err != nil {
		return time.Time{}, fmt.Errorf("rule %s: encode match: %w", r.Key(), err)
	}
	verdict, err := json.Marshal(r.Verdict)
	if err != nil {
		return time.Time{}, fmt.Errorf("rule %s: encode verdict: %w", r.Key(), err)
	}
	q, err := s.query(qInsertRuleOverride)
	if err != nil {
		return time.Time{}, err
	}
	var at time.Time
	err = tx.GetContext(ctx, &at, q, r.ID, r.Version, string(r.Channel), r.Priority, r.Description, match, verdict, o.State, o.Author, o.Tenant)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("rule %s: %w", r.Key(), ErrRuleExists)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("insert rule %s: %w", r.Key(), err)
	}
	return at, nil
}

// ShadowVerdict is what the shadow rules decided for one event, beside the
// live verdict it got.
type ShadowVerdict struct {
	Tenant  string
	EventID string // the event's key
	Channel channels.Channel
	Shadow  channels.Verdict
	Live    channels.Verdict
}

// RecordShadowVerdicts keeps shadow verdicts; an event recorded already
// keeps its first record.
func (s *Store) RecordShadowVerdicts(ctx context.Context, vs []ShadowVerdict) error {
	if len(vs) == 0 {
		return nil
	}
	cols := make([][]string, 10)
	for _, v := range vs {
		for i, x := range []string{v.Tenant, v.EventID, string(v.Channel), v.Shadow.Rule, string(v.Shadow.Outcome), string(v.Shadow.Reason),
			v.Shadow.Evidence, v.Live.Rule, string(v.Live.Outcome), string(v.Live.Reason)} {
			cols[i] = append(cols[i], x)
		}
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.exec(ctx, tx, qInsertShadowVerdicts, arrays(cols)...)
	})
}

// ShadowCounts returns, for each of the rule keys ("id@version") given, how
// many events of ctx's tenant it decided otherwise than the live rules did.
func (s *Store) ShadowCounts(ctx context.Context, keys []string) (map[string]int64, error) {
	q, err := s.query(qShadowVerdictCounts)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Rule string `db:"rule"`
		N    int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, pq.Array(keys), channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("shadow counts: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Rule] = r.N
	}
	return out, nil
}
