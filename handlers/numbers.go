package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// boardSize is how many lines each part of a leaderboard shows.
const (
	boardSize = 5
	askLimit  = 300
	askList   = 20
)

const actionShareBoard = "board:share"

// leaderboard answers "/refer leaderboard [week|month|quarter|year|all]", privately, with a button
// to share it in the recognition channel.
func (h *Handlers) leaderboard(ctx context.Context, r *bot.Request, rest string) (any, error) {
	set := h.settings.Snapshot()
	p, ok := rapport.PeriodOf(strings.ToLower(strings.TrimSpace(rest)), h.now(), set.TimeZone)
	if !ok {
		return bot.Ephemeral("Choose a period: `/refer leaderboard week`, `month` (the default), `quarter`, `year` or `all`."), nil
	}
	facts, err := h.store.Facts(ctx, r.Team, p.From, p.To)
	if err != nil {
		return nil, h.readError(err)
	}
	blocks := boardBlocks(rapport.Leaderboard(facts, p), p, set.TimeZone, true)
	if set.RecognitionChannel != "" {
		blocks = append(blocks, slack.NewActionBlock("board", slack.NewButtonBlockElement(actionShareBoard, p.Name, plain("Share in the channel"))))
	}
	return bot.Ephemeral("Leaderboard: "+periodTitle(p, set.TimeZone), blocks...), nil
}

// shareBoard queues the leaderboard for the recognition channel, drawn when it is sent.
func (h *Handlers) shareBoard(ctx context.Context, r *bot.Request) (any, error) {
	channel := h.settings.Snapshot().RecognitionChannel
	if channel == "" {
		return nil, rapport.Errorf(rapport.EINVALID, "There is no recognition channel yet: ask an admin to choose one with `/refer settings`.")
	}
	period := r.Interaction.ActionCallback.BlockActions[0].Value
	if err := h.store.Enqueue(ctx, r.Team, r.EnvelopeID, KindBoard, channel, map[string]string{"period": period, "by": r.Interaction.User.ID}); err != nil {
		h.log.Error("share leaderboard", zap.Error(err))
		return nil, rapport.Errorf(rapport.EUNAVAILABLE, "Rapport can't reach its database right now. Please try again in a minute.")
	}
	return nil, nil
}

// sharedBoard draws a shared leaderboard: values only when the group made them public.
func (h *Handlers) sharedBoard(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Post, bool, error) {
	set := h.settings.Get(ctx)
	p, ok := rapport.PeriodOf(e.Fields["period"], h.now(), set.TimeZone)
	if !ok {
		return bot.Post{}, false, nil
	}
	facts, err := h.store.Facts(ctx, team, p.From, p.To)
	if err != nil {
		return bot.Post{}, false, err
	}
	blocks := boardBlocks(rapport.Leaderboard(facts, p), p, set.TimeZone, set.PublicValues)
	if by := e.Fields["by"]; by != "" {
		blocks = append(blocks, contextBlock("Shared by "+mention(by)))
	}
	return bot.Post{Channel: e.To, Text: "Leaderboard: " + periodTitle(p, set.TimeZone), Blocks: blocks}, true, nil
}

func periodTitle(p rapport.Period, loc *time.Location) string {
	from := p.From.In(loc)
	switch p.Name {
	case "week":
		return "week of " + from.Format("Jan 2")
	case "month":
		return from.Format("January 2006")
	case "quarter":
		return fmt.Sprintf("Q%d %d", (int(from.Month())-1)/3+1, from.Year())
	case "year":
		return from.Format("2006")
	}
	return "all time"
}

func boardBlocks(b rapport.Board, p rapport.Period, loc *time.Location, values bool) []slack.Block {
	blocks := []slack.Block{section(":trophy: *Leaderboard: " + periodTitle(p, loc) + "*")}
	var lines []string
	for i, g := range first(b.Givers, boardSize) {
		lines = append(lines, fmt.Sprintf("%d. %s: *%d* qualified (%d hot, %d warm) · %d %s", i+1, mention(g.Member),
			g.Qualified(), g.Hot, g.Warm, g.Cold, plural(g.Cold, "lead", "leads")))
	}
	blocks = append(blocks, section("*Top givers*\n"+orNone(lines, "No referrals yet: be the first with `/refer`.")))
	lines = nil
	for i, c := range first(b.Closed, boardSize) {
		line := fmt.Sprintf("%d. %s: %d %s closed", i+1, mention(c.Member), c.Count, plural(c.Count, "referral", "referrals"))
		if values {
			line += " (" + money(c.Value, "") + ")"
		}
		lines = append(lines, line)
	}
	blocks = append(blocks, section("*Business their referrals brought*\n"+orNone(lines, "None closed yet.")))
	lines = nil
	for i, s := range first(b.Fastest, boardSize) {
		lines = append(lines, fmt.Sprintf("%d. %s: %s median to first action (%d)", i+1, mention(s.Member), shortDuration(s.Median), s.Count))
	}
	blocks = append(blocks, section("*Fastest follow-ups*\n"+orNone(lines, "No follow-ups yet.")))
	return blocks
}

// lineBlocks is a heading and one section per line: a section holds at most 3,000 characters, and
// asks and notes make long lines.
func lineBlocks(heading string, lines []string) []slack.Block {
	blocks := []slack.Block{section(heading)}
	for _, l := range lines {
		blocks = append(blocks, section(l))
	}
	return blocks
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func orNone(lines []string, none string) string {
	if len(lines) == 0 {
		return "_" + none + "_"
	}
	return strings.Join(lines, "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shortDuration writes 45m, 5h, 3d.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
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
		return bot.Ephemeral("Type `/refer stats`, `/refer stats @member`, and optionally a period: week, month, quarter, year or all."), nil
	}
	facts, err := h.store.MemberFacts(ctx, r.Team, member)
	if err != nil {
		return nil, h.readError(err)
	}
	s := rapport.StatsOf(facts, member, p)
	contact := "none yet"
	if s.MedianFirstContact > 0 {
		contact = shortDuration(s.MedianFirstContact)
	}
	text := fmt.Sprintf("*%s's numbers, %s*\n", mention(member), periodTitle(p, set.TimeZone)) +
		fmt.Sprintf("• Given: *%d* (%s qualified; leads are counted apart)\n", s.Given, pct(s.QualifiedShare())) +
		fmt.Sprintf("• Received: *%d*, reported back on %s\n", s.Received, pct(s.ReportedShare())) +
		fmt.Sprintf("• Closed: *%d* (%s), conversion %s\n", s.ClosedCount, money(s.ClosedValue, set.Currency), pct(s.Conversion())) +
		fmt.Sprintf("• Business their referrals brought others: *%d* (%s)\n", s.BroughtCount, money(s.BroughtValue, set.Currency)) +
		fmt.Sprintf("• Median time to first contact: *%s*", contact)
	return bot.Ephemeral(text, section(text)), nil
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// ledger answers "/refer ledger": give and take with every member (rule 6), one-sided first, with
// what the other member is asking for.
func (h *Handlers) ledger(ctx context.Context, r *bot.Request, _ string) (any, error) {
	me := r.Command.UserID
	facts, err := h.store.MemberFacts(ctx, r.Team, me)
	if err != nil {
		return nil, h.readError(err)
	}
	asks, err := h.store.Asks(ctx, r.Team)
	if err != nil {
		return nil, h.readError(err)
	}
	askOf := map[string]string{}
	for _, a := range asks {
		askOf[a.Member] = a.Text
	}
	balances := rapport.Ledger(facts, me)
	if len(balances) == 0 {
		return bot.Ephemeral("No referrals given or received yet. `/refer asks` shows what members are looking for."), nil
	}
	var lines []string
	for _, b := range first(balances, 15) {
		o := mention(b.Other)
		line := fmt.Sprintf("• %s: you gave %d, received %d", o, b.Given, b.Received)
		if b.OneSided() {
			line = fmt.Sprintf("• :warning: %s sent you %d, you sent them none", o, b.Received)
			if a := askOf[b.Other]; a != "" {
				line += ": their ask is “" + esc(clip(a, 150)) + "”"
			}
		}
		if b.ClosedFromOther > 0 || b.ClosedForOther > 0 {
			line += fmt.Sprintf(" · closed: %s from theirs, %s from yours", money(b.ClosedFromOther, ""), money(b.ClosedForOther, ""))
		}
		lines = append(lines, line)
	}
	if len(balances) > 15 {
		lines = append(lines, fmt.Sprintf("_and %d more_", len(balances)-15))
	}
	return bot.Ephemeral("Your give and take", lineBlocks("*Your give and take*", lines)...), nil
}

// ask answers "/refer ask <text>", "/refer ask clear" and "/refer ask".
func (h *Handlers) ask(ctx context.Context, r *bot.Request, rest string) (any, error) {
	me, text := r.Command.UserID, strings.TrimSpace(unesc(rest))
	switch {
	case text == "":
		return bot.Ephemeral("Tell the group what referrals you want: `/refer ask introductions to wedding planners in Scottsdale`. `/refer ask clear` removes it; `/refer asks` lists everyone's."), nil
	case strings.EqualFold(text, "clear"):
		text = ""
	case utf8.RuneCountInString(text) > askLimit:
		return bot.Ephemeral(fmt.Sprintf("Keep your ask under %d characters (it has %d).", askLimit, utf8.RuneCountInString(text))), nil
	}
	if err := h.store.SetAsk(ctx, r.Team, me, text, h.now()); err != nil {
		h.log.Error("save ask", zap.Error(err))
		return nil, rapport.Errorf(rapport.EUNAVAILABLE, "*Not saved.* Rapport can't reach its database right now. Please try again in a minute.")
	}
	if text == "" {
		return bot.Ephemeral("Your ask is cleared."), nil
	}
	return bot.Ephemeral("Saved. Your ask: “" + esc(text) + "”. The weekly digest and `/refer asks` show it to the group."), nil
}

// asks answers "/refer asks": everyone's current asks, newest first.
func (h *Handlers) asks(ctx context.Context, r *bot.Request, _ string) (any, error) {
	all, err := h.store.Asks(ctx, r.Team)
	if err != nil {
		return nil, h.readError(err)
	}
	if len(all) == 0 {
		return bot.Ephemeral("Nobody has posted an ask yet. Post yours with `/refer ask what you are looking for`."), nil
	}
	var lines []string
	for _, a := range first(all, askList) {
		lines = append(lines, fmt.Sprintf("• %s: %s", mention(a.Member), esc(a.Text)))
	}
	if len(all) > askList {
		lines = append(lines, fmt.Sprintf("_and %d more_", len(all)-askList))
	}
	return bot.Ephemeral("What members are asking for", lineBlocks("*What members are asking for*", lines)...), nil
}
