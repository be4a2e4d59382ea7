package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/channels/rules/builtin"
	"github.com/rebond/rebond/email"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/sms/dlr"
	"github.com/rebond/rebond/store"
)

// ruleBook builds the rule book over the embedded built-in rules and the
// operator rules of st, with the channel adapters' parsers for samples.
func ruleBook(cfg Config, st *store.Store) (*rulebook.Book, *rules.Set, error) {
	shipped, err := builtin.Load("rules/*.yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("load rules: %w", err)
	}
	return rulebook.New(st, shipped, rulebook.Config{Policy: cfg.Policy, Parsers: sampleParsers,
		BacktestMax: cfg.Backtest.MaxEvents, BacktestMaxRange: cfg.Backtest.MaxRange, BacktestTimeout: cfg.Backtest.Timeout}), shipped, nil
}

// sampleParsers read the samples of `rules explain` and POST
// /v1/rules/explain with packages email and sms/dlr (every receipt
// format, SMPP and HTTP).
var sampleParsers = rulebook.Parsers{
	Mail: func(raw []byte) ([]channels.Event, error) {
		rep, err := email.Parse(raw)
		if err != nil {
			return nil, err
		}
		return rep.Events(email.EventOptions{}), nil
	},
	Reply:   email.ParseReply,
	Receipt: dlr.ParseReceipt,
}

// workerRules returns the worker's classifier, loaded with the current
// rules (built-ins and operator rules), and the part that keeps it current.
func workerRules(ctx context.Context, cfg Config, st *store.Store, log *slog.Logger) (*rulebook.Classifier, part, error) {
	book, builtin, err := ruleBook(cfg, st)
	if err != nil {
		return nil, part{}, err
	}
	c := rulebook.NewClassifier(builtin)
	reloader := rulebook.NewReloader(book, c, log.With("part", "rules"))
	if _, err := reloader.Reload(ctx); err != nil {
		return nil, part{}, fmt.Errorf("load operator rules: %w", err)
	}
	return c, part{"rules", reloader.Run}, nil
}
