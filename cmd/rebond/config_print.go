package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/rebond/rebond/configs"
)

func newConfigCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (defaults + file + environment) as YAML, secrets masked, with where each value comes from; exit 1 if serve would refuse it",
		Long: `config prints the configuration serve would run with: the embedded defaults
(configs/rebond.yaml), then --config FILE, then REBOND_* variables, in the
keys and units of configs/rebond.yaml (durations as 5m or 720h, sizes in
bytes). Each value is followed by where it was set: "# default", "# file
PATH" or "# env REBOND_X"; a map entry whose keys all come from one place
is written on one line. Secrets are masked (********), and so are the
passwords in connection URLs, so the output can be pasted into a ticket.
The configuration is printed even when serve would refuse it; the reasons
follow on stderr, and the exit status is 1.`,
		Example: `  rebond config
  rebond config --config /etc/rebond.yaml
  REBOND_WEBHOOKS='{kannel: {provider: kannel, dialect: map}}' REBOND_WEBHOOKS_KANNEL_TOKEN=... rebond config
  rebond config --json | jq .sources`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, src, err := loadConfig(g.configPath, os.Getenv)
			if err != nil {
				return err
			}
			invalid := checkServe(cfg)
			maskSecrets(&cfg)
			if err := writeConfig(g.stdout, cfg, src, asJSON); err != nil {
				return err
			}
			// Printed anyway, to help fix it; refused as serve would.
			if invalid != nil {
				return fmt.Errorf("serve would refuse this configuration: %w", invalid)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"config": ..., "sources": {"key.path": "env REBOND_X", ...}} instead`)
	return cmd
}

// writeConfig writes cfg (masked already) in the keys of the YAML file, as
// YAML with the source of each value in a comment, or as JSON with the
// sources apart.
func writeConfig(w io.Writer, cfg Config, src configSources, asJSON bool) error {
	p := configPrinter{src: src, order: defaultsOrder(), sources: map[string]string{}}
	root := p.walk(reflect.ValueOf(cfg), src.tree, nil, nil)
	if asJSON {
		var tree any
		if err := root.node.Decode(&tree); err != nil {
			return err
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"config": tree, "sources": p.sources})
	}
	from := "the embedded defaults"
	if src.file != "" {
		from += ", then " + src.file
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root.node},
		HeadComment: "rebond's effective configuration: " + from + ", then REBOND_* variables.\nSecrets are masked."}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return enc.Close()
}

// configPrinter turns a Config into a YAML tree. Its keys are those of the
// merged key tree (what the defaults, the file and the environment
// wrote), never a Go field name, and its values the decoded ones: what
// rebond runs with, defaults filled in.
type configPrinter struct {
	src configSources
	// order is the position of each key of the embedded defaults in its
	// mapping, by dotted path, so the output reads as the file does.
	order map[string]int
	// sources maps each value's dotted path to its source (for --json).
	sources map[string]string
}

// printed is one value's YAML node. A leaf (a scalar, or a list or map
// written on one line) has one source, which its parent writes after it.
type printed struct {
	node   *yaml.Node
	leaf   bool
	scalar bool   // a scalar or a one-line list of scalars
	flat   bool   // a mapping of scalars
	source string // the source of every leaf below; "" when they differ
}

var durationType = reflect.TypeFor[time.Duration]()

// walk renders v, whose key tree (as loaded) is raw, at path; inList is
// the path of the list v is in, whose source is all of its elements'.
func (p *configPrinter) walk(v reflect.Value, raw any, path, inList []string) printed {
	srcPath := path
	if inList != nil {
		srcPath = inList
	}
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return p.leaf(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, path, srcPath)
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == durationType:
		return p.leaf(&yaml.Node{Kind: yaml.ScalarNode, Value: formatDuration(time.Duration(v.Int()))}, path, srcPath)
	case v.Kind() == reflect.Struct:
		return p.structNode(v, raw, path, inList)
	case v.Kind() == reflect.Map:
		return p.mapNode(v, raw, path, inList)
	case v.Kind() == reflect.Slice || v.Kind() == reflect.Array:
		return p.listNode(v, raw, path, srcPath)
	}
	n := &yaml.Node{}
	if err := n.Encode(v.Interface()); err != nil {
		n = &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(v.Interface())}
	}
	return p.leaf(n, path, srcPath)
}

// leaf records the source of a value written on one line.
func (p *configPrinter) leaf(n *yaml.Node, path, srcPath []string) printed {
	src := p.src.of(srcPath)
	p.sources[strings.Join(path, ".")] = src
	return printed{node: n, leaf: true, scalar: true, source: src}
}

// structNode writes the fields the key tree has (a field no source wrote,
// such as workers.redis_url, is not a key of the file); without a tree
// (an entry known only once decoded), the fields that are set.
func (p *configPrinter) structNode(v reflect.Value, raw any, path, inList []string) printed {
	return p.mapping(p.structEntries(v, raw, path, inList), path)
}

// structEntries lists a struct's keys; a squashed (embedded) struct's keys
// are the struct's own, as koanf decodes them (sms.keywords' opt_out).
func (p *configPrinter) structEntries(v reflect.Value, raw any, path, inList []string) []configEntry {
	rawMap, _ := raw.(map[string]any)
	var entries []configEntry
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if opts == "squash" && f.Type.Kind() == reflect.Struct {
			entries = append(entries, p.structEntries(v.Field(i), raw, path, inList)...)
			continue
		}
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		sub, ok := rawMap[name]
		if !ok && (rawMap != nil || v.Field(i).IsZero()) {
			continue
		}
		entries = append(entries, configEntry{name, p.walk(v.Field(i), sub, appendPath(path, name), inList)})
	}
	return entries
}

// mapNode writes a map's entries, in the order of the defaults for those
// they list, then by name.
func (p *configPrinter) mapNode(v reflect.Value, raw any, path, inList []string) printed {
	rawMap, _ := raw.(map[string]any)
	var entries []configEntry
	for _, k := range v.MapKeys() {
		name := fmt.Sprint(k.Interface())
		entries = append(entries, configEntry{name, p.walk(v.MapIndex(k), rawMap[name], appendPath(path, name), inList)})
	}
	slices.SortFunc(entries, func(a, b configEntry) int { return strings.Compare(a.key, b.key) })
	for i, e := range entries {
		entries[i].val = oneLine(e.val)
	}
	if len(entries) == 0 {
		srcPath := path
		if inList != nil {
			srcPath = inList
		}
		return p.leaf(&yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}, path, srcPath)
	}
	return p.mapping(entries, path)
}

// oneLine writes an entry of a map (a reason's policy, an alert threshold,
// a webhook) on one line, as the file does, when its keys are all scalars
// set in one place: its source then follows it once.
func oneLine(e printed) printed {
	if !e.flat || e.source == "" {
		return e
	}
	e.node.Style = yaml.FlowStyle
	for _, c := range e.node.Content {
		c.LineComment = ""
	}
	e.leaf = true
	return e
}

// configEntry is one key of a mapping and its value.
type configEntry struct {
	key string
	val printed
}

// mapping builds a block mapping whose leaves each carry their source.
func (p *configPrinter) mapping(entries []configEntry, path []string) printed {
	slices.SortStableFunc(entries, func(a, b configEntry) int {
		return cmp.Compare(p.position(appendPath(path, a.key)), p.position(appendPath(path, b.key)))
	})
	n := &yaml.Node{Kind: yaml.MappingNode}
	out := printed{node: n, flat: true}
	for i, e := range entries {
		if i == 0 {
			out.source = e.val.source
		} else if e.val.source != out.source {
			out.source = ""
		}
		out.flat = out.flat && e.val.scalar
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: e.key}
		n.Content = append(n.Content, key, e.val.node)
	}
	for _, e := range entries {
		if e.val.leaf {
			e.val.node.LineComment = "# " + e.val.source
		}
	}
	return out
}

// listNode writes a list of scalars on one line (retry schedules, domains),
// and any other as a block whose elements share the list's source.
func (p *configPrinter) listNode(v reflect.Value, raw any, path, srcPath []string) printed {
	rawList, _ := raw.([]any)
	n := &yaml.Node{Kind: yaml.SequenceNode}
	var elems []printed
	scalars := true
	for i := range v.Len() {
		var sub any
		if i < len(rawList) {
			sub = rawList[i]
		}
		e := p.walk(v.Index(i), sub, appendPath(path, strconv.Itoa(i)), srcPath)
		scalars = scalars && e.scalar && e.node.Kind == yaml.ScalarNode
		elems = append(elems, e)
		n.Content = append(n.Content, e.node)
	}
	if scalars {
		n.Style = yaml.FlowStyle
		return p.leaf(n, path, srcPath)
	}
	for _, e := range elems {
		if e.leaf {
			e.node.LineComment = "# " + e.source
		}
	}
	return printed{node: n}
}

// position is a key's place in its mapping in the embedded defaults; keys
// the defaults do not have come after.
func (p *configPrinter) position(path []string) int {
	if i, ok := p.order[strings.Join(path, ".")]; ok {
		return i
	}
	return len(p.order)
}

// appendPath returns path + key, never sharing path's array.
func appendPath(path []string, key string) []string {
	return append(slices.Clip(path), key)
}

// defaultsOrder maps every key path of the embedded defaults to its
// position in its mapping.
func defaultsOrder() map[string]int {
	order := map[string]int{}
	b, err := configs.Files.ReadFile("rebond.yaml")
	if err != nil {
		return order
	}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return order
	}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := strings.TrimPrefix(prefix+"."+n.Content[i].Value, ".")
			order[key] = i / 2
			walk(n.Content[i+1], key)
		}
	}
	walk(doc.Content[0], "")
	return order
}

// formatDuration writes d as configs/rebond.yaml does: 5m, 720h, 1h30m,
// 200ms, 0s (time.Duration.String says 5m0s and 720h0m0s).
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
