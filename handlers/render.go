package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/slack-go/slack"
)

// Kinds of outbox entries, and the referral fields that remember where each message was posted.
const (
	KindReceived = "referral.received" // to the receiver: the referral, with all they need to act
	KindSent     = "referral.sent"     // to the giver: saved, where it went, coaching for a lead

	SlotReceiverDM = "dm_receiver"
	SlotGiverDM    = "dm_giver"
)

// Render draws an outbox entry from the referral as stored now.
func (h *Handlers) Render(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Post, bool, error) {
	ref, err := h.store.Referral(ctx, team, e.Ref)
	if err != nil {
		return bot.Post{}, false, err
	}
	switch e.Kind {
	case KindReceived:
		return receiverDM(ref, h.cfg.Timing.FollowUpSLA), true, nil
	case KindSent:
		return giverConfirmation(ref), true, nil
	}
	return bot.Post{}, false, rapport.Errorf(rapport.ENOTFOUND, "unknown outbox kind %q", e.Kind)
}

// receiverDM carries everything the receiver needs to act: the prospect's contact details are shown
// here, to the receiver only (rule 10).
func receiverDM(ref rapport.Referral, sla time.Duration) bot.Post {
	p := ref.Prospect
	who := "*" + esc(p.Name) + "*"
	if p.Company != "" {
		who += ", " + esc(p.Company)
	}
	fields := []*slack.TextBlockObject{md("*Prospect*\n" + who), md("*Temperature*\n" + tempEmoji(ref.Temperature()) + " " + ref.Temperature().Label())}
	if p.Phone != "" {
		fields = append(fields, md("*Phone*\n"+esc(p.Phone)))
	}
	if p.Email != "" {
		fields = append(fields, md("*Email*\n"+esc(p.Email)))
	}
	blocks := []slack.Block{
		section(fmt.Sprintf(":handshake: *New referral %s* from %s", ref.ID(), mention(ref.Giver))),
		slack.NewSectionBlock(nil, fields, nil),
		section("*What they need*\n" + esc(ref.Need)),
	}
	if ref.BestTime != "" {
		blocks = append(blocks, section("*Best time and way to reach them*\n"+esc(ref.BestTime)))
	}
	blocks = append(blocks, contextBlock(factLine(ref.Facts, ref.Giver)))
	if ref.Note != "" {
		blocks = append(blocks, section("*Note from "+mention(ref.Giver)+"*\n"+esc(ref.Note)))
	}
	blocks = append(blocks, contextBlock(fmt.Sprintf("Please reach out within %s; %s hears from Rapport each time you update it.", humanDuration(sla), mention(ref.Giver))))
	return bot.Post{
		Channel: ref.Receiver,
		Text:    fmt.Sprintf("New referral %s from %s: %s", ref.ID(), mention(ref.Giver), esc(p.Name)),
		Blocks:  blocks,
		Slot:    SlotReceiverDM,
	}
}

// giverConfirmation tells the giver it is saved and with whom; for anything short of hot, what
// would make it a real referral next time (rule 1).
func giverConfirmation(ref rapport.Referral) bot.Post {
	t := ref.Temperature()
	text := fmt.Sprintf(":white_check_mark: Saved *%s*: your referral of *%s* is with %s (%s %s). I'll tell you each time it moves.",
		ref.ID(), esc(ref.Prospect.Name), mention(ref.Receiver), tempEmoji(t), strings.ToLower(t.Label()))
	blocks := []slack.Block{section(text)}
	if coach := coaching(ref); coach != "" {
		blocks = append(blocks, section(coach))
	}
	return bot.Post{Channel: ref.Giver, Text: fmt.Sprintf("Saved %s: %s is with %s", ref.ID(), esc(ref.Prospect.Name), mention(ref.Receiver)),
		Blocks: blocks, Slot: SlotGiverDM}
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
	case d%(24*time.Hour) == 0:
		if n := d / (24 * time.Hour); n > 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "24 hours"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}
