package rapport

import (
	"cmp"
	"math"
	"slices"
)

// MatchStrength says how well a need matches a member's ask.
type MatchStrength int

// The strengths a Match can have, by Match.Score. The thresholds were set on the table of realistic
// asks and needs in match_test.go: there every need's right member scores MatchGoodScore or more, a
// need naming what an ask is about (the roof that leaks to the roofer) scores MatchStrongScore or
// more, and no incidental match (a "sales team" need meeting a pest controller's "home sales") reaches
// MatchStrongScore.
const (
	// MatchGood is worth showing: the need shares at least one word that carries weight in the ask.
	MatchGood MatchStrength = iota + 1
	// MatchStrong is what the ask is about: worth telling a giver who picked someone else.
	MatchStrong
)

// Thresholds of the strengths, on Match.Score.
const (
	MatchGoodScore   = 0.2
	MatchStrongScore = 0.35
)

func (s MatchStrength) String() string {
	switch s {
	case MatchGood:
		return "good"
	case MatchStrong:
		return "strong"
	}
	return "none"
}

// Match is one member whose ask matches a need, with why.
type Match struct {
	Member   string
	Ask      string  // the member's ask, as written (unescaped)
	Score    float64 // cosine similarity, 0 to 1
	Strength MatchStrength
	// Words are the ask's own words (as its member wrote them, unescaped) whose stems the need shares,
	// weightiest first: the explanation ("matches their ask: bookkeeping, payroll").
	Words []string
}

// Matcher matches a need to the members whose asks fit it. It is built once from all current asks,
// so the weights of the words are computed once; it is read-only after that and safe for concurrent
// use.
//
// The score is the cosine similarity of two sets of word stems (see terms) weighted by rarity:
//
//	weight(s) = ln(1 + N / asks(s))       N asks in all, asks(s) of them use stem s (at least 1)
//	score     = Σ weight(s)² over the stems the need shares with the ask
//	            ─────────────────────────────────────────────────────────
//	            √(Σ weight² over the ask's stems) · √(Σ weight² over the need's stems)
//
// A stem counts once per text however often it is repeated. A word only one ask uses weighs most
// (ln(1+N)), and so does a need's word that no ask uses; a word every ask uses still weighs ln 2.
// Dividing by both lengths keeps a long ask from matching everything a little, and a long need whose
// one shared word is incidental from scoring like a need that is only that word.
type Matcher struct {
	asks   []askTerms
	weight map[string]float64 // stem → its weight
	index  map[string][]posting
	unused float64 // the weight of a need's stem that no ask uses
}

// posting is where an ask uses a stem: the ask, and the stem's place among the ask's terms.
type posting struct{ ask, term int }

// askTerms is one ask as the matcher keeps it.
type askTerms struct {
	member string
	text   string
	terms  []term // in the order the ask has them
	norm   float64
}

// NewMatcher weighs the words of asks. A member with more than one ask keeps the newest; asks with no
// word that counts (empty, or only emoji) are left out.
func NewMatcher(asks []Ask) *Matcher {
	newest := map[string]int{}
	var keep []Ask
	for _, a := range asks {
		i, ok := newest[a.Member]
		if !ok {
			newest[a.Member] = len(keep)
			keep = append(keep, a)
		} else if a.At.After(keep[i].At) {
			keep[i] = a
		}
	}
	m := &Matcher{weight: map[string]float64{}, index: map[string][]posting{}}
	for _, a := range keep {
		ts := terms(a.Text)
		if len(ts) == 0 {
			continue
		}
		for j, t := range ts {
			m.index[t.stem] = append(m.index[t.stem], posting{ask: len(m.asks), term: j})
		}
		m.asks = append(m.asks, askTerms{member: a.Member, text: a.Text, terms: ts})
	}
	n := float64(len(m.asks))
	for s, in := range m.index {
		m.weight[s] = math.Log(1 + n/float64(len(in)))
	}
	m.unused = math.Log(1 + n)
	for i := range m.asks {
		var sum float64
		for _, t := range m.asks[i].terms {
			sum += m.weight[t.stem] * m.weight[t.stem]
		}
		m.asks[i].norm = math.Sqrt(sum)
	}
	return m
}

// Best returns up to n members whose asks match need at least well (MatchGood), best first; equal
// scores go by member ID. Members in exclude (the giver) are never returned.
func (m *Matcher) Best(need string, n int, exclude ...string) []Match {
	if n <= 0 {
		return nil
	}
	var out []Match
	for _, mt := range m.scores(need) {
		if mt.Strength >= MatchGood && !slices.Contains(exclude, mt.Member) {
			out = append(out, mt)
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Member, b.Member)
	})
	return out[:min(n, len(out))]
}

// Better returns the member to mention to a giver who chose receiver for need: the best strong match
// other than the giver and the receiver, when the receiver's own ask is not a good match (a receiver
// whose ask fits, even less well, is a fine choice and no one else is named). ok is false when there is
// no one to mention.
func (m *Matcher) Better(need, giver, receiver string) (better Match, ok bool) {
	for _, mt := range m.Best(need, len(m.asks), giver) {
		if mt.Member == receiver {
			return Match{}, false
		}
		if !ok && mt.Strength == MatchStrong {
			better, ok = mt, true
		}
	}
	return better, ok
}

// scores is every ask that shares a stem with need, in the order of the asks.
func (m *Matcher) scores(need string) []Match {
	var shared [][]int // per ask, the places of the terms the need shares
	var needSum float64
	for _, t := range terms(need) {
		w, ok := m.weight[t.stem]
		if !ok {
			needSum += m.unused * m.unused
			continue
		}
		needSum += w * w
		if shared == nil {
			shared = make([][]int, len(m.asks))
		}
		for _, p := range m.index[t.stem] {
			shared[p.ask] = append(shared[p.ask], p.term)
		}
	}
	var out []Match
	for i, places := range shared {
		if len(places) == 0 {
			continue
		}
		a := m.asks[i]
		var dot float64
		for _, p := range places {
			dot += m.weight[a.terms[p].stem] * m.weight[a.terms[p].stem]
		}
		mt := Match{Member: a.member, Ask: a.text, Score: dot / (a.norm * math.Sqrt(needSum))}
		switch {
		case mt.Score >= MatchStrongScore:
			mt.Strength = MatchStrong
		case mt.Score >= MatchGoodScore:
			mt.Strength = MatchGood
		}
		slices.SortFunc(places, func(x, y int) int {
			wx, wy := m.weight[a.terms[x].stem], m.weight[a.terms[y].stem]
			if c := cmp.Compare(wy, wx); c != 0 {
				return c
			}
			return cmp.Compare(x, y)
		})
		for _, p := range places {
			mt.Words = append(mt.Words, a.terms[p].word)
		}
		out = append(out, mt)
	}
	return out
}
