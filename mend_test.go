package rapport_test

import (
	"testing"

	"github.com/rapportbot/rapport"
)

// TestNoteAllowed: the receiver may add a note once they took a step and while the referral is
// theirs; never on one they passed on, one the giver withdrew, or one Rapport closed as expired.
func TestNoteAllowed(t *testing.T) {
	want := map[rapport.Status]bool{
		rapport.StatusAccepted: true, rapport.StatusContacted: true, rapport.StatusMeeting: true,
		rapport.StatusWon: true, rapport.StatusLost: true, rapport.StatusDeclined: true,
	}
	for _, s := range rapport.Statuses {
		if got := rapport.NoteAllowed(s); got != want[s] {
			t.Errorf("NoteAllowed(%s) = %v; want %v", s, got, want[s])
		}
	}
}
