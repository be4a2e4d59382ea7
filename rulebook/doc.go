// Package rulebook is how operators work the classification rules: the
// built-in rules of configs/rules together with the rules operators keep in
// PostgreSQL (store.RuleOverride), and the tools around them.
//
//   - Book.Sets builds the rule sets a worker classifies with: built-ins plus
//     active and disabled overrides (live), and the same plus shadow rules
//     (shadow). Reloader keeps a worker's Classifier current.
//   - Book.Create, Update and Disable publish operator rules: a new id, or a
//     new version of an id, built-in or not. A published id@version never
//     changes (verdicts name it), so an update is a new version and a
//     disabled rule is a new version with disabled: true.
//   - Book.Explain gives the decision trace of a sample (a bounce mail, an
//     SMTP reply, an SMS receipt or an event).
//   - Book.Backtest replays the stored events of a window under the current
//     rules and under the current rules plus candidate changes, read-only,
//     and reports what would change: verdicts, recipients quarantined or
//     released, rates per campaign.
//   - Book.Qualification is the queue of failures no rule recognized,
//     grouped by their masked diagnostic (Normalize); Book.Keep turns a group
//     into an operator rule (its text as Pattern), Book.Ignore closes it.
//
// Shadow rules are evaluated beside the live set on the worker's hot path
// (Classifier): when they would decide otherwise, the event id and both
// verdicts are buffered and written by the Reloader (store.
// RecordShadowVerdicts); they are never acted on.
package rulebook
