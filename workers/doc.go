// Package workers moves events from NATS to verdicts in PostgreSQL and runs
// rebond's timed jobs, on Asynq (Redis).
//
//   - Bridge: a durable JetStream pull consumer; each fetched batch is
//     decoded, stored in the inbox (store.InsertEvents, idempotent), handed
//     to Asynq as "event:apply" tasks of up to BatchSize event ids, and only
//     then acknowledged to NATS. A payload that can never be decoded is kept
//     in rejected_events and terminated, never silently dropped.
//   - "event:apply": classifies with the channel's rule set and calls
//     store.Apply, one transaction per batch; then schedules "retry:due"
//     tasks for messages that entered soft.
//   - "retry:due": publishes a retry notice on rebond.retry.<channel> unless
//     the message was delivered or failed hard meanwhile, or its recipient
//     is no longer active; schedules the next one per the policy.
//   - Scheduler: re-enqueues inbox rows never applied (a task lost with
//     Redis, a worker killed), re-enqueues retries whose task was lost, and
//     releases timed quarantines and suspensions that ended.
//
// Exactly-once rests on the database, not on Redis: the inbox has a unique
// key, Apply only takes rows whose applied_at is NULL (FOR UPDATE SKIP
// LOCKED) and sets it in the same transaction as every effect. Asynq task
// ids only spare duplicate work.
package workers
