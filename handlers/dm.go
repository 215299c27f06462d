package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/slack-go/slack"
)

// actionID is the action_id of a lifecycle button; its value is the referral's number.
func actionID(a rapport.Action) string { return "ref:" + string(a) }

// buttons draws the actions block of a referral's message.
func buttons(n int64, actions ...rapport.Action) slack.Block {
	els := make([]slack.BlockElement, 0, len(actions))
	for i, a := range actions {
		b := slack.NewButtonBlockElement(actionID(a), strconv.FormatInt(n, 10), plain(a.Label()))
		if i == 0 && a != rapport.ActWithdraw {
			b.Style = slack.StylePrimary
		}
		els = append(els, b)
	}
	return slack.NewActionBlock("actions:"+strconv.FormatInt(n, 10), els...)
}

// prospectLine is the prospect as the giver and receiver see them, contact details excluded.
func prospectLine(p rapport.Prospect) string {
	s := "*" + esc(p.Name) + "*"
	if p.Company != "" {
		s += ", " + esc(p.Company)
	}
	return s
}

// receiverDM carries everything the receiver needs to act, and where things stand: the prospect's
// contact details are shown here, to the receiver only (rule 10). It is redrawn in place after every
// change, with only the buttons that still make sense.
func receiverDM(ref rapport.Referral, events []rapport.Event, t rapport.Timing) bot.Post {
	p := ref.Prospect
	head := fmt.Sprintf(":handshake: *New referral %s* from %s", ref.ID(), mention(ref.Giver))
	if ref.Status != rapport.StatusNew {
		head = fmt.Sprintf(":handshake: *Referral %s* from %s · *%s*", ref.ID(), mention(ref.Giver), ref.Status.Label())
	}
	if ref.PassedBy != "" {
		head += fmt.Sprintf("\nPassed on to you by %s (from %s).", mention(ref.PassedBy), rapport.FormatID(ref.PassedOf))
	}
	fields := []*slack.TextBlockObject{md("*Prospect*\n" + prospectLine(p)), md("*Temperature*\n" + tempEmoji(ref.Temperature()) + " " + ref.Temperature().Label())}
	if p.Phone != "" {
		fields = append(fields, md("*Phone*\n"+esc(rapport.DisplayPhone(p.Phone))))
	}
	if p.Email != "" {
		fields = append(fields, md("*Email*\n"+esc(p.Email)))
	}
	blocks := []slack.Block{section(head), slack.NewSectionBlock(nil, fields, nil), section("*What they need*\n" + esc(ref.Need))}
	if ref.BestTime != "" {
		blocks = append(blocks, section("*Best time and way to reach them*\n"+esc(ref.BestTime)))
	}
	blocks = append(blocks, contextBlock(factLine(ref.Facts, ref.Giver)))
	if ref.Note != "" {
		from := ref.Giver
		if ref.PassedBy != "" {
			from = ref.PassedBy
		}
		blocks = append(blocks, section("*Note from "+mention(from)+"*\n"+esc(ref.Note)))
	}
	blocks = append(blocks, timeline(events)...)
	if acts := rapport.ReceiverActions(ref.Status); len(acts) > 0 {
		blocks = append(blocks, buttons(ref.Number, acts...))
	}
	if ref.Status == rapport.StatusNew {
		blocks = append(blocks, contextBlock(fmt.Sprintf("Please accept, contact or pass it on within %s; %s hears from Rapport each time you update it.",
			humanDuration(t.FollowUpSLA), mention(ref.Giver))))
	}
	return bot.Post{
		Channel: ref.Receiver,
		Text:    fmt.Sprintf("Referral %s from %s: %s (%s)", ref.ID(), mention(ref.Giver), esc(p.Name), ref.Status.Label()),
		Blocks:  blocks,
		Slot:    SlotReceiverDM,
	}
}

// giverDM tells the giver it is saved and with whom, with coaching for anything short of hot
// (rule 1); redrawn as the referral moves, with Withdraw while it is new or accepted.
func giverDM(ref rapport.Referral, events []rapport.Event) bot.Post {
	t := ref.Temperature()
	text := fmt.Sprintf(":white_check_mark: Saved *%s*: your referral of %s is with %s (%s %s). I'll tell you each time it moves.",
		ref.ID(), prospectLine(ref.Prospect), mention(ref.Receiver), tempEmoji(t), strings.ToLower(t.Label()))
	blocks := []slack.Block{section(text)}
	if coach := coaching(ref); coach != "" {
		blocks = append(blocks, section(coach))
	}
	blocks = append(blocks, section("*Status:* "+ref.Status.Label()))
	blocks = append(blocks, timeline(events)...)
	if rapport.ActWithdraw.Can(ref.Status) {
		blocks = append(blocks, buttons(ref.Number, rapport.ActWithdraw))
	}
	return bot.Post{Channel: ref.Giver, Text: fmt.Sprintf("Saved %s: %s is with %s", ref.ID(), esc(ref.Prospect.Name), mention(ref.Receiver)),
		Blocks: blocks, Slot: SlotGiverDM}
}

// timeline lists a referral's events, the newest last; long histories keep the newest ten.
func timeline(events []rapport.Event) []slack.Block {
	if len(events) == 0 {
		return nil
	}
	const keep = 10
	var lines []string
	if len(events) > keep {
		lines = append(lines, fmt.Sprintf("_%d earlier steps_", len(events)-keep))
		events = events[len(events)-keep:]
	}
	for _, e := range events {
		line := fmt.Sprintf("• %s · %s by %s", slackDate(e.At), e.To.Label(), mention(e.Actor))
		if e.Action == rapport.ActCorrect {
			line = fmt.Sprintf("• %s · corrected to %s by %s", slackDate(e.At), e.To.Label(), mention(e.Actor))
		}
		if e.Ref != 0 {
			line += " → " + rapport.FormatID(e.Ref)
		}
		if e.Note != "" {
			line += ": “" + esc(clip(e.Note, 200)) + "”"
		}
		lines = append(lines, line)
	}
	return []slack.Block{contextBlock(strings.Join(lines, "\n"))}
}

func coaching(ref rapport.Referral) string {
	f, r := ref.Facts, mention(ref.Receiver)
	var missing []string
	if !f.Spoke {
		missing = append(missing, "talk with the prospect about "+r)
	}
	if !f.MayShare {
		missing = append(missing, "ask whether you may share their contact")
	}
	if !f.Expects {
		missing = append(missing, "tell them to expect "+r+"'s call")
	}
	switch {
	case len(missing) == 0:
		return ""
	case len(missing) == 3:
		return ":bulb: This one is a *cold lead*: " + r + " will be calling someone who has never heard of them. " +
			"To turn a lead into a referral: " + strings.Join(missing, ", ") + ". A warm introduction is worth ten cold calls."
	}
	return ":bulb: To make it a hot referral next time: " + strings.Join(missing, ", ") + "."
}

func factLine(f rapport.Facts, giver string) string {
	mark := func(on bool, s string) string {
		if on {
			return ":white_check_mark: " + s
		}
		return ":white_large_square: " + s
	}
	return strings.Join([]string{
		mark(f.Spoke, mention(giver)+" spoke with them about you"),
		mark(f.MayShare, "may share their contact"),
		mark(f.Expects, "they expect your call"),
	}, "   ")
}

func tempEmoji(t rapport.Temperature) string {
	switch t {
	case rapport.Hot:
		return ":fire:"
	case rapport.Warm:
		return ":sunny:"
	}
	return ":snowflake:"
}

// slackDate shows a time in the reader's own time zone.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short}|%s>", t.Unix(), t.UTC().Format("Jan 2"))
}

func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "a day"
	case d%(24*time.Hour) == 0 && d > 24*time.Hour:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// money writes minor units with their currency: $2,500.00, or 2,500.00 EUR.
func money(cents int64, currency string) string {
	whole, frac := cents/100, cents%100
	s := strconv.FormatInt(whole, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	s = fmt.Sprintf("%s.%02d", s, frac)
	if currency == "" || currency == "USD" {
		return "$" + s
	}
	return s + " " + esc(currency)
}
