package rapport_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

// groupAsks are the asks of a realistic chapter, one member each, written the way members write them.
var groupAsks = []rapport.Ask{
	{Member: "U01", Text: "Small business owners who need a CPA for tax returns, tax planning and IRS letters"},
	{Member: "U02", Text: "Bookkeeping and payroll for restaurants and contractors — QuickBooks cleanup too"},
	{Member: "U03", Text: "Homeowners with roof leaks, storm damage or an old roof that needs replacing"},
	{Member: "U04", Text: "Engaged couples planning a wedding in Scottsdale or Phoenix; introductions to wedding venues and florists"},
	{Member: "U05", Text: "Business owners renewing commercial insurance: general liability, workers comp, commercial auto"},
	{Member: "U06", Text: "Offices of 10-50 staff whose IT is a headache: managed IT services, network security, Microsoft 365 support"},
	{Member: "U07", Text: "Families relocating to the Valley, first-time home buyers, and anyone thinking of selling their house"},
	{Member: "U08", Text: "Home buyers who need a mortgage pre-approval or homeowners wanting to refinance"},
	{Member: "U09", Text: "Parents with young kids who don't have a will or trust yet; estate planning and probate"},
	{Member: "U10", Text: "People approaching retirement who want a second opinion on their 401k and retirement savings"},
	{Member: "U11", Text: "Water heater replacements, clogged drains, leaking pipes, and remodelers who need a licensed plumber"},
	{Member: "U12", Text: "Air conditioning repair and furnace tune-ups; property managers with HVAC headaches"},
	{Member: "U13", Text: "Local businesses with an outdated website: website design and SEO"},
	{Member: "U14", Text: "Headshots for professionals and teams; corporate event photography"},
	{Member: "U15", Text: "Anyone with back pain, neck pain, or sports injuries"},
	{Member: "U16", Text: "Office managers unhappy with their janitorial company; commercial cleaning for offices and clinics"},
	{Member: "U17", Text: "Signs, banners, vehicle wraps and printed marketing for events and storefronts"},
	{Member: "U18", Text: "HOAs and homeowners wanting landscape design, irrigation repair or weekly lawn care"},
	{Member: "U19", Text: "HR consulting: employee handbooks, hiring, and HR compliance for growing companies"},
	{Member: "U20", Text: "Families shopping for life insurance, or health insurance for the self-employed"},
	{Member: "U21", Text: "Anyone moving house or office: local moves, packing and storage"},
	{Member: "U22", Text: "Corporate lunches, office parties, and wedding catering"},
	{Member: "U23", Text: "Fleet owners and drivers who need brakes, oil changes or check-engine light diagnostics"},
	{Member: "U24", Text: "Social media management and Facebook ads for restaurants and retailers"},
	{Member: "U25", Text: "Business owners needing an SBA loan, line of credit, or a new business checking account"},
	{Member: "U26", Text: "Families looking for a new dentist; cosmetic dentistry and Invisalign"},
	{Member: "U27", Text: "Termite inspections for home sales, and homeowners with ants, roaches or scorpions"},
}

func TestMatcherBestFindsTheAsk(t *testing.T) {
	m := rapport.NewMatcher(groupAsks)
	for _, tc := range []struct {
		need     string
		member   string
		strength rapport.MatchStrength
		words    []string
	}{
		{"My neighbor's roof leaks after every storm", "U03", rapport.MatchStrong, []string{"roof", "storm", "leaks"}},
		{"looking for someone to do our books and payroll", "U02", rapport.MatchGood, []string{"payroll"}},
		{"Our restaurant's QuickBooks is a mess and payroll is late", "U02", rapport.MatchStrong, []string{"payroll", "QuickBooks", "restaurants"}},
		{"A friend just got engaged and is planning a wedding next spring", "U04", rapport.MatchStrong, []string{"Engaged", "wedding", "planning"}},
		{"Client's contractor business needs general liability and workers comp coverage", "U05", rapport.MatchStrong, []string{"general", "liability", "workers", "comp"}},
		{"Our office server keeps crashing and nobody manages our IT", "U06", rapport.MatchGood, []string{"IT", "Offices", "managed"}},
		{"Colleague is relocating here from Chicago with her family and wants to buy a house", "U07", rapport.MatchGood, []string{"relocating", "house", "Families"}},
		{"They want to refinance their home", "U08", rapport.MatchStrong, []string{"refinance", "Home"}},
		{"My sister and her husband have young kids and never set up a trust", "U09", rapport.MatchStrong, []string{"young", "kids", "trust"}},
		{"My dad retires next year and worries about his 401k", "U10", rapport.MatchGood, []string{"retirement", "401k"}},
		{"Water heater died this morning, need a plumber ASAP", "U11", rapport.MatchStrong, []string{"Water", "heater", "plumber"}},
		{"Air conditioning quit at our rental property, tenants are furious", "U12", rapport.MatchStrong, []string{"Air", "conditioning", "property"}},
		{"Their website looks like it's from 2005 and they get no leads", "U13", rapport.MatchStrong, []string{"website"}},
		{"Need new headshots for our sales team", "U14", rapport.MatchStrong, []string{"Headshots", "teams"}},
		{"My coworker has terrible back pain from golf", "U15", rapport.MatchStrong, []string{"back", "pain"}},
		{"The office manager at my client hates their janitorial service", "U16", rapport.MatchStrong, []string{"janitorial", "Office", "managers"}},
		{"They're opening a storefront and need a sign and a banner", "U17", rapport.MatchStrong, []string{"Signs", "banners", "storefronts"}},
		{"Our HOA is unhappy with the lawn care company", "U18", rapport.MatchStrong, []string{"HOAs", "lawn", "care"}},
		{"Growing startup needs an employee handbook before hiring", "U19", rapport.MatchStrong, []string{"employee", "handbooks", "hiring", "growing"}},
		{"Self-employed friend can't afford health insurance", "U20", rapport.MatchStrong, []string{"health", "self", "employed", "insurance"}},
		{"Need life insurance now that we have a baby", "U20", rapport.MatchStrong, []string{"life", "insurance"}},
		{"Moving our office across town next month", "U21", rapport.MatchGood, []string{"moving", "office"}},
		{"Need catering for a corporate lunch for 40 people", "U22", rapport.MatchStrong, []string{"lunches", "catering", "Corporate"}},
		{"Check engine light is on in my company van", "U23", rapport.MatchStrong, []string{"engine", "light", "check"}},
		{"Restaurant owner wants help with Facebook ads", "U24", rapport.MatchStrong, []string{"Facebook", "ads", "restaurants"}},
		{"Client needs an SBA loan to buy a second location", "U25", rapport.MatchStrong, []string{"SBA", "loan"}},
		{"Scorpions in the garage again", "U27", rapport.MatchGood, []string{"scorpions"}},
		{"Termite inspection for a home sale", "U27", rapport.MatchStrong, []string{"Termite", "inspections", "sales", "home"}},
		{"need a good accountant for my taxes", "U01", rapport.MatchGood, []string{"tax"}},
		// A need quoted from a message: the mention, the link (and its label) and the emoji are not words.
		{"<@U03> :wave: <https://photos.example/roof|photos> roof leaking again &amp; storm coming", "U03", rapport.MatchStrong, []string{"roof", "storm", "leaks"}},
	} {
		t.Run(tc.need, func(t *testing.T) {
			got := m.Best(tc.need, 3)
			if len(got) == 0 {
				t.Fatalf("no match, want %s", tc.member)
			}
			if got[0].Member != tc.member || got[0].Strength != tc.strength {
				t.Fatalf("first is %s (%v, %.3f), want %s (%v); all: %+v", got[0].Member, got[0].Strength, got[0].Score, tc.member, tc.strength, got)
			}
			if diff := cmp.Diff(tc.words, got[0].Words); diff != "" {
				t.Errorf("words (-want +got):\n%s", diff)
			}
			for _, g := range got {
				if g.Member != tc.member && g.Strength == rapport.MatchStrong {
					t.Errorf("%s is a strong match too (%.3f, %v): an incidental word passed the threshold", g.Member, g.Score, g.Words)
				}
			}
		})
	}
}

func TestMatcherBestNoMatch(t *testing.T) {
	m := rapport.NewMatcher(groupAsks)
	for _, need := range []string{
		"",
		"   ",
		"Anyone know a good dog groomer?",
		"Looking for a piano teacher for my daughter",
		"my client runs a small business and needs help",
		"Does anyone know someone who can help a local business owner?",
		"New family in town",
		":tada: <@U03> <#C01|roofing> <https://roof.example|roof pics> :house_with_garden:",
		"see https://www.roof.example/leaks or write to roof@storm.example",
		"open 365 days, 10 to 50 a day", // U06's "10-50" and "365" are numbers, not words
	} {
		t.Run(need, func(t *testing.T) {
			if got := m.Best(need, 3); len(got) != 0 {
				t.Errorf("matched %+v, want no match", got)
			}
		})
	}
}

// An incidental word can weigh as much as the need's point: both members are offered, for the giver
// to choose.
func TestMatcherBestOffersBothReadings(t *testing.T) {
	got := rapport.NewMatcher(groupAsks).Best("Just moved here and need a new dentist for the kids", 3)
	var members []string
	for _, g := range got {
		members = append(members, g.Member)
	}
	if !slices.Contains(members, "U26") || !slices.Contains(members, "U21") {
		t.Errorf("offered %v, want the dentist U26 and the mover U21 among them", members)
	}
}

func TestMatcherBestExcludes(t *testing.T) {
	m := rapport.NewMatcher(groupAsks)
	need := "Our restaurant's QuickBooks is a mess and payroll is late; their Facebook ads are a mess too"
	all := m.Best(need, len(groupAsks))
	if len(all) < 2 || all[0].Member != "U02" || all[1].Member != "U24" {
		t.Fatalf("Best = %+v, want U02 then U24", all)
	}
	got := m.Best(need, len(groupAsks), "U02")
	if len(got) == 0 || got[0].Member != "U24" {
		t.Fatalf("Best excluding U02 = %+v, want U24 first", got)
	}
	for _, g := range got {
		if g.Member == "U02" {
			t.Errorf("the excluded giver U02 was returned: %+v", got)
		}
	}
	if got := m.Best(need, 3, "U24", "U02"); len(got) != 0 {
		t.Errorf("Best excluding both = %+v, want none", got)
	}
}

func TestMatcherBestCount(t *testing.T) {
	m := rapport.NewMatcher(groupAsks)
	need := "Office move: our IT, the janitorial contract and the corporate lunch"
	if got := len(m.Best(need, 10)); got < 3 {
		t.Fatalf("Best(10) = %d matches, want at least 3 for this need", got)
	}
	for _, n := range []int{-1, 0, 1, 2} {
		if got := len(m.Best(need, n)); got != max(n, 0) {
			t.Errorf("Best(%d) = %d matches", n, got)
		}
	}
}

func TestMatcherFewAsks(t *testing.T) {
	for _, tc := range []struct {
		name string
		asks []rapport.Ask
		need string
		want []string
	}{
		{"NoAsks", nil, "roof repair", nil},
		{"OnlyEmptyAsks", []rapport.Ask{{Member: "UA"}, {Member: "UB", Text: ":wave: <@UA>"}}, "roof repair", nil},
		{"OneAsk", []rapport.Ask{{Member: "UA", Text: "Roofing and gutters"}}, "our roofs leak", []string{"UA"}},
		{"EmptyAskBesideOthers", []rapport.Ask{{Member: "UA", Text: ""}, {Member: "UB", Text: "Roofing and gutters"}}, "gutter cleaning", []string{"UB"}},
		{"NewestAskOfAMember", []rapport.Ask{
			{Member: "UA", Text: "Roofing and gutters", At: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
			{Member: "UA", Text: "Wedding photography", At: time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)},
			{Member: "UB", Text: "Catering"},
		}, "wedding photos", []string{"UA"}},
		{"OlderAskOfAMemberGone", []rapport.Ask{
			{Member: "UA", Text: "Roofing and gutters", At: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
			{Member: "UA", Text: "Wedding photography", At: time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)},
			{Member: "UB", Text: "Catering"},
		}, "roof leak", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, g := range rapport.NewMatcher(tc.asks).Best(tc.need, 3) {
				got = append(got, g.Member)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatcherTiesByMember(t *testing.T) {
	asks := []rapport.Ask{
		{Member: "UC", Text: "Roof repair and storm damage"},
		{Member: "UA", Text: "Storm damage and roof repair"},
		{Member: "UB", Text: "Wedding photography"},
	}
	reversed := []rapport.Ask{asks[2], asks[1], asks[0]}
	for _, as := range [][]rapport.Ask{asks, reversed} {
		got := rapport.NewMatcher(as).Best("roof storm damage", 3)
		if len(got) != 2 || got[0].Member != "UA" || got[1].Member != "UC" || got[0].Score != got[1].Score {
			t.Errorf("Best = %+v, want UA then UC with equal scores", got)
		}
	}
}

// Words are how the member wrote them in the ask, and what a stop word would hide in lower case
// counts when written as an acronym.
func TestMatcherWords(t *testing.T) {
	m := rapport.NewMatcher([]rapport.Ask{
		{Member: "UA", Text: "IT support for dental offices"},
		{Member: "UB", Text: "Café and bakery catering; crème brûlée for Zürich weddings"},
		{Member: "UC", Text: "Business checking account and SBA loans"},
		{Member: "UD", Text: "Guitar amp repair"},
	})
	for _, tc := range []struct{ need, member, words string }{
		{"our IT guy quit", "UA", "IT"},
		{"it keeps failing", "", ""},
		{"a cafe in zurich", "UB", "Café Zürich"},
		{"dessert: crème brûlée", "UB", "crème brûlée"},
		{"a good accountant", "", ""},
		{"Tom &amp; Jerry", "", ""},
	} {
		t.Run(tc.need, func(t *testing.T) {
			var member, words string
			if got := m.Best(tc.need, 1); len(got) == 1 {
				member = got[0].Member
				for i, w := range got[0].Words {
					if i > 0 {
						words += " "
					}
					words += w
				}
			}
			if member != tc.member || words != tc.words {
				t.Errorf("got %q %q, want %q %q", member, words, tc.member, tc.words)
			}
		})
	}
}

func TestMatcherBetter(t *testing.T) {
	m := rapport.NewMatcher(groupAsks)
	roof := "My neighbor's roof leaks after every storm"
	for _, tc := range []struct {
		name            string
		need            string
		giver, receiver string
		want            string // "" for no one to mention
	}{
		{"ReceiverUnrelated", roof, "U01", "U13", "U03"},
		{"ReceiverWeak", roof, "U01", "U11", "U03"}, // the plumber's "leaking pipes" is not a good match
		{"ReceiverIsTheMatch", roof, "U01", "U03", ""},
		{"GiverIsTheMatch", roof, "U03", "U11", ""},
		{"ReceiverGoodButNotBest", "Need new headshots for our sales team", "U01", "U27", ""},
		{"NoStrongMatch", "Our office server keeps crashing and nobody manages our IT", "U01", "U13", ""},
		{"NoMatchAtAll", "Anyone know a good dog groomer?", "U01", "U13", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := m.Better(tc.need, tc.giver, tc.receiver)
			if ok != (tc.want != "") || got.Member != tc.want {
				t.Fatalf("Better = %+v, %v; want %q", got, ok, tc.want)
			}
			if ok && (got.Strength != rapport.MatchStrong || len(got.Words) == 0) {
				t.Errorf("Better = %+v, want a strong match with its words", got)
			}
		})
	}
}

// BenchmarkMatcherBest is one keystroke batch of the referral form: one need against a group of 40.
func BenchmarkMatcherBest(b *testing.B) {
	m := rapport.NewMatcher(fortyAsks())
	need := "My neighbor's roof leaks after every storm and the ceiling in the kids' room is stained; she " +
		"also asked whether her homeowners insurance covers it"
	for b.Loop() {
		m.Best(need, 3, "U01")
	}
}

// BenchmarkNewMatcher is weighing the asks of a group of 40, once per form update when not cached.
func BenchmarkNewMatcher(b *testing.B) {
	asks := fortyAsks()
	for b.Loop() {
		rapport.NewMatcher(asks)
	}
}

func fortyAsks() []rapport.Ask {
	return append(slices.Clone(groupAsks),
		rapport.Ask{Member: "U28", Text: "Seniors downsizing into assisted living; estate sales and decluttering"},
		rapport.Ask{Member: "U29", Text: "Kitchen and bathroom remodels, and homeowners adding an ADU"},
		rapport.Ask{Member: "U30", Text: "Dog owners who travel: boarding, daycare and grooming"},
		rapport.Ask{Member: "U31", Text: "Trucking companies with DOT compliance or fleet insurance questions"},
		rapport.Ask{Member: "U32", Text: "Medical practices that need billing and credentialing help"},
		rapport.Ask{Member: "U33", Text: "Anyone buying or selling a business: valuations and M&A advice"},
		rapport.Ask{Member: "U34", Text: "Couples in conflict: family mediation and divorce coaching"},
		rapport.Ask{Member: "U35", Text: "Pool owners with green water, pump repairs or weekly pool service"},
		rapport.Ask{Member: "U36", Text: "Companies that want a keynote speaker or sales training for their team"},
		rapport.Ask{Member: "U37", Text: "Homeowners interested in solar panels and battery backup"},
		rapport.Ask{Member: "U38", Text: "Garage door repair, broken springs and new openers"},
		rapport.Ask{Member: "U39", Text: "Translators needed? Spanish and Portuguese legal and medical translation"},
		rapport.Ask{Member: "U40", Text: "Event venues and hotels that need AV, staging and lighting"},
	)
}

// TestMatcherCacheFollowsTheAsks: the same asks give the Matcher built before; a changed ask gives
// one that matches what it says now.
func TestMatcherCacheFollowsTheAsks(t *testing.T) {
	var c rapport.MatcherCache
	asks := slices.Clone(groupAsks)
	m := c.Matcher(asks)
	if c.Matcher(slices.Clone(groupAsks)) != m {
		t.Error("the same asks built a new Matcher")
	}
	asks[0].Text = "Vintage motorcycles and their owners"
	need := "a friend restores old motorcycles"
	if got := c.Matcher(asks).Best(need, 1); len(got) != 1 || got[0].Member != "U01" {
		t.Errorf("after U01 changed their ask, Best(%q) = %+v; want U01", need, got)
	}
	for _, mt := range m.Best(need, 3) {
		if mt.Member == "U01" {
			t.Errorf("the first Matcher changed with the asks: %+v", mt)
		}
	}
}
