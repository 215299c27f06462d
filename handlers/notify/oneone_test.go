package notify

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

// TestOneOnOneNotices: a recorded 1:1 asks its partner alone; each answer tells the recorder, and a
// confirmed one redraws both members' Homes (their numbers moved); no referral's message is owed.
func TestOneOnOneNotices(t *testing.T) {
	tests := []struct {
		st   rapport.OneOnOneStatus
		want []rapport.Notice
	}{
		{rapport.OneOnOnePending, []rapport.Notice{{Kind: "oneone.ask", To: rapport.RolePartner}}},
		{rapport.OneOnOneConfirmed, []rapport.Notice{{Kind: "oneone.confirmed", To: rapport.RoleRecorder},
			{Kind: "home", To: rapport.RoleRecorder}, {Kind: "home", To: rapport.RolePartner}}},
		{rapport.OneOnOneDeclined, []rapport.Notice{{Kind: "oneone.declined", To: rapport.RoleRecorder}}},
		{rapport.OneOnOneExpired, []rapport.Notice{{Kind: "oneone.expired", To: rapport.RoleRecorder}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.st), func(t *testing.T) {
			if d := cmp.Diff(tt.want, OneOnOneNotices(tt.st)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestOneOnOneAskNoLongerOwed: the partner's request is settled without a message once the 1:1
// was answered or expired; each answer's notice stays owed in its own status.
func TestOneOnOneAskNoLongerOwed(t *testing.T) {
	for _, st := range []rapport.OneOnOneStatus{rapport.OneOnOneConfirmed, rapport.OneOnOneDeclined, rapport.OneOnOneExpired} {
		store := newSampleStore()
		store.oneone.Status = st
		c := sampleCatalogue(store, sampleSettings)
		e := rapport.OutboxEntry{ID: "1-1", Kind: OneOnOneAsk.Kind, To: "UBOB", Fields: map[string]string{rapport.EntryOneOnOne: "7"}}
		if _, owed, err := c.Render(t.Context(), "T1", e); err != nil || owed {
			t.Errorf("the request of a %s 1:1: owed %v, %v; want settled", st, owed, err)
		}
		e.Kind, e.To = "oneone."+string(st), "UALICE"
		if _, owed, err := c.Render(t.Context(), "T1", e); err != nil || !owed {
			t.Errorf("the %s notice: owed %v, %v; want it", st, owed, err)
		}
	}
}
