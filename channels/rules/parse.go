package rules

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/rebond/rebond/channels"
)

// The keys a rule file may use, level by level. Parsing is strict: a
// misspelt key would otherwise drop a condition silently and widen a rule.
var (
	fileKeys    = keySet("channel", "rules")
	ruleKeys    = keySet("id", "version", "channel", "priority", "description", "match", "verdict", "disabled", "yields", "family")
	matchKeys   = keySet("types", "status", "codes", "text", "stat", "err", "dialect", "network_error", "message_state", "provider")
	verdictKeys = keySet("outcome", "reason")
	// listKeys are the Match fields that take a list; a single scalar is
	// accepted as a list of one ("status: 5.1.1").
	listKeys = keySet("types", "status", "codes", "stat", "err", "network_error", "message_state")
)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// Parse reads one rule file: a YAML mapping with a `rules:` list and an
// optional `channel:` that rules without their own channel inherit. Unknown
// keys at any level are errors that name the rule. Parse checks structure
// only; NewSet validates the rules' content.
func Parse(data []byte) ([]Rule, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse rules: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("parse rules: empty document, want a mapping with a rules list")
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse rules: line %d: want a mapping with a rules list", root.Line)
	}
	var fileChannel channels.Channel
	var list *yaml.Node
	for k, v := range pairs(root) {
		switch {
		case !fileKeys[k.Value]:
			return nil, fmt.Errorf("parse rules: line %d: unknown top-level key %q", k.Line, k.Value)
		case k.Value == "channel":
			if err := v.Decode(&fileChannel); err != nil {
				return nil, fmt.Errorf("parse rules: channel: %w", err)
			}
		default:
			list = deref(v)
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, errors.New("parse rules: want a top-level rules list")
	}
	out := make([]Rule, 0, len(list.Content))
	for i, n := range list.Content {
		r, err := parseRule(deref(n))
		if err != nil {
			return nil, fmt.Errorf("parse rules: %s: %w", ruleName(n, i), err)
		}
		if r.Channel == "" {
			r.Channel = fileChannel
		}
		out = append(out, r)
	}
	return out, nil
}

// parseRule checks a rule's keys, then decodes it.
func parseRule(n *yaml.Node) (Rule, error) {
	if n.Kind != yaml.MappingNode {
		return Rule{}, fmt.Errorf("line %d: a rule must be a mapping", n.Line)
	}
	if err := checkKeys(n, ruleKeys, ""); err != nil {
		return Rule{}, err
	}
	for k, v := range pairs(n) {
		var err error
		switch k.Value {
		case "match":
			err = checkKeys(v, matchKeys, "match.")
			listify(v)
		case "verdict":
			err = checkKeys(v, verdictKeys, "verdict.")
		}
		if err != nil {
			return Rule{}, err
		}
	}
	var r Rule
	if err := n.Decode(&r); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// checkKeys reports the first key of mapping n that is not allowed.
func checkKeys(n *yaml.Node, allowed map[string]bool, prefix string) error {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s must be a mapping", n.Line, prefix)
	}
	for k := range pairs(n) {
		if !allowed[k.Value] {
			return fmt.Errorf("line %d: unknown key %q", k.Line, prefix+k.Value)
		}
	}
	return nil
}

// listify wraps the scalar values of list fields of the match mapping n in
// a sequence, so "status: 5.1.1" reads as "status: [5.1.1]".
func listify(n *yaml.Node) {
	n = deref(n)
	for i := 1; i < len(n.Content); i += 2 {
		v := n.Content[i]
		if listKeys[n.Content[i-1].Value] && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
			n.Content[i] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: v.Line, Column: v.Column, Content: []*yaml.Node{v}}
		}
	}
}

// pairs yields the key and value nodes of a mapping node.
func pairs(n *yaml.Node) func(yield func(k, v *yaml.Node) bool) {
	return func(yield func(k, v *yaml.Node) bool) {
		for i := 1; i < len(n.Content); i += 2 {
			if !yield(n.Content[i-1], n.Content[i]) {
				return
			}
		}
	}
}

// ruleName names rule number i of a file for an error: by its id when it
// has a readable one, else by position. The error itself gives the line.
func ruleName(n *yaml.Node, i int) string {
	n = deref(n)
	if n.Kind == yaml.MappingNode {
		for k, v := range pairs(n) {
			if k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
				return fmt.Sprintf("rule %q", v.Value)
			}
		}
	}
	return fmt.Sprintf("rule #%d", i+1)
}

// deref follows YAML aliases to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
