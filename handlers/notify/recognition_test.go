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
	passed := ref
	passed.Receiver, passed.PassedBy, passed.PassedOf, passed.Number = "UDAVE", "UBOB", 11, 12
	for _, tt := range []struct {
		name   string
		ref    rapport.Referral
		public bool
		thanks []string // the members mentioned and thanked
	}{
		{"shoutout", ref, false, []string{"<@UALICE> for the referral", "<@UBOB> for following it through"}},
		{"shoutout_value", ref, true, []string{"<@UALICE> for the referral", "<@UBOB> for following it through"}},
		{"shoutout_passed", passed, false, []string{"<@UALICE> for the referral", "<@UBOB> for passing it on", "<@UDAVE> for following it through"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := shoutout(referralState{to: "C0WINS", ref: tt.ref, events: events, set: rapport.Settings{PublicValues: tt.public}})
			golden(t, tt.name, p.Blocks)
			for _, want := range append(tt.thanks, `says:\n>Thank you Alice! &lt;!channel&gt;`) {
				if s := unescapeHTML(messageJSON(t, p)); !strings.Contains(s, want) {
					t.Errorf("the shout-out lacks %q:\n%s", want, s)
				}
			}
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
