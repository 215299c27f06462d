package notify

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/slack-go/slack"
)

// Slots of the referral hash that remember where its two DMs were posted, for updates in place.
const (
	SlotReceiverDM = "dm_receiver"
	SlotGiverDM    = "dm_giver"
	SlotShoutout   = "dm_shoutout" // the public thank-you for closed business, withdrawn if it is undone
)

// referralState is what a message about one referral is drawn from: the referral and its
// timeline as stored now, the step the entry is about (if any), the settings, and the recipient.
type referralState struct {
	to       string
	ref      rapport.Referral
	events   []rapport.Event
	event    rapport.Event
	hasEvent bool
	set      rapport.Settings
	now      time.Time // when it is drawn: whether Undo is still offered
	// better is the member the giver's confirmation names, whose ask fits the need when the
	// receiver's does not (readGiver); its Member is "" for none.
	better rapport.Match
}

// readReferral reads the entry's referral and its timeline; a referral that does not exist never will.
func readReferral(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (referralState, error) {
	ref, events, err := c.store.Timeline(ctx, team, e.Ref)
	if err != nil {
		return referralState{}, gone(err)
	}
	s := referralState{to: e.To, ref: ref, events: events, set: c.settings.Get(ctx), now: c.now()}
	if i, err := strconv.Atoi(e.Fields[rapport.EntryEvent]); err == nil && i >= 0 && i < len(events) {
		s.event, s.hasEvent = events[i], true
	}
	return s, nil
}

// hasEvent: a report is owed only about a step on the timeline.
func hasEvent(s referralState) bool { return s.hasEvent }

// waitingForAction: the first nudges are owed while the referral is new.
func waitingForAction(s referralState) bool { return s.ref.Status == rapport.StatusNew }

// waitingForOutcome: the report nudges are owed while it is accepted, contacted or meeting.
func waitingForOutcome(s referralState) bool {
	return s.ref.Status.Open() && s.ref.Status != rapport.StatusNew
}

// posted: an update in place is owed once the original was posted; until then the original, when
// it goes out, is drawn from the state as it is then.
func posted(slot string) func(referralState) bool {
	return func(s referralState) bool {
		_, _, ok := strings.Cut(s.ref.Posted[slot], "|")
		return ok
	}
}

// inPlace turns a drawn DM into an edit of the one posted under slot ("channel|ts").
func inPlace(slot string, draw func(referralState) bot.Delivery) func(referralState) bot.Delivery {
	return func(s referralState) bot.Delivery {
		p := draw(s)
		p.Channel, p.TS, _ = strings.Cut(s.ref.Posted[slot], "|")
		p.Slot = ""
		return p
	}
}

// ActionID is the action_id of a lifecycle button; its value is the referral's number. The
// handlers route these ids.
func ActionID(a rapport.Action) string { return "ref:" + string(a) }

// buttons draws the actions block of a referral's message.
func buttons(n int64, actions ...rapport.Action) slack.Block {
	els := make([]slack.BlockElement, 0, len(actions))
	for i, a := range actions {
		b := slack.NewButtonBlockElement(ActionID(a), strconv.FormatInt(n, 10), kit.Plain(a.Label()))
		if i == 0 && a != rapport.ActWithdraw && len(a.Moves()) > 0 {
			b.Style = slack.StylePrimary
		}
		els = append(els, b)
	}
	return slack.NewActionBlock("actions:"+strconv.FormatInt(n, 10), els...)
}

// ProspectLine is the prospect as the giver and receiver see them, contact details excluded.
func ProspectLine(p rapport.Prospect) string {
	s := "*" + kit.Esc(p.Name) + "*"
	if p.Company != "" {
		s += ", " + kit.Esc(p.Company)
	}
	return s
}

func receiverDM(s referralState) bot.Delivery {
	return ReceiverDM(s.ref, s.events, s.set.Timing(), s.now)
}

func giverDM(s referralState) bot.Delivery {
	p := GiverDM(s.ref, s.events)
	if s.better.Member != "" {
		p.Blocks = slices.Insert(p.Blocks, 1, slack.Block(kit.Section(betterAsk(s.better))))
	}
	return p
}

// ReceiverDM carries everything the receiver needs to act, and where things stand: the prospect's
// contact details are shown here, to the receiver only (rule 10). It is redrawn in place after every
// change, with only the buttons that still make sense at now (Undo, within rapport.UndoWindow of
// the receiver's last step).
func ReceiverDM(ref rapport.Referral, events []rapport.Event, t rapport.Timing, now time.Time) bot.Delivery {
	p := ref.Prospect
	from := "from " + kit.Mention(ref.Giver)
	if ref.PassedBy != "" {
		from = fmt.Sprintf("passed on to you by %s (from %s); first given by %s", kit.Mention(ref.PassedBy), rapport.FormatID(ref.PassedOf), kit.Mention(ref.Giver))
	}
	head := fmt.Sprintf(":handshake: *New referral %s* %s", ref.ID(), from)
	if ref.Status != rapport.StatusNew {
		head = fmt.Sprintf(":handshake: *Referral %s* %s · *%s*", ref.ID(), from, ref.Status.Label())
	}
	fields := []*slack.TextBlockObject{kit.Field("*Prospect*\n" + ProspectLine(p)), kit.Field("*Temperature*\n" + TempEmoji(ref.Temperature()) + " " + ref.Temperature().Label())}
	if p.Phone != "" {
		fields = append(fields, kit.Field("*Phone*\n"+kit.Esc(rapport.DisplayPhone(p.Phone))))
	}
	if p.Email != "" {
		fields = append(fields, kit.Field("*Email*\n"+kit.Esc(p.Email)))
	}
	blocks := []slack.Block{kit.Section(head), slack.NewSectionBlock(nil, fields, nil)}
	if !ref.Facts.MayShare {
		blocks = append(blocks, kit.Context(noConsentLine(ref)))
	}
	blocks = append(blocks, kit.Section("*What they need*\n"+kit.Esc(ref.Need)))
	if ref.BestTime != "" {
		blocks = append(blocks, kit.Section("*Best time and way to reach them*\n"+kit.Esc(ref.BestTime)))
	}
	blocks = append(blocks, kit.Context(factLine(ref.Facts, voucher(ref), "you")))
	if ref.Note != "" {
		blocks = append(blocks, kit.Section("*Note from "+kit.Mention(voucher(ref))+"*\n"+kit.Esc(ref.Note)))
	}
	blocks = append(blocks, timeline(events)...)
	if acts := receiverButtons(ref, now); len(acts) > 0 {
		blocks = append(blocks, buttons(ref.Number, acts...))
	}
	if ref.Status == rapport.StatusNew {
		blocks = append(blocks, kit.Context(fmt.Sprintf("Please accept, contact or pass it on within %s; %s hears from Rapport each time you update it.",
			kit.Duration(t.FollowUpSLA), kit.Mention(ref.Giver))))
	}
	return bot.Delivery{
		Channel: ref.Receiver,
		Text:    fmt.Sprintf("Referral %s %s: %s (%s)", ref.ID(), from, kit.Esc(p.Name), ref.Status.Label()),
		Blocks:  blocks,
		Slot:    SlotReceiverDM,
	}
}

// GiverDM tells the giver it is saved and with whom, with coaching for anything short of hot
// (rule 1); redrawn as the referral moves, with Withdraw while it is new or accepted.
func GiverDM(ref rapport.Referral, events []rapport.Event) bot.Delivery {
	t := ref.Temperature()
	text := fmt.Sprintf(":white_check_mark: Saved *%s*: your referral of %s is with %s (%s %s). I'll tell you each time it moves.",
		ref.ID(), ProspectLine(ref.Prospect), kit.Mention(ref.Receiver), TempEmoji(t), strings.ToLower(t.Label()))
	blocks := []slack.Block{kit.Section(text)}
	if coach := coaching(ref); coach != "" {
		blocks = append(blocks, kit.Section(coach))
	}
	blocks = append(blocks, kit.Section("*Status:* "+ref.Status.Label()))
	blocks = append(blocks, timeline(events)...)
	if acts := giverButtons(ref); len(acts) > 0 {
		blocks = append(blocks, buttons(ref.Number, acts...))
	}
	return bot.Delivery{Channel: ref.Giver, Text: fmt.Sprintf("Saved %s: %s is with %s", ref.ID(), kit.Esc(ref.Prospect.Name), kit.Mention(ref.Receiver)),
		Blocks: blocks, Slot: SlotGiverDM}
}

// receiverButtons are the receiver's steps still possible, then Undo while their last step may be
// undone, and Add a note once they have taken a step.
func receiverButtons(ref rapport.Referral, now time.Time) []rapport.Action {
	acts := rapport.ReceiverActions(ref.Status)
	if ref.CanUndo(now) {
		acts = append(acts, rapport.ActUndo)
	}
	if rapport.NoteAllowed(ref.Status) {
		acts = append(acts, rapport.ActNote)
	}
	return acts
}

// giverButtons are Edit while the referral is new, Withdraw while it may be, and Ask for an update
// while it is open.
func giverButtons(ref rapport.Referral) []rapport.Action {
	var acts []rapport.Action
	if rapport.EditAllowed(ref.Status) {
		acts = append(acts, rapport.ActEdit)
	}
	if rapport.ActWithdraw.Can(ref.Status) {
		acts = append(acts, rapport.ActWithdraw)
	}
	if rapport.AskAllowed(ref.Status) {
		acts = append(acts, rapport.ActAsk)
	}
	return acts
}

// timeline lists a referral's events, the newest last, in one context element: it keeps the newest
// ten, fewer when their notes would pass what the element holds, and counts the steps left out.
func timeline(events []rapport.Event) []slack.Block {
	if len(events) == 0 {
		return nil
	}
	const keep = 10
	budget := kit.MaxContextText - len("_1000000 earlier steps_\n")
	var lines []string
	for i := len(events) - 1; i >= 0 && len(lines) < keep; i-- {
		line := timelineLine(events[i])
		n := utf8.RuneCountInString(line) + 1
		if n > budget {
			break
		}
		budget -= n
		lines = append(lines, line)
	}
	slices.Reverse(lines)
	if earlier := len(events) - len(lines); earlier > 0 {
		lines = append([]string{fmt.Sprintf("_%d earlier %s_", earlier, kit.Plural(earlier, "step", "steps"))}, lines...)
	}
	return []slack.Block{kit.Context(strings.Join(lines, "\n"))}
}

// timelineLine is one step: when, what, who, and its note, clipped.
func timelineLine(e rapport.Event) string {
	line := fmt.Sprintf("• %s · %s by %s", kit.Date(e.At), e.To.Label(), kit.Mention(e.Actor))
	switch e.Action {
	case rapport.ActCorrect:
		line = fmt.Sprintf("• %s · corrected to %s by %s", kit.Date(e.At), e.To.Label(), kit.Mention(e.Actor))
	case rapport.ActUndo:
		line = fmt.Sprintf("• %s · %s undone by %s: %s again", kit.Date(e.At), e.From.Label(), kit.Mention(e.Actor), e.To.Label())
	case rapport.ActEdit:
		line = fmt.Sprintf("• %s · details edited by %s (%s)", kit.Date(e.At), kit.Mention(e.Actor), changedLabels(e.Changed))
	case rapport.ActNote:
		line = fmt.Sprintf("• %s · note by %s", kit.Date(e.At), kit.Mention(e.Actor))
	case rapport.ActAsk:
		line = fmt.Sprintf("• %s · update asked by %s", kit.Date(e.At), kit.Mention(e.Actor))
	case rapport.ActExpire:
		line = fmt.Sprintf("• %s · expired: no news for too long", kit.Date(e.At))
	}
	if e.Ref != 0 {
		line += " → " + rapport.FormatID(e.Ref)
	}
	if e.Note != "" {
		line += ": “" + kit.EscClip(e.Note, timelineNote) + "”"
	}
	return line
}

// timelineNote is how much of a step's note the timeline shows: the report to the giver has it whole.
const timelineNote = 200

func coaching(ref rapport.Referral) string {
	f, r := ref.Facts, kit.Mention(ref.Receiver)
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

// voucher is who answered the referral's qualification facts: the member who passed it on to its
// receiver, or else its giver (rule 12).
func voucher(ref rapport.Referral) string {
	if ref.PassedBy != "" {
		return ref.PassedBy
	}
	return ref.Giver
}

// noConsentLine says, beside the contact details, that the prospect was not asked whether their
// contact may be shared (rule 13), and what the receiver can do about it.
func noConsentLine(ref rapport.Referral) string {
	v := kit.Mention(voucher(ref))
	return fmt.Sprintf(":warning: %s has not asked %s whether you may call: say who sent you, or ask %s first.",
		v, kit.Esc(ref.Prospect.Name), v)
}

// factLine shows the three facts as who vouched for them (by) answered them about the receiver,
// named as whom ("you" in the receiver's own DM, a mention elsewhere).
func factLine(f rapport.Facts, by, whom string) string {
	mark := func(on bool, s string) string {
		if on {
			return ":white_check_mark: " + s
		}
		return ":white_large_square: " + s
	}
	whose := whom + "'s"
	if whom == "you" {
		whose = "your"
	}
	return strings.Join([]string{
		mark(f.Spoke, kit.Mention(by)+" spoke with them about "+whom),
		mark(f.MayShare, "may share their contact"),
		mark(f.Expects, "they expect "+whose+" call"),
	}, "   ")
}

// TempEmoji marks a temperature: fire, sun or snow.
func TempEmoji(t rapport.Temperature) string {
	switch t {
	case rapport.Hot:
		return ":fire:"
	case rapport.Warm:
		return ":sunny:"
	}
	return ":snowflake:"
}
