package rapport

import (
	"slices"
	"sync"
)

// MatcherCache keeps the Matcher of the asks it was last given. The referral form matches the need
// on every keystroke and the giver's confirmation on every referral, nearly always over the same
// asks; weighing them again each time would cost about a millisecond and a half for a group of 40
// (BenchmarkNewMatcher), comparing them costs microseconds. The zero value is ready; it is safe for
// concurrent use.
type MatcherCache struct {
	mu   sync.Mutex
	asks []Ask
	m    *Matcher
}

// Matcher returns the Matcher of asks: the one built last when asks are the same asks in the same
// order, else a new one, which it keeps.
func (c *MatcherCache) Matcher(asks []Ask) *Matcher {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m != nil && slices.EqualFunc(c.asks, asks, func(a, b Ask) bool {
		return a.Member == b.Member && a.Text == b.Text && a.At.Equal(b.At)
	}) {
		return c.m
	}
	c.asks, c.m = slices.Clone(asks), NewMatcher(asks)
	return c.m
}
