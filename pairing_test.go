package rapport

import (
	"fmt"
	"slices"
	"testing"
)

// group30 is a group of 30 with a known history: who gave whom referrals, who met whom, and a few
// asks. M28 and M29 did not opt in to pairing.
func group30() PairingFacts {
	f := PairingFacts{Given: map[string]map[string]int{}, Met: map[string]map[string]int{}, Week: "2026-12-07"}
	for i := range 28 {
		f.Members = append(f.Members, fmt.Sprintf("M%02d", i))
	}
	give := func(from, to string, n int) {
		if f.Given[from] == nil {
			f.Given[from] = map[string]int{}
		}
		f.Given[from][to] += n
	}
	meet := func(a, b string) {
		for _, p := range [][2]string{{a, b}, {b, a}} {
			if f.Met[p[0]] == nil {
				f.Met[p[0]] = map[string]int{}
			}
			f.Met[p[0]][p[1]]++
		}
	}
	give("M01", "M02", 5) // M01 sent M02 five referrals, never returned: the most one-sided
	give("M03", "M04", 2) // two, never returned
	give("M05", "M06", 1) // one, never returned
	give("M07", "M08", 3) // a two-way relationship: not one-sided
	give("M08", "M07", 2)
	give("M29", "M09", 9) // one-sided, but M29 did not opt in
	// Everybody among M10–M27 has met everybody else there except M10 and M11, who never met.
	for i := 10; i < 28; i++ {
		for j := i + 1; j < 28; j++ {
			if i != 10 || j != 11 {
				meet(fmt.Sprintf("M%02d", i), fmt.Sprintf("M%02d", j))
			}
		}
	}
	f.Asks = []Ask{
		{Member: "M12", Text: "Introductions to wedding planners and event venues in Scottsdale"},
		{Member: "M13", Text: "Couples planning a wedding who need a florist or an event venue"},
		{Member: "M14", Text: "Small businesses that need their books and payroll done"},
	}
	return f
}

// TestSuggestPairs checks a week's pairs over a group of 30 with a known history: only members who
// opted in, each at most once, one-sided relationships first (the most one-sided before the
// others), then members who never met, then members whose asks match.
func TestSuggestPairs(t *testing.T) {
	f := group30()
	pairs := SuggestPairs(f)
	seen := map[string]bool{}
	for _, p := range pairs {
		for _, m := range []string{p.A, p.B} {
			if !slices.Contains(f.Members, m) {
				t.Errorf("%s paired but did not opt in", m)
			}
			if seen[m] {
				t.Errorf("%s suggested twice in one week", m)
			}
			seen[m] = true
		}
	}
	if len(pairs) != len(f.Members)/2 {
		t.Errorf("%d pairs for %d members; want %d", len(pairs), len(f.Members), len(f.Members)/2)
	}
	want := []Pair{
		{A: "M01", B: "M02", AGave: 5},
		{A: "M03", B: "M04", AGave: 2},
		{A: "M05", B: "M06", AGave: 1},
	}
	if len(pairs) < 3 || !slices.EqualFunc(pairs[:3], want, func(a, b Pair) bool {
		return a.A == b.A && a.B == b.B && a.AGave == b.AGave && a.BGave == b.BGave
	}) {
		t.Fatalf("first pairs = %+v; want the one-sided relationships, most one-sided first: %+v", pairs[:min(3, len(pairs))], want)
	}
	for _, p := range pairs[:3] {
		if !p.OneSided() {
			t.Errorf("%+v not seen as one-sided", p)
		}
	}
	if p := pairs[3]; p.OneSided() || p.Met != 0 {
		t.Errorf("fourth pair %+v; want a pair who never met, once the one-sided ones are taken", p)
	}
	// Among M10–M27 only M10 and M11 never met.
	pairOf := func(m string) Pair {
		for _, p := range pairs {
			if p.A == m || p.B == m {
				return p
			}
		}
		t.Fatalf("%s has no pair", m)
		return Pair{}
	}
	if p := pairOf("M10"); p.Partner("M10") != "M11" || p.Met != 0 {
		t.Errorf("M10 paired as %+v; want with M11, the one member M10 never met", p)
	}
	if p := pairOf("M07"); p.OneSided() {
		t.Errorf("M07 paired as %+v: a two-way relationship is not one-sided", p)
	}
}

// TestSuggestPairsAsksMatch checks the third preference: among members equal in the first two
// (nobody gave anybody a referral, nobody met), those whose asks match are paired, and the pair says
// by which words.
func TestSuggestPairsAsksMatch(t *testing.T) {
	f := PairingFacts{Members: []string{"UA", "UB", "UC", "UD"}, Week: "2026-12-07", Asks: []Ask{
		{Member: "UA", Text: "Introductions to wedding planners and event venues in Scottsdale"},
		{Member: "UB", Text: "Plumbing repairs for restaurants"},
		{Member: "UC", Text: "Couples planning a wedding who need a florist or an event venue"},
		{Member: "UD", Text: "Small businesses that need their books and payroll done"},
	}}
	for _, week := range []string{"2026-12-07", "2026-12-14", "2026-12-21"} {
		f.Week = week
		pairs := SuggestPairs(f)
		if len(pairs) != 2 || pairs[0].A != "UA" || pairs[0].B != "UC" || len(pairs[0].Words) == 0 {
			t.Errorf("week %s: pairs %+v; want UA with UC first, by the words their asks share", week, pairs)
		}
	}
}

// TestSuggestPairsWeekAfterWeek checks that over eight weeks no pair comes twice in a row, every
// member who opted in is suggested someone every week (the group is even), and that the same week
// gives the same pairs (two replicas agree).
func TestSuggestPairsWeekAfterWeek(t *testing.T) {
	f := group30()
	for w := range 8 {
		f.Week = fmt.Sprintf("2026-W%02d", w+1)
		pairs := SuggestPairs(f)
		if again := SuggestPairs(f); !slices.Equal(pairs2str(pairs), pairs2str(again)) {
			t.Fatalf("week %s: two runs disagree:\n%v\n%v", f.Week, pairs2str(pairs), pairs2str(again))
		}
		if len(pairs) != len(f.Members)/2 {
			t.Errorf("week %s: %d pairs for %d members", f.Week, len(pairs), len(f.Members))
		}
		last := map[string]string{}
		for _, p := range pairs {
			if f.Last[p.A] == p.B {
				t.Errorf("week %s: %s and %s again, as the week before", f.Week, p.A, p.B)
			}
			last[p.A], last[p.B] = p.B, p.A
		}
		f.Last = last
	}
}

// TestSuggestPairsSmall covers the edges: nobody, one member, two members who met last week, and
// three members (one left out).
func TestSuggestPairsSmall(t *testing.T) {
	for _, tt := range []struct {
		name    string
		members []string
		last    map[string]string
		want    int
	}{
		{"Nobody", nil, nil, 0},
		{"One", []string{"U1"}, nil, 0},
		{"TwoPairedLastWeek", []string{"U1", "U2"}, map[string]string{"U1": "U2", "U2": "U1"}, 0},
		{"Three", []string{"U1", "U2", "U3"}, nil, 1},
		{"TwiceListed", []string{"U1", "U1", "U2"}, nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := SuggestPairs(PairingFacts{Members: tt.members, Last: tt.last}); len(got) != tt.want {
				t.Errorf("%d pairs (%v); want %d", len(got), pairs2str(got), tt.want)
			}
		})
	}
}

func pairs2str(ps []Pair) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.A + "+" + p.B
	}
	return out
}
