package rules

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/rebond/rebond/channels"
)

// MaxRuleBytes bounds one rule document given to ParseRule: a rule is a
// few lines; anything larger is a mistake or an attack.
const MaxRuleBytes = 64 << 10

// ParseRule reads one rule given alone, as a YAML or JSON mapping with the
// keys of a rule in a rule file (id, version, channel, priority,
// description, match, verdict, disabled). Parsing is as strict as Parse:
// an unknown key is an error that names it. Like Parse, it checks
// structure only; NewSet validates the content.
func ParseRule(data []byte) (Rule, error) {
	if len(data) > MaxRuleBytes {
		return Rule{}, fmt.Errorf("parse rule: %d bytes, at most %d", len(data), MaxRuleBytes)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Rule{}, fmt.Errorf("parse rule: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return Rule{}, errors.New("parse rule: empty document, want a rule mapping")
	}
	r, err := parseRule(deref(doc.Content[0]))
	if err != nil {
		return Rule{}, fmt.Errorf("parse rule: %w", err)
	}
	return r, nil
}

// All returns a copy of every rule of the Set, both channels, every
// version, in evaluation order within each channel (email first). Adding
// rules to it and calling NewSet builds a Set that extends this one.
func (s *Set) All() []Rule {
	return append(s.Rules(channels.Email), s.Rules(channels.SMS)...)
}
