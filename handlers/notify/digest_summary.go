package notify

import (
	"slices"
	"sort"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/kit"
)

// weekly is a computed digest: what the group did in the 7 days [From, To). It travels in its outbox
// entry as JSON, so the message says what was true at the scheduled time however late it goes out.
// It names members only, never a prospect (the digest is public: rule 10).
type weekly struct {
	From      time.Time            `json:"from"`
	To        time.Time            `json:"to"`
	Hot       int                  `json:"hot"`
	Warm      int                  `json:"warm"`
	Leads     int                  `json:"leads"`
	PassedOn  int                  `json:"passed_on"`            // referrals passed on, apart from given (rule 12)
	TopGivers []rapport.GiverCount `json:"top_givers,omitempty"` // most hot referrals given
	Closed    int                  `json:"closed"`               // business closed in the week
	Value     map[string]int64     `json:"value,omitempty"`      // its value by currency, minor units
	ClosedBy  []string             `json:"closed_by,omitempty"`  // givers of that business, most value first
	Thanked   []thanked            `json:"thanked,omitempty"`    // /refer thanks in the week, most thanked first
	Vouches   int                  `json:"vouches"`              // /refer vouch in the week (rule 17)
	Vouched   []string             `json:"vouched,omitempty"`    // the members recommended, most first
	OneOnOnes int                  `json:"one_to_ones"`          // confirmed 1:1s held in the week, each once
	MetMost   []memberCount        `json:"met_most,omitempty"`   // the members who had the most (two or more), at most 3
	Asks      []rapport.Ask        `json:"asks,omitempty"`       // newest first
	Overdue   int                  `json:"overdue"`              // open referrals still new past the follow-up SLA
	SLA       time.Duration        `json:"sla"`
}

// memberCount is a member and how many of something they had.
type memberCount struct {
	Member string `json:"member"`
	Count  int    `json:"count"`
}

// thanked is a member thanked in public, and by whom.
type thanked struct {
	Member string   `json:"member"`
	By     []string `json:"by"`
}

// Given is the week's referrals given, whatever their temperature.
func (d weekly) Given() int { return d.Hot + d.Warm + d.Leads }

// summarize computes the digest of the days [from, to) from their numbers and the current asks (span).
func summarize(span rapport.Span, set rapport.Settings, from, to time.Time) weekly {
	d := weekly{From: from, To: to, SLA: set.FollowUpSLA}
	for _, g := range span.Board.Givers {
		d.Hot += g.Hot
		d.Warm += g.Warm
		d.Leads += g.Cold
		d.PassedOn += g.PassedOn
		if g.Hot > 0 && len(d.TopGivers) < 3 {
			d.TopGivers = append(d.TopGivers, g)
		}
	}
	for _, c := range span.Board.Closed {
		d.Closed += c.Count
		d.ClosedBy = append(d.ClosedBy, c.Member)
	}
	// The board adds values across currencies; the digest keeps each currency apart.
	for cur, v := range span.Value {
		if d.Value == nil {
			d.Value = map[string]int64{}
		}
		d.Value[currencyOr(cur, set.Currency)] += v
	}
	if set.FollowUpSLA > 0 {
		d.Overdue = span.Waiting
	}
	d.Thanked = thankedList(span.Thanks)
	d.Vouches = len(span.Vouches)
	for _, t := range thankedList(span.Vouches) {
		d.Vouched = append(d.Vouched, t.Member)
	}
	d.OneOnOnes = span.OneOnOnes
	for m, n := range span.Met {
		if n > 1 { // one each is no ranking
			d.MetMost = append(d.MetMost, memberCount{Member: m, Count: n})
		}
	}
	sort.Slice(d.MetMost, func(i, j int) bool {
		if d.MetMost[i].Count != d.MetMost[j].Count {
			return d.MetMost[i].Count > d.MetMost[j].Count
		}
		return d.MetMost[i].Member < d.MetMost[j].Member
	})
	d.MetMost = kit.First(d.MetMost, digestMetMost)
	for _, a := range span.Asks {
		if len(d.Asks) == digestAsks {
			break
		}
		if a.Text != "" {
			d.Asks = append(d.Asks, a)
		}
	}
	return d
}

func currencyOr(c, def string) string {
	if c == "" {
		return def
	}
	return c
}

// thankedList groups thank-yous by the member thanked, most thanked first, each thanker once.
func thankedList(thanks []rapport.Recognition) []thanked {
	by := map[string]*thanked{}
	var order []*thanked
	for _, r := range thanks {
		t := by[r.To]
		if t == nil {
			t = &thanked{Member: r.To}
			by[r.To] = t
			order = append(order, t)
		}
		if !slices.Contains(t.By, r.From) {
			t.By = append(t.By, r.From)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return len(order[i].By) > len(order[j].By) })
	out := make([]thanked, len(order))
	for i, t := range order {
		out[i] = *t
	}
	return out
}
