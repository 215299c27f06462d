package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
)

// askList is how many asks /refer asks lists (how long one may be is rapport.MaxAsk).
const askList = 20

const actionShareBoard = "board:share"

// leaderboard answers "/refer leaderboard [day|week|month|quarter|year|all]", privately, with a button
// to share it in the recognition channel.
func (h *Handlers) leaderboard(ctx context.Context, r *bot.Request, rest string) (any, error) {
	set := h.settings.Snapshot()
	p, ok := rapport.PeriodOf(strings.ToLower(strings.TrimSpace(rest)), h.now(), set.TimeZone)
	if !ok {
		return bot.Ephemeral("Choose a period: `/refer leaderboard day` (today), `week`, `month` (the default), `quarter`, `year` or `all`."), nil
	}
	board, err := h.store.Board(ctx, r.Team, p)
	if err != nil {
		return nil, err
	}
	show, err := h.valueShown(ctx, r.Team, r.Command.UserID, set, board.Closed)
	if err != nil {
		return nil, err
	}
	blocks := notify.BoardBlocks(board, p, set, show)
	if set.RecognitionChannel != "" {
		blocks = append(blocks, slack.NewActionBlock("board", slack.NewButtonBlockElement(actionShareBoard, p.Name, kit.Plain("Share in the channel"))))
	}
	return bot.Ephemeral("Leaderboard: "+notify.PeriodTitle(p, set.TimeZone), blocks...), nil
}

// valueShown says whose closed value viewer may see on a board (rule 10): everyone's when the
// group made values public or viewer is an admin, else only their own. The admin rule is read only
// when a row of someone else has a value to hide.
func (h *Handlers) valueShown(ctx context.Context, team, viewer string, set rapport.Settings, rows []rapport.MemberValue) (func(string) bool, error) {
	all := func(string) bool { return true }
	if set.PublicValues {
		return all, nil
	}
	for _, c := range kit.First(rows, notify.BoardSize) {
		if c.Member == viewer || c.Value == 0 {
			continue
		}
		admin, err := h.isAdmin(ctx, team, viewer)
		if err != nil {
			return nil, err
		}
		if admin {
			return all, nil
		}
		break
	}
	return func(m string) bool { return m == viewer }, nil
}

// shareBoard queues the leaderboard for the recognition channel, drawn when it is sent.
func (h *Handlers) shareBoard(ctx context.Context, r *bot.Request) (any, error) {
	channel := h.settings.Snapshot().RecognitionChannel
	if channel == "" {
		return nil, rapport.Errorf(rapport.EINVALID, "There is no recognition channel yet: ask an admin to choose one with `/refer settings`.")
	}
	period := r.Interaction.ActionCallback.BlockActions[0].Value
	if err := h.store.Enqueue(ctx, r.Team, r.EnvelopeID, notify.Board.Kind, channel, map[string]string{notify.FieldPeriod: period, notify.FieldBy: r.Interaction.User.ID}); err != nil {
		return nil, err
	}
	return nil, nil
}

// stats answers "/refer stats [@member] [period]": a member's numbers, this month by default.
func (h *Handlers) stats(ctx context.Context, r *bot.Request, rest string) (any, error) {
	member, period := r.Command.UserID, ""
	for _, w := range strings.Fields(rest) {
		if m := leadingMention.FindStringSubmatch(w); m != nil {
			member = m[1]
		} else {
			period = strings.ToLower(w)
		}
	}
	set := h.settings.Snapshot()
	p, ok := rapport.PeriodOf(period, h.now(), set.TimeZone)
	if !ok {
		return bot.Ephemeral("Type `/refer stats`, `/refer stats @member`, and optionally a period: day, week, month, quarter, year or all."), nil
	}
	s, err := h.store.MemberStats(ctx, r.Team, member, p)
	if err != nil {
		return nil, err
	}
	// Closed values are the member's own, their givers' and receivers', and admins' (rule 10).
	values := set.PublicValues || member == r.Command.UserID
	if !values {
		if values, err = h.isAdmin(ctx, r.Team, r.Command.UserID); err != nil {
			return nil, err
		}
	}
	money := func(v int64) string {
		if !values {
			return ""
		}
		return " (" + kit.Money(v, set.Currency) + ")"
	}
	contact := "none yet"
	if s.MedianFirstContact > 0 {
		contact = kit.ShortDuration(s.MedianFirstContact)
	}
	text := fmt.Sprintf("*%s's numbers, %s*\n", kit.Mention(member), notify.PeriodTitle(p, set.TimeZone)) +
		fmt.Sprintf("• Given: *%d*: *%d hot* (qualified), %d warm, %d %s\n", s.Given, s.Hot, s.Warm, s.Leads, kit.Plural(s.Leads, "lead", "leads")) +
		fmt.Sprintf("• Passed on to a better-placed member: *%d* (not counted as given)\n", s.PassedOn) +
		fmt.Sprintf("• Received: *%d*, reached the prospect on %s\n", s.Received, kit.Percent(s.ReportedShare())) +
		fmt.Sprintf("• Closed: *%d*%s, conversion %s\n", s.ClosedCount, money(s.ClosedValue), kit.Percent(s.Conversion())) +
		fmt.Sprintf("• Business their referrals brought others: *%d*%s\n", s.BroughtCount, money(s.BroughtValue)) +
		fmt.Sprintf("• Median time to first contact: *%s*\n", contact) +
		fmt.Sprintf("• Recommendations (`/refer vouch`): *%d* given, *%d* received\n", s.VouchesGiven, s.VouchesReceived) +
		fmt.Sprintf("• One-to-ones (`/refer 1to1`): *%d* confirmed", s.OneOnOnes)
	return bot.Ephemeral(text, kit.Section(text)), nil
}

// ledger answers "/refer ledger": give and take with every member (rule 6), one-sided first, with
// what the other member is asking for, and how often and when they last met (confirmed 1:1s).
func (h *Handlers) ledger(ctx context.Context, r *bot.Request, _ string) (any, error) {
	me, cur := r.Command.UserID, h.settings.Snapshot().Currency
	balances, err := h.store.Balances(ctx, r.Team, me, true)
	if err != nil {
		return nil, err
	}
	asks, err := h.store.Asks(ctx, r.Team)
	if err != nil {
		return nil, err
	}
	askOf := map[string]string{}
	for _, a := range asks {
		askOf[a.Member] = a.Text
	}
	if len(balances) == 0 {
		return bot.Ephemeral("No referrals, recommendations or one-to-ones yet. `/refer asks` shows what members are looking for; `/refer 1to1 @member` records a meeting."), nil
	}
	var lines []string
	for _, b := range kit.First(balances, 15) {
		o := kit.Mention(b.Other)
		recv := strconv.Itoa(b.Received)
		if b.PassedOn > 0 {
			recv += fmt.Sprintf(" (%d passed on)", b.PassedOn)
		}
		var parts []string
		switch {
		case b.OneSided():
			part := fmt.Sprintf(":warning: %s sent you %s, you sent them none", o, recv)
			if a := askOf[b.Other]; a != "" {
				part += ": their ask is “" + kit.EscClip(a, 150) + "”"
			}
			parts = append(parts, part)
		case b.Given > 0 || b.Received > 0:
			parts = append(parts, fmt.Sprintf("%s: you gave %d, received %s", o, b.Given, recv))
		default:
			parts = append(parts, o)
		}
		if b.ClosedFromOther > 0 || b.ClosedForOther > 0 {
			parts = append(parts, fmt.Sprintf("closed: %s from theirs, %s from yours", kit.Money(b.ClosedFromOther, cur), kit.Money(b.ClosedForOther, cur)))
		}
		if b.VouchedFor > 0 || b.VouchedBy > 0 {
			parts = append(parts, fmt.Sprintf("recommendations: %d by you, %d by them", b.VouchedFor, b.VouchedBy))
		}
		if b.Met > 0 {
			parts = append(parts, fmt.Sprintf("one-to-ones: %d, last on %s", b.Met, b.LastMet.LongLabel()))
		}
		line := "• " + strings.Join(parts, " · ")
		lines = append(lines, line)
	}
	if len(balances) > 15 {
		lines = append(lines, fmt.Sprintf("_and %d more_", len(balances)-15))
	}
	return bot.Ephemeral("Your give and take", kit.Lines("*Your give and take*", lines)...), nil
}

// ask answers "/refer ask <text>", "/refer ask clear" and "/refer ask".
func (h *Handlers) ask(ctx context.Context, r *bot.Request, rest string) (any, error) {
	me, text := r.Command.UserID, strings.TrimSpace(kit.Unesc(rest))
	switch {
	case text == "":
		return bot.Ephemeral("Tell the group what referrals you want: `/refer ask introductions to wedding planners in Scottsdale`. `/refer ask clear` removes it; `/refer asks` lists everyone's."), nil
	case strings.EqualFold(text, "clear"):
		text = ""
	case utf8.RuneCountInString(text) > rapport.MaxAsk:
		return bot.Ephemeral(fmt.Sprintf("Keep your ask under %d characters (it has %d).", rapport.MaxAsk, utf8.RuneCountInString(text))), nil
	}
	if err := h.store.SetAsk(ctx, r.Team, me, text, h.now()); err != nil {
		return nil, err
	}
	if text == "" {
		return bot.Ephemeral("Your ask is cleared."), nil
	}
	return bot.Ephemeral("Saved. Your ask: “" + kit.Esc(text) + "”. The weekly digest and `/refer asks` show it to the group."), nil
}

// asks answers "/refer asks": everyone's current asks, newest first.
func (h *Handlers) asks(ctx context.Context, r *bot.Request, _ string) (any, error) {
	all, err := h.store.Asks(ctx, r.Team)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return bot.Ephemeral("Nobody has posted an ask yet. Post yours with `/refer ask what you are looking for`."), nil
	}
	var lines []string
	for _, a := range kit.First(all, askList) {
		lines = append(lines, fmt.Sprintf("• %s: %s", kit.Mention(a.Member), kit.Esc(a.Text)))
	}
	if len(all) > askList {
		lines = append(lines, fmt.Sprintf("_and %d more_", len(all)-askList))
	}
	return bot.Ephemeral("What members are asking for", kit.Lines("*What members are asking for*", lines)...), nil
}
