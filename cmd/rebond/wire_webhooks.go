package main

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email/esp"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// webhookBuilders build one provider family's adapters from the keys of a
// webhooks.<name> entry (without "provider").
var webhookBuilders = []struct {
	providers func() []string
	build     func(name, provider string, keys map[string]any) (channels.Webhook, error)
}{
	{dlr.Providers, func(_, provider string, keys map[string]any) (channels.Webhook, error) {
		var c dlr.Config
		if err := decodeKeys(keys, &c); err != nil {
			return nil, err
		}
		return dlr.New(provider, c)
	}},
	{func() []string {
		return []string{esp.ProviderMailgun, esp.ProviderPostmark, esp.ProviderSendGrid, esp.ProviderSES, esp.ProviderSparkPost}
	}, func(name, provider string, keys map[string]any) (channels.Webhook, error) {
		var c esp.Config
		if err := decodeKeys(keys, &c); err != nil {
			return nil, err
		}
		c.Provider = provider
		return esp.New(name, c)
	}},
}

// buildWebhooks turns the webhooks section of the configuration into the
// adapters mounted at /v1/webhooks/<name>. An entry that names no known
// provider, or lacks its secret, stops the start: a webhook that would
// accept unsigned calls, or none at all, is worse than no start.
func buildWebhooks(cfg map[string]map[string]any) (map[string]channels.Webhook, error) {
	out := make(map[string]channels.Webhook, len(cfg))
	var known []string
	for _, b := range webhookBuilders {
		known = append(known, b.providers()...)
	}
	sort.Strings(known)
	for name, entry := range cfg {
		provider, tenant, keys, err := splitWebhookEntry(name, entry)
		if err != nil {
			return nil, err
		}
		var hook channels.Webhook
		found := false
		for _, b := range webhookBuilders {
			if slices.Contains(b.providers(), provider) {
				found = true
				hook, err = b.build(name, provider, keys)
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("webhooks.%s.provider: %q is not one of %v", name, provider, known)
		}
		if err != nil {
			return nil, fmt.Errorf("webhooks.%s: %w", name, err)
		}
		out[name] = channels.ForTenant(hook, tenant)
	}
	return out, nil
}

// webhookKeys are the keys a webhooks.<name> entry may have: provider,
// tenant and every key of the adapters' configurations, read from their
// koanf tags so a key added to an adapter can be set from its variable
// (REBOND_WEBHOOKS_<NAME>_<KEY>) at once.
func webhookKeys() []string {
	keys := []string{"provider", "tenant"}
	for _, t := range []reflect.Type{reflect.TypeFor[dlr.Config](), reflect.TypeFor[esp.Config]()} {
		keys = append(keys, koanfKeys(t)...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// koanfKeys lists the koanf keys of a configuration struct, through its
// squashed (embedded) structs.
func koanfKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		switch {
		case opts == "squash" && f.Type.Kind() == reflect.Struct:
			keys = append(keys, koanfKeys(f.Type)...)
		case name != "" && name != "-" && f.IsExported():
			keys = append(keys, name)
		}
	}
	return keys
}

// splitWebhookEntry reads a webhooks.<name> entry: its provider, its
// tenant (whose events the webhook's notifications are, default the
// default tenant: a provider account belongs to one tenant) and the keys
// its adapter reads.
func splitWebhookEntry(name string, entry map[string]any) (provider, tenant string, keys map[string]any, err error) {
	provider, _ = entry["provider"].(string)
	tenant, _ = entry["tenant"].(string)
	if tenant != "" && !channels.ValidTenant(tenant) {
		return "", "", nil, fmt.Errorf("webhooks.%s.tenant: %q must be 1 to 63 of a-z, 0-9, '-', '_'", name, tenant)
	}
	keys = make(map[string]any, len(entry))
	for k, v := range entry {
		if k != "provider" && k != "tenant" {
			keys[k] = v
		}
	}
	return provider, tenant, keys, nil
}

// buildInboundWebhooks builds, for every SMS gateway webhook, the adapter
// of its mobile-originated messages, mounted at
// /v1/webhooks/<name>/inbound with the same keys and tenant; kw reads
// their keywords. Entries buildWebhooks refuses are refused here too.
func buildInboundWebhooks(cfg map[string]map[string]any, kw *sms.Keywords) (map[string]channels.Webhook, error) {
	out := map[string]channels.Webhook{}
	for name, entry := range cfg {
		provider, tenant, keys, err := splitWebhookEntry(name, entry)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(dlr.Providers(), provider) {
			continue // an ESP: no inbound messages
		}
		var c dlr.Config
		if err := decodeKeys(keys, &c); err != nil {
			return nil, fmt.Errorf("webhooks.%s: %w", name, err)
		}
		hook, err := dlr.NewInbound(provider, c, kw, tenant)
		if err != nil {
			return nil, fmt.Errorf("webhooks.%s: %w", name, err)
		}
		out[name] = channels.ForTenant(hook, tenant)
	}
	return out, nil
}

// decodeKeys decodes configuration keys into an adapter's config struct
// (koanf tags), refusing unknown keys so a misspelt secret is an error.
func decodeKeys(keys map[string]any, out any) error {
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		TagName: "koanf", Result: out, ErrorUnused: true, WeaklyTypedInput: true,
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(",")),
	})
	if err != nil {
		return err
	}
	return dec.Decode(keys)
}
