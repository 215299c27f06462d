package notify

import (
	"context"
	"fmt"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// The action_ids of the partner's buttons on a 1:1 (the handlers answer them); each carries the
// 1:1's number as its value.
const (
	ActionOneOnOneConfirm = "oneone:confirm"
	ActionOneOnOneDecline = "oneone:decline"
)

// OneOnOneNotices lists the messages a 1:1 owes as it comes to status st: recorded (pending),
// confirmed, declined or expired.
func OneOnOneNotices(st rapport.OneOnOneStatus) []rapport.Notice {
	return Notices(Change{OneOnOne: st})
}

// onOneOnOne owes the kind to rs when a 1:1 comes to status st.
func onOneOnOne(st rapport.OneOnOneStatus, rs ...rapport.Role) func(Change) []rapport.Notice {
	return func(ch Change) []rapport.Notice {
		if ch.OneOnOne != st {
			return nil
		}
		return to(rs...)
	}
}

// oneOnOneState is a 1:1 as stored now, and to whom the message goes.
type oneOnOneState struct {
	to string
	o  rapport.OneOnOne
}

func readOneOnOne(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (oneOnOneState, error) {
	n, err := strconv.ParseInt(e.Fields[rapport.EntryOneOnOne], 10, 64)
	if err != nil {
		return oneOnOneState{}, unreadable(e, errNoField)
	}
	o, err := c.store.OneOnOne(ctx, team, n)
	if err != nil {
		return oneOnOneState{}, gone(err)
	}
	return oneOnOneState{to: e.To, o: o}, nil
}

// oneOnOneStatus: the message is owed while the 1:1 is in status st (the partner's request while
// it waits; each answer's notice in its own status, which never changes again).
func oneOnOneStatus(st rapport.OneOnOneStatus) func(oneOnOneState) bool {
	return func(s oneOnOneState) bool { return s.o.Status == st }
}

// oneOnOneAsk asks the partner to confirm a 1:1 with one tap, or decline it.
func oneOnOneAsk(s oneOnOneState) bot.Delivery {
	o := s.o
	text := fmt.Sprintf(":coffee: %s recorded a one-to-one with you on *%s*.", kit.Mention(o.Recorder), o.Met.Label())
	head := text
	if o.Note != "" {
		head += "\n" + kit.Quote(o.Note)
	}
	value := strconv.FormatInt(o.Number, 10)
	confirm := slack.NewButtonBlockElement(ActionOneOnOneConfirm, value, kit.Plain("Confirm"))
	confirm.Style = slack.StylePrimary
	decline := slack.NewButtonBlockElement(ActionOneOnOneDecline, value, kit.Plain("Decline"))
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{
		kit.Section(head),
		kit.Section("Did you meet? Confirm it and it counts for you both: in your numbers, your ledger and the weekly digest."),
		slack.NewActionBlock("oneone:"+value, confirm, decline),
		kit.Context(fmt.Sprintf("Unconfirmed, it expires %s. Record your own with `/refer 1to1 @member`.", kit.Date(o.Expires()))),
	}}
}

// oneOnOneConfirmed tells the recorder their 1:1 counts now.
func oneOnOneConfirmed(s oneOnOneState) bot.Delivery {
	text := fmt.Sprintf(":white_check_mark: %s confirmed your one-to-one on *%s*. It counts for you both: `/refer ledger` shows when you last met.",
		kit.Mention(s.o.Partner), s.o.Met.Label())
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{kit.Section(text)}}
}

// oneOnOneDeclined tells the recorder, kindly, that their 1:1 was not confirmed.
func oneOnOneDeclined(s oneOnOneState) bot.Delivery {
	text := fmt.Sprintf(":information_source: %s didn't confirm the one-to-one you recorded on *%s*, so it isn't counted.",
		kit.Mention(s.o.Partner), s.o.Met.Label())
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{
		kit.Section(text + " Maybe the day was off: record it again with the right one, e.g. `/refer 1to1 @member yesterday`."),
	}}
}

// oneOnOneExpired tells the recorder, kindly, that nobody confirmed their 1:1 in time.
func oneOnOneExpired(s oneOnOneState) bot.Delivery {
	text := fmt.Sprintf(":hourglass: Your one-to-one with %s on *%s* wasn't confirmed within %s, so it isn't counted.",
		kit.Mention(s.o.Partner), s.o.Met.Label(), kit.Duration(rapport.OneOnOneExpiry))
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{
		kit.Section(text + " No harm done: if you met, record it again and ask them to tap *Confirm*."),
	}}
}
