package main

import (
	"context"
	"maps"
	"slices"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels/consent"
	"github.com/rebond/rebond/natsbus"
	"github.com/rebond/rebond/sms/smpp"
	"github.com/rebond/rebond/ui"
	"github.com/rebond/rebond/workers"
)

// roleParts builds the parts of the roles opt asks for.
func (sv *services) roleParts(ctx context.Context, opt serveOptions) ([]part, error) {
	has := func(r string) bool { return slices.Contains(opt.roles, r) }
	var parts []part
	for _, role := range []struct {
		on    bool
		build func(context.Context, serveOptions) ([]part, error)
	}{
		{has("api"), sv.apiParts},
		{!has("api"), sv.opsParts},
		{has("bridge"), sv.bridgeParts},
		{has("smpp") && len(sv.cfg.SMPP.Gateways) > 0, sv.smppParts},
		{has("smtp"), sv.smtpParts},
		{has("worker"), sv.workerParts},
		{has("scheduler"), sv.schedulerParts},
		{has("mailbox"), sv.mailboxParts},
	} {
		if !role.on {
			continue
		}
		p, err := role.build(ctx, opt)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p...)
	}
	return parts, nil
}

// apiParts is the HTTP API with the dashboard, and the part that reports
// its address to opt.ready.
func (sv *services) apiParts(_ context.Context, opt serveOptions) ([]part, error) {
	hooks, err := buildWebhooks(sv.cfg.Webhooks)
	if err != nil {
		return nil, err
	}
	maps.Copy(hooks, opt.webhooks)
	kw, err := sv.cfg.keywords()
	if err != nil {
		return nil, err
	}
	inbound, err := buildInboundWebhooks(sv.cfg.Webhooks, kw)
	if err != nil {
		return nil, err
	}
	book, _, err := ruleBook(sv.cfg, sv.st)
	if err != nil {
		return nil, err
	}
	dashboard, err := sv.dashboard()
	if err != nil {
		return nil, err
	}
	c := sv.cfg
	srv, err := api.New(api.Config{Addr: c.HTTP.Addr, AdminToken: c.AdminToken, UI: dashboard,
		MaxBodyBytes: c.HTTP.MaxBodyBytes, MaxBatch: c.HTTP.MaxBatch,
		TextCheck: smsTextCheck, SMSMaxSegments: c.SMS.MaxSegments, SMSRequireGSM: c.SMS.RequireGSM,
		Webhooks: hooks, InboundWebhooks: inbound, Rejects: sv.st, Numbers: c.numberRegions(), RatesMinVolume: c.HTTP.RatesMinVolume, MaxEventBytes: sv.bus.MaxPayload(), RateLimit: c.HTTP.RateLimit, RateBurst: c.HTTP.RateBurst, AuthFailureRate: c.HTTP.AuthFailuresPerMinute / 60, AuthFailureBurst: c.HTTP.AuthFailureBurst,
		WebhookUnverifiedBytes: c.HTTP.WebhookUnverifiedBodyBytes, WebhookUnverifiedReads: c.HTTP.WebhookUnverifiedReads,
		Operator: sv.st, Events: sv.st, Rules: book, Tokens: sv.st,
		Providers: sv.providers, Consent: apiConsent(c), Consents: sv.st},
		sv.bus, sv.st, sv.pingers(), sv.reg, sv.log)
	if err != nil {
		return nil, err
	}
	parts := []part{{"api", srv.Run}}
	if opt.ready != nil {
		parts = append(parts, part{"api-ready", announce(c.HTTP.Addr, opt.ready)})
	}
	return parts, nil
}

// dashboard is the campaign teams' and operators' UI: any read, operate or
// admin token signs in (the stored ones through the store), and Asynq's queue
// monitor is inside for the admin token.
func (sv *services) dashboard() (*ui.Handler, error) {
	queues := asynqmon.New(asynqmon.Options{RootPath: ui.Prefix + "queues", RedisConnOpt: sv.redisOpt})
	sv.onClose(func() { queues.Close() })
	c := sv.cfg
	return ui.New(ui.Config{AdminToken: c.AdminToken, Tokens: sv.st, SecureCookies: c.HTTP.SecureCookies,
		MinVolume: c.HTTP.RatesMinVolume, Queues: queues, Numbers: c.numberRegions(),
		Consent: consent.Policy{RequireConfirmed: c.Consent.RequireConfirmed}}, sv.st, sv.log)
}

// opsParts is the HTTP listener of a process without the API role:
// probes and scraping still need one.
func (sv *services) opsParts(context.Context, serveOptions) ([]part, error) {
	return []part{{"ops", api.NewOps(sv.cfg.HTTP.Addr, sv.pingers(), sv.reg, sv.log).Run}}, nil
}

// bridgeParts moves events from NATS to the inbox and the task queue, and
// parses the mail the SMTP listener spooled.
func (sv *services) bridgeParts(ctx context.Context, _ serveOptions) ([]part, error) {
	consumer, err := sv.bus.Consumer(ctx, "bridge")
	if err != nil {
		return nil, err
	}
	bridge := workers.NewBridge(sv.cfg.Workers, consumer, sv.st, sv.enq, sv.metrics, sv.log)
	loop, err := inboundLoop(ctx, sv.cfg, sv.bus, sv.st, sv.metrics, sv.log)
	if err != nil {
		return nil, err
	}
	return []part{{"bridge", bridge.Run}, {"inbound", loop}}, nil
}

// smppParts binds to the SMSCs for delivery receipts and
// mobile-originated messages. Receipts arrive one
// per deliver_sm and each waits for JetStream before its answer: the
// coalescer publishes those of the binds' windows together
// (natsbus.Coalescer), smppLinger at most apart.
func (sv *services) smppParts(context.Context, serveOptions) ([]part, error) {
	pub := natsbus.NewCoalescer(sv.bus, smppLinger, smppPublishTimeout)
	cfg := sv.cfg.SMPP
	kw, err := sv.cfg.keywords()
	if err != nil {
		return nil, err
	}
	cfg.Keywords = kw
	esme, err := smpp.New(cfg, pub, smppStore{sv.st}, sv.log.With("part", "smpp"), sv.reg)
	if err != nil {
		return nil, err
	}
	return []part{{"smpp", esme.Run}}, nil
}

// smtpParts is the bounce listener, none while smtp.domains is empty.
func (sv *services) smtpParts(context.Context, serveOptions) ([]part, error) {
	l, err := smtpListener(sv.cfg, sv.bus, sv.log)
	if err != nil || l == nil {
		return nil, err
	}
	return []part{{"smtp", l.Run}}, nil
}

// workerParts applies events and runs retries, and keeps the worker's
// rules current.
func (sv *services) workerParts(ctx context.Context, _ serveOptions) ([]part, error) {
	rs, reload, err := workerRules(ctx, sv.cfg, sv.st, sv.log)
	if err != nil {
		return nil, err
	}
	apply := workers.NewApplyHandler(sv.st, rs, sv.cfg.Policy, sv.enq, sv.metrics, sv.log)
	retry := workers.NewRetryHandler(sv.st, sv.bus, sv.cfg.Policy, sv.enq, sv.metrics, sv.log)
	alerts := workers.NewAlertDeliveryHandler(sv.cfg.Alerts, sv.st, sv.log)
	return []part{reload, {"worker", workers.NewServer(sv.cfg.Workers, sv.redisOpt, apply, retry, alerts, sv.log).Run}}, nil
}

// schedulerParts runs the periodic jobs, the alerts and the stream usage
// watch.
func (sv *services) schedulerParts(context.Context, serveOptions) ([]part, error) {
	sched := workers.NewScheduler(sv.cfg.Workers, sv.cfg.Policy, sv.bus, sv.st, sv.enq, sv.metrics, sv.log)
	inspector := asynq.NewInspector(sv.redisOpt)
	sv.onClose(func() { inspector.Close() })
	sched.SetQueueDepth(workers.ApplyQueueDepth(inspector))
	alerter := workers.NewAlerter(sv.cfg.Alerts, sv.providers, sv.st, sv.bus, sv.log)
	alerter.SetNotices(sv.st, workers.NewAlertQueue(sv.enq, sv.cfg.Alerts.Notify))
	return []part{
		{"scheduler", sched.Run},
		{"alerts", alerter.Run},
		{"streams", newStreamWatcher(sv.bus, sv.cfg.NATS.UsageAlert, sv.reg, sv.log).Run},
	}, nil
}
