package notify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
)

var leaderTiming = rapport.Timing{FollowUpSLA: 24 * time.Hour, ReportBackAfter: 7 * 24 * time.Hour}

func openRef(n int64, receiver string, st rapport.Status, created, last time.Time) rapport.OpenReferral {
	r := homeRef(n, "UALICE", receiver, st, created)
	r.Updated = last // its last change of status
	return rapport.OpenReferral{Referral: r, LastEvent: last}
}

// The leader's view: by receiver, the receivers with something overdue first; within one, the
// overdue first, then the oldest; each line with its stage, age and what is overdue.
func TestOpenViewOrderAndMarks(t *testing.T) {
	now := homeNow
	ago := func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }
	v := OpenView{Timing: leaderTiming, Now: now, Total: 5, Open: []rapport.OpenReferral{
		openRef(1, "UCAROL", rapport.StatusContacted, ago(400), ago(200)), // report overdue (> 168h)
		openRef(2, "UBOB", rapport.StatusAccepted, ago(300), ago(100)),    // fine
		openRef(3, "UDAVE", rapport.StatusNew, ago(50), ago(50)),          // no step for 50h: overdue
		openRef(4, "UBOB", rapport.StatusNew, ago(30), ago(30)),           // overdue
		openRef(5, "UBOB", rapport.StatusNew, ago(2), ago(2)),             // fine
	}}
	blocks := OpenBlocks(v, 100, 49, 0)
	var lines []string
	for _, b := range blocks {
		if s, ok := b.(*slack.SectionBlock); ok {
			lines = append(lines, s.Text.Text)
		}
	}
	got := regexp.MustCompile(`<@U[A-Z]+>\* · \d open|R-\d`).FindAllString(strings.Join(lines, "\n"), -1)
	// Everyone has something overdue: then by their first line's age (Carol's R-1 400h, Dave's
	// R-3 50h, Bob's R-4 30h); Bob's overdue R-4 before his older R-2.
	want := "<@UCAROL>* · 1 open R-1 <@UDAVE>* · 1 open R-3 <@UBOB>* · 3 open R-4 R-2 R-5"
	if strings.Join(got, " ") != want {
		t.Errorf("order = %v\nwant %s", got, want)
	}
	text := strings.Join(lines, "\n")
	for _, w := range []string{"*Report overdue*: no news for 8d", "*Follow-up overdue*: no step for 2d", "*<@UBOB>* · 3 open · *1 overdue*", "*Accepted* · 12d old"} {
		if !strings.Contains(text, w) {
			t.Errorf("no %q in:\n%s", w, text)
		}
	}
	if strings.Count(text, "overdue*:") != 3 {
		t.Errorf("want 3 overdue marks:\n%s", text)
	}
	if s := v.OpenSummary(); !strings.Contains(s, "*5 open referrals*, 3 overdue") {
		t.Errorf("summary = %q", s)
	}
}

// Hundreds of open referrals still fit an ephemeral ack (50 blocks, 20 KB) and the admins' Home
// (100 blocks), with a count of the rest.
func TestOpenBlocksStayWithinLimits(t *testing.T) {
	var open []rapport.OpenReferral
	for i := range OpenRead {
		at := homeNow.Add(-time.Duration(OpenRead-i) * time.Hour)
		r := openRef(int64(i+1), fmt.Sprintf("U%03d", i%40), rapport.StatusNew, at, at)
		r.Prospect.Name = strings.Repeat("&", 80) // escaped, clipped
		r.Prospect.Company = strings.Repeat("<", 80)
		open = append(open, r)
	}
	v := OpenView{Open: open, Total: 900, Timing: leaderTiming, Now: homeNow}
	blocks := append([]slack.Block{}, OpenBlocks(v, 1000, 49, 16*1024)...)
	b, err := json.Marshal(map[string]any{"envelope_id": "1234567890", "payload": map[string]any{"text": v.OpenSummary(), "blocks": blocks}})
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) > 49 || len(b) >= 20*1024 {
		t.Errorf("%d blocks, %d bytes: over an ephemeral ack's limits", len(blocks), len(b))
	}
	last, _ := blocks[len(blocks)-1].(*slack.ContextBlock)
	if last == nil || !strings.Contains(viewJSON(t, last), "more open referrals_") {
		t.Errorf("no count of the rest; last block %s", viewJSON(t, blocks[len(blocks)-1]))
	}

	hc := homeCtx(t, "a notice")
	hc.open = &v
	home := homeView("UBOB", rapport.HomeData{Opened: true}, hc)
	if n := len(home.Blocks.BlockSet); n > 100 {
		t.Errorf("%d blocks in the admin's Home; Slack allows 100", n)
	}
	if s := viewJSON(t, home); strings.Count(s, ActionNudge) != homeOpenTop || !strings.Contains(s, "_and 880 more open referrals_") {
		t.Errorf("the admin's Home lists %d referrals; want %d and a count", strings.Count(s, ActionNudge), homeOpenTop)
	}
}

func TestHomeAdminGolden(t *testing.T) {
	st := newSampleStore()
	st.members = []rapport.Member{{ID: "UOWNER", Admin: true}, {ID: "UBOB"}}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 17, 0, 0, 0, time.UTC) }
	st.open = []rapport.OpenReferral{
		openRef(3, "UBOB", rapport.StatusContacted, day(1), day(2)),
		openRef(4, "UBOB", rapport.StatusNew, day(12), day(12)),
		openRef(7, "UCAROL", rapport.StatusNew, day(14), homeNow.Add(-time.Hour)),
	}
	c := sampleCatalogue(st, sampleSettings)
	for _, tt := range []struct {
		to    string
		admin bool
	}{{"UADMIN", true}, {"UOWNER", true}, {"UBOB", false}, {"UNOBODY", false}} {
		p, owed, err := c.Render(t.Context(), "T1", rapport.OutboxEntry{ID: "1-1", Kind: Home.Kind, To: tt.to})
		if err != nil || !owed {
			t.Fatalf("Render home of %s = %v, %v", tt.to, owed, err)
		}
		if got := strings.Contains(viewJSON(t, p.Home), "Open referrals (admins)"); got != tt.admin {
			t.Errorf("Home of %s shows the admins' section: %v; want %v", tt.to, got, tt.admin)
		}
		if tt.to == "UOWNER" {
			golden(t, "home_admin", p.Home)
		}
	}
}
