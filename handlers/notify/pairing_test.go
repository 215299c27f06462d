package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

// TestRunPairing: off by default; once its time of the week came in the group's zone, the pairs
// chosen from the store's facts are queued with a suggestion to each member of each pair, the
// week claimed once; numbers being rebuilt hold it back.
func TestRunPairing(t *testing.T) {
	phx, _ := time.LoadLocation("America/Phoenix")
	mon9 := time.Date(2026, 3, 2, 9, 0, 0, 0, phx) // Monday of ISO week 2026-W10
	set := rapport.Settings{TimeZone: phx}
	st := newSampleStore()
	st.pairing = rapport.PairingFacts{Members: []string{"UALICE", "UBOB", "UCAROL", "UDAVE", "UERIN"},
		Given: map[string]map[string]int{"UCAROL": {"UERIN": 2}}}

	if err := sampleCatalogue(st, set).RunPairing(t.Context(), mon9); err != nil || len(st.paired) != 0 {
		t.Fatalf("with no schedule: %v, %v; want nothing", st.paired, err)
	}
	set.PairingSchedule = "0 9 * * 1"
	c := sampleCatalogue(st, set)
	if err := c.RunPairing(t.Context(), mon9.Add(-time.Minute)); err != nil || len(st.paired) != 0 {
		t.Fatalf("a minute early: %v, %v; want nothing", st.paired, err)
	}
	st.rebuilding = true
	if err := c.RunPairing(t.Context(), mon9); err != nil || len(st.paired) != 0 {
		t.Fatalf("while the numbers are rebuilt: %v, %v; want nothing", st.paired, err)
	}
	st.rebuilding = false
	if err := c.RunPairing(t.Context(), mon9.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	pairs := st.paired["2026-W10"]
	if len(pairs) != 2 || pairs[0].A != "UCAROL" || pairs[0].B != "UERIN" || pairs[0].AGave != 2 {
		t.Fatalf("pairs %+v; want Carol and Erin first (one-sided), and one more", pairs)
	}
	var got []string
	for _, m := range st.pairMsg {
		var p rapport.Pair
		if err := json.Unmarshal([]byte(m.Fields[rapport.EntryBody]), &p); err != nil || !p.Has(m.To) || m.Fields[fieldWeek] != "2026-W10" {
			t.Errorf("entry %+v: %v", m, err)
		}
		got = append(got, m.Kind+">"+m.To)
	}
	want := []string{"pairing.suggested>UCAROL", "pairing.suggested>UERIN", "pairing.suggested>" + pairs[1].A, "pairing.suggested>" + pairs[1].B}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if err := c.RunPairing(t.Context(), mon9.Add(50*time.Hour)); err != nil || len(st.pairMsg) != 4 {
		t.Errorf("later that week: %d messages, %v; want the week's 4 only", len(st.pairMsg), err)
	}
}

// TestPairReasons: each member reads why from their side: who sent whom referrals never returned,
// never met, matching asks (escaped); two who met and are even are told to catch up.
func TestPairReasons(t *testing.T) {
	p := rapport.Pair{A: "UALICE", B: "UBOB", AGave: 1, Words: []string{"roofs", "<!channel>"}}
	tests := []struct {
		name string
		p    rapport.Pair
		me   string
		want []string
	}{
		{"Receiver", p, "UBOB", []string{"<@UALICE> sent you 1 referral you haven't returned yet: learn what they're looking for.",
			"You two have never had a 1:1.", "<@UALICE>'s ask matches yours: *roofs*, *&lt;!channel&gt;*"}},
		{"Giver", p, "UALICE", []string{"You sent <@UBOB> 1 referral they haven't returned yet: tell them what you're looking for.",
			"You two have never had a 1:1.", "<@UBOB>'s ask matches yours: *roofs*, *&lt;!channel&gt;*"}},
		{"MetAndEven", rapport.Pair{A: "UALICE", B: "UBOB", AGave: 2, BGave: 2, Met: 3}, "UBOB",
			[]string{"You've met <@UALICE> before: catch up on what each of you is looking for now."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PairReasons(tt.p, tt.me)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := PairSummary(p); got != "<@UALICE> sent <@UBOB> 1 unreturned · never had a 1:1 · asks match: *roofs*, *&lt;!channel&gt;*" {
		t.Errorf("PairSummary = %q", got)
	}
	if _, _, ok := ParseBookValue("2026-W10"); ok {
		t.Error("a value without a member read as a booking")
	}
	if wk, with, ok := ParseBookValue(BookValue("2026-W10", "UBOB")); !ok || wk != "2026-W10" || with != "UBOB" {
		t.Errorf("ParseBookValue(BookValue) = %q, %q, %v", wk, with, ok)
	}
	if s := strings.Join(PairReasons(rapport.Pair{A: "UA", B: "UB", Met: 1, Words: []string{" "}}, "UA"), " "); strings.Contains(s, "ask") {
		t.Errorf("an empty word named as a match: %q", s)
	}
}
