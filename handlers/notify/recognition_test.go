package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
)

func TestShoutoutGolden(t *testing.T) {
	at := time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC)
	ref := rapport.Referral{
		Draft: rapport.Draft{Giver: "UALICE", Receiver: "UBOB",
			Prospect: rapport.Prospect{Name: "Dana Reyes", Company: "Reyes Bakery", Phone: "+14805550142", Email: "dana@example.com"}},
		Number: 12, Status: rapport.StatusWon, Value: 480000, Currency: "USD",
	}
	events := []rapport.Event{{At: at, Actor: "UBOB", Action: rapport.ActWon, From: rapport.StatusMeeting, To: rapport.StatusWon,
		Note: "Thank you Alice! <!channel>", Value: 480000}}
	for _, tt := range []struct {
		name   string
		public bool
	}{{"shoutout", false}, {"shoutout_value", true}} {
		t.Run(tt.name, func(t *testing.T) {
			p := shoutout(referralState{to: "C0WINS", ref: ref, events: events, set: rapport.Settings{PublicValues: tt.public}})
			golden(t, tt.name, p.Blocks)
			for _, secret := range []string{"Dana", "Reyes", "480555", "dana@example.com", "<!channel>"} {
				if s := messageJSON(t, p); strings.Contains(s, secret) {
					t.Errorf("the public shout-out carries %q", secret)
				}
			}
		})
	}
}

// messageJSON is a post as Slack would receive it: its text and blocks.
func messageJSON(t *testing.T, p bot.Delivery) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // so an unescaped "<!channel>" would show as such
	if err := enc.Encode(p.Blocks); err != nil {
		t.Fatal(err)
	}
	return p.Text + "\n" + b.String()
}
