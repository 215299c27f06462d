package notify

import (
	"fmt"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/slack-go/slack"
)

// report tells one person what just happened to a referral: the giver after every move of the
// receiver's (rule 3), the receiver when the giver withdraws, both when an admin corrects; the giver when the receiver
// undoes a step or adds a note.
func report(s referralState) bot.Delivery {
	ref, e, to := s.ref, s.event, s.to
	who, what := kit.Mention(e.Actor), ref.ID()+" ("+kit.Esc(ref.Prospect.Name)+")"
	var text string
	switch e.Action {
	case rapport.ActAccept:
		text = fmt.Sprintf(":thumbsup: %s accepted *%s*.", who, what)
	case rapport.ActContacted:
		text = fmt.Sprintf(":telephone_receiver: %s contacted %s about *%s*.", who, kit.Esc(ref.Prospect.Name), ref.ID())
	case rapport.ActMeeting:
		text = fmt.Sprintf(":calendar: %s booked a meeting with %s (*%s*).", who, kit.Esc(ref.Prospect.Name), ref.ID())
	case rapport.ActWon:
		text = fmt.Sprintf(":tada: *Closed business!* %s closed *%s*", who, what)
		if ref.Value > 0 {
			text += ": *" + kit.Money(ref.Value, ref.Currency) + "*"
		}
		text += ". Thank you for the referral!"
	case rapport.ActLost:
		text = fmt.Sprintf("%s reports that *%s* didn't close.", who, what)
	case rapport.ActDecline:
		text = fmt.Sprintf("%s can't take *%s*: not a fit.", who, what)
	case rapport.ActPassOn:
		text = fmt.Sprintf(":repeat: %s passed *%s* on to %s as *%s*.", who, what, kit.Mention(e.Member), rapport.FormatID(e.Ref))
		if e.Facts != nil {
			t := e.Facts.Temperature()
			text += fmt.Sprintf(" %s's answers about %s make it a %s %s; you'll hear from %s as it moves.",
				who, kit.Mention(e.Member), TempEmoji(t), strings.ToLower(t.Label()), kit.Mention(e.Member))
		}
	case rapport.ActWithdraw:
		text = fmt.Sprintf("%s withdrew *%s*: you don't need to follow up.", who, what)
		if e.Ref != 0 {
			text = fmt.Sprintf("%s withdrew *%s* and referred the prospect to another member: you don't need to follow up.", who, what)
		}
	case rapport.ActCorrect:
		text = fmt.Sprintf("An admin, %s, set *%s* to *%s*.", who, what, e.To.Label())
		if e.To == rapport.StatusWon && e.Value > 0 {
			text = fmt.Sprintf("An admin, %s, set *%s* to *%s*: *%s*.", who, what, e.To.Label(), kit.Money(e.Value, ref.Currency))
		}
	case rapport.ActUndo:
		text = fmt.Sprintf(":leftwards_arrow_with_hook: %s undid *%s* on *%s*: it is *%s* again.", who, e.From.Label(), what, e.To.Label())
	case rapport.ActNote:
		text = fmt.Sprintf(":speech_balloon: %s added a note on *%s*:", who, what)
	default:
		text = fmt.Sprintf("%s moved *%s* to *%s*.", who, what, e.To.Label())
	}
	blocks := []slack.Block{kit.Section(text)}
	if e.Action == rapport.ActPassOn && e.Facts != nil {
		blocks = append(blocks, kit.Context(factLine(*e.Facts, e.Actor, kit.Mention(e.Member))))
	}
	if e.Note != "" {
		blocks = append(blocks, kit.Section(kit.Quote(e.Note)))
	}
	return bot.Delivery{Channel: to, Text: text, Blocks: blocks}
}

// expired tells the giver or the receiver that Rapport closed a referral nobody had touched for the
// expiry window, and how to reopen it if it is still alive.
func expired(s referralState) bot.Delivery {
	ref, quiet := s.ref, kit.Duration(s.set.ExpireAfter)
	what := ref.ID() + "* (" + ProspectLine(ref.Prospect) + ")"
	text := fmt.Sprintf(":hourglass: *%s, which you gave %s, had no news for %s, so I've closed it as *expired*. %s won't be reminded of it again.",
		what, kit.Mention(ref.Receiver), quiet, kit.Mention(ref.Receiver))
	if s.to == ref.Receiver {
		text = fmt.Sprintf(":hourglass: *%s from %s had no news for %s, so I've closed it as *expired*: you won't be reminded of it again, and %s has been told.",
			what, kit.Mention(ref.Giver), quiet, kit.Mention(ref.Giver))
	}
	text += " If it is still alive, an admin can reopen it: `/refer set " + ref.ID() + " contacted` followed by why."
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{kit.Section(text)}}
}

// The nudges of the sweep: the receiver gets the buttons again, the giver the way out.

func nudgeAck(s referralState) bot.Delivery {
	ref, giver := s.ref, kit.Mention(s.ref.Giver)
	return nudgePost(ref.Receiver, fmt.Sprintf(":alarm_clock: *%s* from %s is waiting on you: %s. Their need: “%s”. One tap keeps %s in the loop.",
		ref.ID(), giver, ProspectLine(ref.Prospect), kit.EscClip(ref.Need, 300), giver), ref, rapport.ReceiverActions(ref.Status)...)
}

func nudgeAck2(s referralState) bot.Delivery {
	ref, giver := s.ref, kit.Mention(s.ref.Giver)
	return nudgePost(ref.Receiver, fmt.Sprintf(":alarm_clock: Second reminder: *%s* from %s (%s) has waited %s, and %s has been told. If you can't take it, *Pass on* hands it to a member you trust.",
		ref.ID(), giver, ProspectLine(ref.Prospect), kit.Duration(2*s.set.FollowUpSLA), giver), ref, rapport.ReceiverActions(ref.Status)...)
}

func nudgeAck2Giver(s referralState) bot.Delivery {
	ref := s.ref
	return nudgePost(ref.Giver, fmt.Sprintf("%s hasn't acted on *%s* (%s) in %s; I've reminded them twice. You can wait, or withdraw it and refer %s to another member in one step.",
		kit.Mention(ref.Receiver), ref.ID(), ProspectLine(ref.Prospect), kit.Duration(2*s.set.FollowUpSLA), kit.Esc(ref.Prospect.Name)), ref, rapport.ActWithdraw)
}

func nudgeReport(s referralState) bot.Delivery {
	ref, giver := s.ref, kit.Mention(s.ref.Giver)
	return nudgePost(ref.Receiver, fmt.Sprintf(":wave: How did it go with %s (*%s*, from %s)? Tap what happened, so %s hears back.",
		ProspectLine(ref.Prospect), ref.ID(), giver, giver), ref, rapport.ReceiverActions(ref.Status)...)
}

func nudgeReport2(s referralState) bot.Delivery {
	ref := s.ref
	return nudgePost(ref.Receiver, fmt.Sprintf(":wave: One last ask about %s (*%s*): what came of it? %s would love to know.",
		ProspectLine(ref.Prospect), ref.ID(), kit.Mention(ref.Giver)), ref, rapport.ReceiverActions(ref.Status)...)
}

func nudgePost(to, text string, ref rapport.Referral, acts ...rapport.Action) bot.Delivery {
	blocks := []slack.Block{kit.Section(text)}
	if len(acts) > 0 {
		blocks = append(blocks, buttons(ref.Number, acts...))
	}
	return bot.Delivery{Channel: to, Text: text, Blocks: blocks}
}
