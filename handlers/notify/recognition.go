package notify

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// shoutout thanks the giver and the receiver of closed business in public (rule 4), by mention,
// and the member who passed it on, if one did. It names no prospect: public posts carry neither
// contact details nor who the client was.
func shoutout(s referralState) bot.Delivery {
	ref, events := s.ref, s.events
	g, r := kit.Mention(ref.Giver), kit.Mention(ref.Receiver)
	text := fmt.Sprintf(":tada: *Closed business!* %s closed business from a referral by %s (%s). Thank you both: %s for the referral, %s for following it through!",
		r, g, ref.ID(), g, r)
	if ref.PassedBy != "" {
		p := kit.Mention(ref.PassedBy)
		text = fmt.Sprintf(":tada: *Closed business!* %s closed business from a referral by %s, passed on by %s (%s). Thank you all: %s for the referral, %s for passing it on, %s for following it through!",
			r, g, p, ref.ID(), g, p, r)
	}
	blocks := []slack.Block{kit.Section(text)}
	if s.set.PublicValues && ref.Value > 0 {
		blocks = append(blocks, kit.Section("*Value:* "+kit.Money(ref.Value, ref.Currency)))
	}
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Action == rapport.ActWon {
			if e.Note != "" {
				blocks = append(blocks, kit.Section(r+" says:\n"+kit.Quote(e.Note)))
			}
			break
		}
	}
	blocks = append(blocks, kit.Context("Give a referral with `/refer`; thank anyone with `/refer thanks @member …`"))
	return bot.Delivery{Channel: s.to, Text: text, Blocks: blocks, Slot: SlotShoutout}
}

// closed: a thank-you for closed business is owed while the business stays closed (an undo before
// it went out means there is nothing to celebrate).
func closed(s referralState) bool { return s.ref.Status == rapport.StatusWon }

// shoutoutWithdrawn is what the public thank-you says once its closed business was undone.
func shoutoutWithdrawn(s referralState) bot.Delivery {
	text := fmt.Sprintf(":leftwards_arrow_with_hook: _This thank-you for %s is withdrawn: the closed business was taken back, so it is not counted._", s.ref.ID())
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{kit.Section(text)}}
}

// announcement tells the channel a hot referral was given, when the group asked for that.
func announcement(s referralState) bot.Delivery {
	text := fmt.Sprintf(":fire: %s just gave %s a hot referral (%s): spoke with the prospect, may share the contact, and the call is expected. That's how it's done!",
		kit.Mention(s.ref.Giver), kit.Mention(s.ref.Receiver), s.ref.ID())
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{kit.Section(text)}}
}

// recognition is a thank-you or a recommendation as its entry carries it (rapport.EntryBody, JSON).
type recognition struct {
	to  string
	rec rapport.Recognition
}

func readRecognition(_ context.Context, _ *Catalogue, _ string, e rapport.OutboxEntry) (recognition, error) {
	var rec rapport.Recognition
	if err := json.Unmarshal([]byte(e.Fields[rapport.EntryBody]), &rec); err != nil {
		return recognition{}, unreadable(e, err)
	}
	return recognition{to: e.To, rec: rec}, nil
}

// thanksPost is a public thank-you for any help.
func thanksPost(s recognition) bot.Delivery {
	text := fmt.Sprintf(":pray: %s thanks %s:", kit.Mention(s.rec.From), kit.Mention(s.rec.To))
	return bot.Delivery{Channel: s.to, Text: text + " " + kit.EscClip(s.rec.Text, 200),
		Blocks: []slack.Block{kit.Section(text + "\n" + kit.Quote(s.rec.Text))}}
}

// vouchPost tells a member someone recommended them.
func vouchPost(s recognition) bot.Delivery {
	text := fmt.Sprintf(":handshake: %s vouched for you:", kit.Mention(s.rec.From))
	return bot.Delivery{Channel: s.to, Text: text + " " + kit.EscClip(s.rec.Text, 200),
		Blocks: []slack.Block{kit.Section(text + "\n" + kit.Quote(s.rec.Text)),
			kit.Context("Recommendations are counted apart from referrals. Pass it forward with `/refer vouch @member …`")}}
}
