package rules

import (
	"sync/atomic"

	"github.com/rebond/rebond/channels"
)

// Live is the rule set a running worker classifies with, replaced whole
// when operators change rules: Classify always sees one complete Set, never
// half of an update. The zero value classifies every event with the fallback
// verdict until Swap gives it a Set. It is safe for concurrent use.
type Live struct {
	cur atomic.Pointer[Set]
}

// NewLive returns a Live that classifies with s.
func NewLive(s *Set) *Live {
	l := &Live{}
	l.cur.Store(s)
	return l
}

// Classify classifies e with the current Set (see Set.Classify).
func (l *Live) Classify(e channels.Event) channels.Verdict {
	return l.cur.Load().Classify(e)
}

// Swap makes s the current Set and returns the one it replaces. Calls of
// Classify already running finish with the old Set.
func (l *Live) Swap(s *Set) *Set { return l.cur.Swap(s) }

// Set returns the current Set.
func (l *Live) Set() *Set { return l.cur.Load() }
