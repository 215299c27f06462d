package handlers

import (
	"fmt"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/slack-go/slack"
)

// report tells one person what just happened to a referral: the giver after every move of the
// receiver's (rule 3), the receiver when the giver withdraws, both when an admin corrects.
func report(ref rapport.Referral, e rapport.Event, to string) bot.Post {
	who, what := mention(e.Actor), ref.ID()+" ("+esc(ref.Prospect.Name)+")"
	var text string
	switch e.Action {
	case rapport.ActAccept:
		text = fmt.Sprintf(":thumbsup: %s accepted *%s*.", who, what)
	case rapport.ActContacted:
		text = fmt.Sprintf(":telephone_receiver: %s contacted %s about *%s*.", who, esc(ref.Prospect.Name), ref.ID())
	case rapport.ActMeeting:
		text = fmt.Sprintf(":calendar: %s booked a meeting with %s (*%s*).", who, esc(ref.Prospect.Name), ref.ID())
	case rapport.ActWon:
		text = fmt.Sprintf(":tada: *Closed business!* %s closed *%s*", who, what)
		if ref.Value > 0 {
			text += ": *" + money(ref.Value, ref.Currency) + "*"
		}
		text += ". Thank you for the referral!"
	case rapport.ActLost:
		text = fmt.Sprintf("%s reports that *%s* didn't close.", who, what)
	case rapport.ActDecline:
		text = fmt.Sprintf("%s can't take *%s*: not a fit.", who, what)
	case rapport.ActPassOn:
		text = fmt.Sprintf(":repeat: %s passed *%s* on to %s as *%s*.", who, what, mention(e.Member), rapport.FormatID(e.Ref))
	case rapport.ActWithdraw:
		text = fmt.Sprintf("%s withdrew *%s*: you don't need to follow up.", who, what)
		if e.Ref != 0 {
			text = fmt.Sprintf("%s withdrew *%s* and referred the prospect to another member: you don't need to follow up.", who, what)
		}
	case rapport.ActCorrect:
		text = fmt.Sprintf("An admin, %s, set *%s* to *%s*.", who, what, e.To.Label())
	default:
		text = fmt.Sprintf("%s moved *%s* to *%s*.", who, what, e.To.Label())
	}
	blocks := []slack.Block{section(text)}
	if e.Note != "" {
		blocks = append(blocks, section(quote(e.Note)))
	}
	return bot.Post{Channel: to, Text: text, Blocks: blocks}
}

// quote sets user text apart as a mrkdwn block quote, escaped.
func quote(s string) string {
	lines := strings.Split(esc(s), "\n")
	return ">" + strings.Join(lines, "\n>")
}

// nudge is a reminder from the sweep: the receiver gets the buttons again, the giver the way out.
func nudge(kind string, ref rapport.Referral, t rapport.Timing) bot.Post {
	giver, what := mention(ref.Giver), prospectLine(ref.Prospect)
	var text string
	var acts []rapport.Action
	to := ref.Receiver
	switch kind {
	case rapport.KindNudgeAck:
		text = fmt.Sprintf(":alarm_clock: *%s* from %s is waiting on you: %s needs “%s”. One tap keeps %s in the loop.",
			ref.ID(), giver, what, esc(clip(ref.Need, 300)), giver)
		acts = rapport.ReceiverActions(ref.Status)
	case rapport.KindNudgeAck2:
		text = fmt.Sprintf(":alarm_clock: Second reminder: *%s* from %s (%s) has waited %s, and %s has been told. If you can't take it, *Pass on* hands it to a member you trust.",
			ref.ID(), giver, what, humanDuration(2*t.FollowUpSLA), giver)
		acts = rapport.ReceiverActions(ref.Status)
	case rapport.KindNudgeAck2Giver:
		to = ref.Giver
		text = fmt.Sprintf("%s hasn't acted on *%s* (%s) in %s; I've reminded them twice. You can wait, or withdraw it and refer %s to another member in one step.",
			mention(ref.Receiver), ref.ID(), what, humanDuration(2*t.FollowUpSLA), esc(ref.Prospect.Name))
		acts = []rapport.Action{rapport.ActWithdraw}
	case rapport.KindNudgeReport, rapport.KindNudgeReport2:
		text = fmt.Sprintf(":wave: How did it go with %s (*%s*, from %s)? Tap what happened, so %s hears back.", what, ref.ID(), giver, giver)
		if kind == rapport.KindNudgeReport2 {
			text = fmt.Sprintf(":wave: One last ask about %s (*%s*): what came of it? %s would love to know.", what, ref.ID(), giver)
		}
		acts = rapport.ReceiverActions(ref.Status)
	}
	blocks := []slack.Block{section(text)}
	if len(acts) > 0 {
		blocks = append(blocks, buttons(ref.Number, acts...))
	}
	return bot.Post{Channel: to, Text: text, Blocks: blocks}
}
