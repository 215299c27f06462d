package rapport_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

// TestExpire: Rapport's own action closes any open status as expired, is no member's to take, and
// an expired referral is closed (no nudges, no duplicate-prospect warning).
func TestExpire(t *testing.T) {
	a := rapport.ActExpire
	if a.Actor() != rapport.RoleSystem {
		t.Errorf("expire: actor %s; want Rapport's alone", a.Actor())
	}
	for _, s := range rapport.Statuses {
		if got, ok := a.Moves()[s]; ok != s.Open() || ok && got != rapport.StatusExpired {
			t.Errorf("expire from %s: %s, %v", s, got, ok)
		}
	}
	if rapport.StatusExpired.Open() || rapport.StatusExpired.Label() != "Expired" {
		t.Error("expired must be closed, and labelled")
	}
	if _, err := rapport.ParseStatus("expired"); err != nil {
		t.Error(err)
	}
	if _, _, ok := (rapport.Timing{}).FirstReminder(rapport.StatusExpired, time.Time{}); ok {
		t.Error("an expired referral owes a reminder")
	}
}
