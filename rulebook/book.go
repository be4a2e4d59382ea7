package rulebook

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/store"
)

// Errors callers branch on; the API answers them 400, 404 and 409.
var (
	// ErrInvalid: the request or the rule it gives is not valid.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: no rule or group has that id.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the id@version is published already, or older than the
	// latest version, or the group is decided already.
	ErrConflict = errors.New("conflict")
	// ErrBusy: a backtest of the same tenant is running (the API answers
	// 409).
	ErrBusy = errors.New("a backtest of this tenant is running")
)

// Store is what the Book needs from the database; *store.Store is the real
// one.
type Store interface {
	RuleOverrides(ctx context.Context) ([]store.RuleOverride, error)
	AllRuleOverrides(ctx context.Context) ([]store.RuleOverride, error)
	RulesFingerprint(ctx context.Context) (string, error)
	AddRuleOverride(ctx context.Context, o store.RuleOverride) (store.RuleOverride, error)
	ShadowCounts(ctx context.Context, keys []string) (map[string]int64, error)
	RecordShadowVerdicts(ctx context.Context, vs []store.ShadowVerdict) error
	ReplayEvents(ctx context.Context, q store.ReplayQuery) (store.Replay, error)
	FallbackEvents(ctx context.Context, ch channels.Channel, since time.Time, limit int) ([]store.FallbackEvent, error)
	QualificationDecisions(ctx context.Context, ch channels.Channel) ([]store.QualificationDecision, error)
	DecideQualification(ctx context.Context, d store.QualificationDecision, rule *store.RuleOverride) (store.QualificationDecision, error)
}

// Config tunes a Book. The zero value works, with no sample parsers.
type Config struct {
	// Policy is the lifecycle policy backtests replay with.
	Policy lifecycle.Policy
	// Parsers read the samples Explain takes; a nil one refuses that kind.
	Parsers Parsers
	// QualifyWindow is how far back the qualification queue looks (default
	// 30 days); QualifyScan bounds the events it reads (default 50000).
	QualifyWindow time.Duration
	QualifyScan   int
	// BacktestMax bounds the events of a backtest window (default 100000).
	BacktestMax int
	// BacktestMaxRange bounds a backtest's window, to - from (default 31
	// days): the query reads every partition the window touches.
	BacktestMaxRange time.Duration
	// BacktestTimeout is the statement timeout of a backtest's reads
	// (default 30s): past it PostgreSQL cancels them.
	BacktestTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.QualifyWindow <= 0 {
		c.QualifyWindow = 30 * 24 * time.Hour
	}
	if c.QualifyScan <= 0 {
		c.QualifyScan = 50000
	}
	if c.BacktestMax <= 0 {
		c.BacktestMax = 100000
	}
	if c.BacktestMaxRange <= 0 {
		c.BacktestMaxRange = 31 * 24 * time.Hour
	}
	if c.BacktestTimeout <= 0 {
		c.BacktestTimeout = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Book is the rule book: built-in rules and operator rules together. It
// keeps no state of its own beyond its configuration and the tenants whose
// backtest runs; safe for concurrent use.
type Book struct {
	st      Store
	builtin []rules.Rule
	cfg     Config
	// running holds the tenants with a backtest running (one each).
	running sync.Map
}

// New returns a Book over the built-in rules builtin (rules.Load of
// configs.Files) and the operator rules of st.
func New(st Store, builtin *rules.Set, cfg Config) *Book {
	return &Book{st: st, builtin: builtin.All(), cfg: cfg.withDefaults()}
}

// Entry is one rule version as operators see it.
type Entry struct {
	Rule rules.Rule `json:"rule"`
	// Key is "id@version", what verdicts record.
	Key string `json:"key"`
	// Source is "builtin" (configs/rules) or "operator" (the database).
	Source string `json:"source"`
	// State is active (classifies events), disabled (turns its id off),
	// shadow (evaluated beside, never acted on) or superseded (a newer
	// version of the id decides).
	State     string     `json:"state"`
	Author    string     `json:"author,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// Versions is, in a listing, how many versions the id has.
	Versions int `json:"versions,omitempty"`
	// ShadowDiffers is, for a shadow rule, how many events it would have
	// decided otherwise than the live rules did.
	ShadowDiffers *int64 `json:"shadow_differs,omitempty"`
}

// Sources and states of an Entry beyond the store's rule states.
const (
	SourceBuiltin   = "builtin"
	SourceOperator  = "operator"
	StateSuperseded = "superseded"
)

// List returns, for every rule id of channel ch (both channels when
// empty), built-in and operator, by id: the version in force (active or
// disabled) and any shadow version above it.
func (b *Book) List(ctx context.Context, ch channels.Channel) ([]Entry, error) {
	if ch != "" && !ch.Valid() {
		return nil, fmt.Errorf("%w: channel %q is not one of email, sms", ErrInvalid, ch)
	}
	overrides, err := b.st.RuleOverrides(ctx)
	if err != nil {
		return nil, err
	}
	versions := make(map[string]int)
	var out []Entry
	for _, e := range b.catalog(overrides).entries {
		versions[e.Rule.ID]++
		if (ch == "" || e.Rule.Channel == ch) && e.State != StateSuperseded {
			out = append(out, e)
		}
	}
	for i := range out {
		out[i].Versions = versions[out[i].Rule.ID]
	}
	return out, nil
}

// Show returns every version of rule id, newest first, with how many
// events each shadow version would have decided otherwise.
func (b *Book) Show(ctx context.Context, id string) ([]Entry, error) {
	overrides, err := b.st.RuleOverrides(ctx)
	if err != nil {
		return nil, err
	}
	var out []Entry
	var shadows []string
	for _, e := range b.catalog(overrides).entries {
		if e.Rule.ID == id {
			out = append(out, e)
			if e.State == store.RuleShadow {
				shadows = append(shadows, e.Key)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no rule %q", ErrNotFound, id)
	}
	if len(shadows) > 0 {
		counts, err := b.st.ShadowCounts(ctx, shadows)
		if err != nil {
			return nil, err
		}
		for i := range out {
			if n, ok := counts[out[i].Key]; ok || out[i].State == store.RuleShadow {
				out[i].ShadowDiffers = &n
			}
		}
	}
	return out, nil
}

// Create publishes r as an operator rule in state (active when empty, or
// shadow; disabled when r.Disabled): a new id, or a new version of an
// existing one. A zero r.Version means the next version of the id (1 for a
// new id); a version at or below the id's latest is a conflict. The rule
// is validated as rules.NewSet validates built-in rules.
func (b *Book) Create(ctx context.Context, r rules.Rule, state, author string) (Entry, error) {
	overrides, err := b.st.RuleOverrides(ctx)
	if err != nil {
		return Entry{}, err
	}
	return b.publish(ctx, b.catalog(overrides), r, state, author)
}

// Update publishes a new version of the existing rule id (see Create);
// r.ID may be empty, and must be id otherwise.
func (b *Book) Update(ctx context.Context, id string, r rules.Rule, state, author string) (Entry, error) {
	if r.ID == "" {
		r.ID = id
	}
	if r.ID != id {
		return Entry{}, fmt.Errorf("%w: the rule's id %q is not the id of the path, %q", ErrInvalid, r.ID, id)
	}
	overrides, err := b.st.RuleOverrides(ctx)
	if err != nil {
		return Entry{}, err
	}
	c := b.catalog(overrides)
	if c.latest[id] == 0 {
		return Entry{}, fmt.Errorf("%w: no rule %q", ErrNotFound, id)
	}
	return b.publish(ctx, c, r, state, author)
}

// Disable publishes a new version of rule id that is disabled: the id
// stops classifying. The older versions stay to explain their verdicts.
func (b *Book) Disable(ctx context.Context, id, author string) (Entry, error) {
	overrides, err := b.st.RuleOverrides(ctx)
	if err != nil {
		return Entry{}, err
	}
	c := b.catalog(overrides)
	cur, ok := c.current(id)
	if !ok {
		return Entry{}, fmt.Errorf("%w: no rule %q", ErrNotFound, id)
	}
	if cur.State == store.RuleDisabled {
		return Entry{}, fmt.Errorf("%w: rule %q is disabled already (%s)", ErrConflict, id, cur.Key)
	}
	r := cur.Rule
	r.Version, r.Disabled = 0, true
	return b.publish(ctx, c, r, store.RuleDisabled, author)
}

// publish checks r against the catalog, validates it and stores it.
func (b *Book) publish(ctx context.Context, c catalog, r rules.Rule, state, author string) (Entry, error) {
	state, err := ruleState(r, state)
	if err != nil {
		return Entry{}, err
	}
	if r, err = c.nextVersion(r); err != nil {
		return Entry{}, err
	}
	if len(r.Yields) > 0 && !r.Disabled {
		// The store keeps no yields for an operator rule yet: refused
		// rather than published without them and deciding otherwise.
		return Entry{}, fmt.Errorf("%w: rule %s: yields is not kept for operator rules; publish it without", ErrInvalid, r.Key())
	}
	if _, err := rules.NewSet([]rules.Rule{r}); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	o, err := b.st.AddRuleOverride(ctx, store.RuleOverride{Rule: r, State: state, Author: author})
	if errors.Is(err, store.ErrRuleExists) {
		return Entry{}, fmt.Errorf("%w: %s is published already", ErrConflict, r.Key())
	}
	if err != nil {
		return Entry{}, err
	}
	return Entry{Rule: o.Rule, Key: r.Key(), Source: SourceOperator, State: o.State, Author: o.Author, CreatedAt: &o.CreatedAt}, nil
}
