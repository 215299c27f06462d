package rapport_test

import (
	"slices"
	"testing"

	"github.com/rapportbot/rapport"
)

func TestFactsTemperature(t *testing.T) {
	tests := []struct {
		facts rapport.Facts
		want  rapport.Temperature
	}{
		{rapport.Facts{Spoke: true, MayShare: true, Expects: true}, rapport.Hot},
		{rapport.Facts{Spoke: true, MayShare: true}, rapport.Warm},
		{rapport.Facts{Expects: true}, rapport.Warm},
		{rapport.Facts{}, rapport.Cold},
	}
	for _, tt := range tests {
		if got := tt.facts.Temperature(); got != tt.want {
			t.Errorf("%+v.Temperature() = %q, want %q", tt.facts, got, tt.want)
		}
	}
}

func TestStatusOpen(t *testing.T) {
	open := map[rapport.Status]bool{
		rapport.StatusNew: true, rapport.StatusAccepted: true, rapport.StatusContacted: true,
		rapport.StatusMeeting: true, rapport.StatusWon: false, rapport.StatusLost: false,
		rapport.StatusDeclined: false, rapport.StatusPassed: false, rapport.StatusWithdrawn: false,
	}
	for s, want := range open {
		if got := s.Open(); got != want {
			t.Errorf("%s.Open() = %v, want %v", s, got, want)
		}
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"R-12", 12, true}, {"r-7", 7, true}, {"42", 42, true}, {" R-3 ", 3, true},
		{"R-0", 0, false}, {"R-", 0, false}, {"R-x", 0, false}, {"", 0, false}, {"-4", 0, false},
	}
	for _, tt := range tests {
		got, ok := rapport.ParseID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := rapport.FormatID(12); got != "R-12" {
		t.Errorf("FormatID(12) = %q", got)
	}
}

// TestCorrectionNeverReopensPassed: an admin's correction may start from any status but passed on,
// which lives on as the new receiver's referral, and never leads to passed on, which only a pass
// on makes (with the new receiver's referral: a correction to it would count a pass on that
// nobody could ever undo).
func TestCorrectionNeverReopensPassed(t *testing.T) {
	for _, to := range rapport.Statuses {
		targets := rapport.Move{Action: rapport.ActCorrect, To: to}.Targets()
		if _, ok := targets[rapport.StatusPassed]; ok {
			t.Errorf("a correction to %s may start from passed on", to)
		}
		if to == rapport.StatusPassed {
			if len(targets) != 0 {
				t.Errorf("a correction to passed on may start from %v; want none", targets)
			}
			continue
		}
		if _, ok := targets[rapport.StatusWon]; !ok && to != rapport.StatusWon {
			t.Errorf("a correction to %s may not start from won", to)
		}
	}
}

// TestGroupAdmins: the group's admins are the configured ones and the workspace's admins and
// owners who can be written to, each once.
func TestGroupAdmins(t *testing.T) {
	members := []rapport.Member{
		{ID: "UOWNER", Admin: true}, {ID: "UGONE", Admin: true, Deleted: true}, {ID: "UBOTADMIN", Admin: true, IsBot: true},
		{ID: "UDAVE"}, {ID: "UANN"},
	}
	got := rapport.GroupAdmins([]string{"UDAVE", "UCFG"}, members)
	if want := []string{"UCFG", "UDAVE", "UOWNER"}; !slices.Equal(got, want) {
		t.Errorf("GroupAdmins = %v; want %v", got, want)
	}
	if !(rapport.Member{ID: "UCFG"}).GroupAdmin([]string{"UCFG"}) || (rapport.Member{ID: "UANN"}).GroupAdmin([]string{"UCFG"}) {
		t.Error("GroupAdmin: a configured admin is one, a plain member is not")
	}
}
