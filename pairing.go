package rapport

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"time"
)

// Pairing suggestions (issue 13): once a week, each member who opted in is privately suggested one
// other member to meet one to one. Pairs are chosen from what the group already knows about the two,
// in this order of preference:
//
//  1. one-sided relationships: one of them sent the other referrals that were never returned (the
//     larger the imbalance, the earlier);
//  2. members who never met one to one (a confirmed 1:1);
//  3. members whose asks match each other's (what one wants referrals for is near what the other
//     does), scored by the Matcher.
//
// A pair suggested last week is never suggested again this week, and each member is in at most one
// pair a week. Choosing is greedy, best pair first, so the reasons stay easy to explain ("Dana sent
// you 3 referrals"); among pairs equally good, the week decides, so the order changes from week to
// week but two replicas computing the same week choose the same pairs.

// PairingFacts is what SuggestPairs chooses from.
type PairingFacts struct {
	// Members are those who opted in and may receive a message; only they are paired.
	Members []string
	// Given counts the referrals each member gave each other member, all time: Given[a][b] from a to b.
	Given map[string]map[string]int
	// Met is the confirmed 1:1s of each pair (either way round): Met[a][b] == Met[b][a].
	Met map[string]map[string]int
	// Last is each member's partner in last week's suggestions (absent: none).
	Last map[string]string
	// Asks are the members' current asks, for the third preference.
	Asks []Ask
	// Week names the week being paired (WeekID, e.g. "2026-W50"): the tie-breaker.
	Week string
}

// Pair is one suggestion, given to both members, with what made it. It is stored as JSON with
// the week's pairs (and carried by the suggestion's messages), so its JSON names never change.
type Pair struct {
	A string `json:"a"`
	B string `json:"b"`
	// AGave and BGave are the referrals each gave the other, all time.
	AGave int `json:"ag,omitempty"`
	BGave int `json:"bg,omitempty"`
	// Met is how many 1:1s the two had (0: never met).
	Met int `json:"met,omitempty"`
	// Words are the shared words of their asks, weightiest first (unescaped); nil when the asks
	// did not count.
	Words []string `json:"words,omitempty"`
	// Rank is the pair's place among the week's, best first (0 for the best): SuggestPairs sets it.
	Rank int `json:"rank"`
}

// OneSided reports whether one of the two gave the other referrals never returned.
func (p Pair) OneSided() bool { return (p.AGave == 0) != (p.BGave == 0) }

// Gave is how many referrals member gave the other member of p, all time.
func (p Pair) Gave(member string) int {
	if p.A == member {
		return p.AGave
	}
	return p.BGave
}

// Has reports whether member is one of p's two.
func (p Pair) Has(member string) bool { return p.A == member || p.B == member }

// Partner is the other member of p, seen from member.
func (p Pair) Partner(member string) string {
	if p.A == member {
		return p.B
	}
	return p.A
}

// pairScore orders candidate pairs: each preference outweighs every lower one.
type pairScore struct {
	oneSided int     // the imbalance of a one-sided relationship, 0 otherwise
	neverMet bool    // no confirmed 1:1
	asks     float64 // how well their asks match, 0 to 1
	tie      uint64  // the week's tie-breaker
}

func comparePairScores(x, y pairScore) int {
	if c := cmp.Compare(x.oneSided, y.oneSided); c != 0 {
		return c
	}
	if x.neverMet != y.neverMet {
		if x.neverMet {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(x.asks, y.asks); c != 0 {
		return c
	}
	return cmp.Compare(x.tie, y.tie)
}

// SuggestPairs chooses this week's pairs among f.Members. Every member is in at most one pair; a
// member left without a partner (an odd count, or only last week's partner left) gets none. The
// pairs come best first.
func SuggestPairs(f PairingFacts) []Pair {
	members := slices.Clone(f.Members)
	slices.Sort(members)
	members = slices.Compact(members)
	asks := askAffinity(f.Asks, members)
	type candidate struct {
		pair  Pair
		score pairScore
	}
	var cands []candidate
	for i, a := range members {
		for _, b := range members[i+1:] {
			if f.Last[a] == b || f.Last[b] == a {
				continue
			}
			p := Pair{A: a, B: b, AGave: f.Given[a][b], BGave: f.Given[b][a], Met: max(f.Met[a][b], f.Met[b][a])}
			s := pairScore{neverMet: p.Met == 0, tie: weekHash(f.Week, a, b)}
			if p.OneSided() {
				s.oneSided = max(p.AGave, p.BGave)
			}
			if m, ok := asks[[2]string{a, b}]; ok {
				s.asks, p.Words = m.Score, m.Words
			}
			cands = append(cands, candidate{p, s})
		}
	}
	slices.SortFunc(cands, func(x, y candidate) int { return comparePairScores(y.score, x.score) })
	paired := map[string]bool{}
	var pairs []Pair
	for _, c := range cands {
		if paired[c.pair.A] || paired[c.pair.B] {
			continue
		}
		paired[c.pair.A], paired[c.pair.B] = true, true
		c.pair.Rank = len(pairs)
		pairs = append(pairs, c.pair)
	}
	return pairs
}

// askAffinity scores each pair of members (in sorted order) whose asks match each other, as the
// better of the two ways round: a's ask read as a need against b's, and b's against a's.
func askAffinity(asks []Ask, members []string) map[[2]string]Match {
	in := map[string]bool{}
	for _, m := range members {
		in[m] = true
	}
	var mine []Ask
	for _, a := range asks {
		if in[a.Member] {
			mine = append(mine, a)
		}
	}
	out := map[[2]string]Match{}
	if len(mine) < 2 {
		return out
	}
	m := NewMatcher(mine)
	for _, a := range mine {
		for _, match := range m.Best(a.Text, len(mine), a.Member) {
			key := [2]string{a.Member, match.Member}
			if key[1] < key[0] {
				key[0], key[1] = key[1], key[0]
			}
			if prev, ok := out[key]; !ok || match.Score > prev.Score {
				out[key] = match
			}
		}
	}
	return out
}

// weekHash mixes the week into a pair's tie-breaker.
func weekHash(week, a, b string) uint64 {
	h := fnv.New64a()
	for _, s := range []string{week, a, b} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// SuggestedPair is one of a week's pairs as stored, and the 1:1 it suggests if one of the two
// booked it ("Book a 1:1"): who, and when.
type SuggestedPair struct {
	Pair
	BookedBy string
	BookedAt time.Time
}

// PairRefused is a "Book a 1:1" that was not recorded, for the handlers to word: Reason "booked"
// (one of the two booked it already: Pair says who), "stale" (the suggestion is of an earlier week
// than the latest), "missing" (no such pair that week, or no longer on record).
type PairRefused struct {
	Reason string
	Pair   SuggestedPair
}

func (e *PairRefused) Error() string {
	return fmt.Sprintf("book %s+%s refused: %s", e.Pair.A, e.Pair.B, e.Reason)
}
