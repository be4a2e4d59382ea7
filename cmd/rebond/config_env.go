package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
)

// envPrefix starts every environment override.
const envPrefix = "REBOND_"

// envName is the variable that overrides a key: REBOND_ + its dotted path
// in upper case, '.' and '-' as '_' (a shell cannot export '-').
func envName(key string) string {
	return envPrefix + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// configSources remembers where each key of a loaded configuration came
// from, so `rebond config` can say it next to every value.
type configSources struct {
	// tree is the merged key tree that was decoded (the keys of the
	// defaults, the file and the environment, as written).
	tree map[string]any
	// file is the --config path, fileTree its keys alone (nil: no file).
	file     string
	fileTree map[string]any
	// env maps a dotted key to the variable that set it alone.
	env map[string]string
	// docs are the YAML maps read from the variable of a map key.
	docs []envDoc
}

// envDoc is a map read from one variable (REBOND_WEBHOOKS='{...}').
type envDoc struct {
	at   []string
	name string
	tree map[string]any
}

// of names the source of the key at path: "env REBOND_X", "file PATH" or
// "default". A variable of the key itself wins over a map variable, which
// wins over the file, as in applyEnv.
func (s configSources) of(path []string) string {
	if name, ok := s.env[strings.Join(path, ".")]; ok {
		return "env " + name
	}
	for _, d := range slices.Backward(s.docs) {
		if len(path) > len(d.at) && slices.Equal(path[:len(d.at)], d.at) && hasPath(d.tree, path[len(d.at):]) {
			return "env " + d.name
		}
	}
	if hasPath(s.fileTree, path) {
		return "file " + s.file
	}
	return "default"
}

// hasPath says whether tree holds the key path, segment by segment (so a
// map key with a dot, a domain of smtp.tenants, is one segment).
func hasPath(tree map[string]any, path []string) bool {
	var v any = tree
	for _, seg := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[seg]; !ok {
			return false
		}
	}
	return true
}

// mapKeys are the keys whose default is an empty map (smtp.tenants,
// email.tenant_secrets, sms.regions, webhooks): their entries are named by
// whoever configures them, so their variable takes a whole YAML map.
func mapKeys(k *koanf.Koanf) []string {
	var keys []string
	for _, key := range k.Keys() {
		if _, isMap := k.Get(key).(map[string]any); isMap {
			keys = append(keys, key)
		}
	}
	return keys
}

// entryKeys lists, per map key whose entries are themselves maps, the keys
// an entry may have: each can be set alone from REBOND_<MAP>_<NAME>_<KEY>
// for every entry the file or the map's variable names, even when that
// entry does not list the key (a webhook's secret kept in a variable of
// its own).
func entryKeys() map[string][]string {
	return map[string][]string{"webhooks": webhookKeys()}
}

// applyEnv overrides the loaded configuration from REBOND_* variables and
// records which variable set which key in src. First, each map key of
// mapKeys whose variable is set merges the YAML (or JSON) map it holds:
// REBOND_WEBHOOKS='{kannel: {provider: kannel, dialect: map}}' adds the
// webhook kannel or changes the file's key by key. Then every known key,
// those of the defaults, the file and those maps, is overridden by its own
// variable (REBOND_WEBHOOKS_KANNEL_TOKEN), and so is every key of
// entryKeys of every entry. Deriving the names from the keys means a
// misspelt variable is simply not a key, and every documented key has one.
func applyEnv(k *koanf.Koanf, maps []string, getenv func(string) string, src *configSources) error {
	for _, key := range maps {
		name := envName(key)
		v := getenv(name)
		if v == "" {
			continue
		}
		doc := koanf.New(".")
		if err := doc.Load(rawbytes.Provider([]byte(v)), yaml.Parser()); err != nil {
			return fmt.Errorf("%s: not a YAML or JSON map, e.g. {name: {key: value}}: %w", name, err)
		}
		if err := k.MergeAt(doc, key); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		src.docs = append(src.docs, envDoc{at: strings.Split(key, "."), name: name, tree: doc.Raw()})
	}
	keys := k.Keys()
	for m, entry := range entryKeys() {
		for _, name := range k.MapKeys(m) {
			for _, key := range entry {
				keys = append(keys, m+"."+name+"."+key)
			}
		}
	}
	slices.Sort(keys)
	for _, key := range slices.Compact(keys) {
		if _, isMap := k.Get(key).(map[string]any); isMap {
			continue // an empty map: its variable is a document, read above
		}
		name := envName(key)
		v := getenv(name)
		if v == "" {
			continue
		}
		var val any = v
		if _, isList := k.Get(key).([]any); isList {
			val = strings.Split(v, ",")
		}
		if err := k.Set(key, val); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		src.env[key] = name
	}
	return nil
}
