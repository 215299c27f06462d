package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// BoardSize is how many lines each part of a leaderboard shows.
const BoardSize = 5

// Fields of a shared leaderboard's entry.
const (
	FieldPeriod = "period" // the period shared: week, month, quarter, year or all
	FieldBy     = "by"     // the member who shared it
)

// boardState is a leaderboard a member shared, as it stands when it is sent.
type boardState struct {
	to, by string
	p      rapport.Period
	board  rapport.Board
	set    rapport.Settings
}

func readBoard(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (boardState, error) {
	set := c.settings.Get(ctx)
	p, ok := rapport.PeriodOf(e.Fields[FieldPeriod], c.now(), set.TimeZone)
	if !ok {
		return boardState{}, unreadable(e, errNoField)
	}
	board, err := c.store.Board(ctx, team, p)
	if err != nil {
		return boardState{}, err
	}
	return boardState{to: e.To, by: e.Fields[FieldBy], p: p, board: board, set: set}, nil
}

// sharedBoard draws a shared leaderboard: values only when the group made them public (rule 10).
func sharedBoard(s boardState) bot.Delivery {
	blocks := BoardBlocks(s.board, s.p, s.set, func(string) bool { return s.set.PublicValues })
	if s.by != "" {
		blocks = append(blocks, kit.Context("Shared by "+kit.Mention(s.by)))
	}
	return bot.Delivery{Channel: s.to, Text: "Leaderboard: " + PeriodTitle(s.p, s.set.TimeZone), Blocks: blocks}
}

// PeriodTitle names a period as a leaderboard heads it.
func PeriodTitle(p rapport.Period, loc *time.Location) string {
	from := p.From.In(loc)
	switch p.Name {
	case "day":
		return from.Format("Monday, Jan 2")
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

// BoardLegend is the leaderboard's header line: what each number means (rule 1).
const BoardLegend = "*Hot* = spoke with them, may share the contact, they expect the call · *Warm* = some of that · " +
	"*Leads* = a name only · *Passed on* = handed to a better-placed member, counted apart · " +
	"*Closed* = business closed from their referrals · *Follow-ups* = median time to first contact"

// BoardBlocks draws a leaderboard of the group whose settings are set. showValue says whether the
// closed value of a member's row may be shown (rule 10: to that member, admins, or everyone when
// the group made values public); values are in the group's currency.
func BoardBlocks(b rapport.Board, p rapport.Period, set rapport.Settings, showValue func(member string) bool) []slack.Block {
	blocks := []slack.Block{kit.Section(":trophy: *Leaderboard: " + PeriodTitle(p, set.TimeZone) + "*"), kit.Context(BoardLegend)}
	var lines []string
	for i, g := range kit.First(b.Givers, BoardSize) {
		lines = append(lines, fmt.Sprintf("%d. %s: %s", i+1, kit.Mention(g.Member), GiverLine(g)))
	}
	blocks = append(blocks, kit.Section("*Top givers*\n"+kit.OrNone(lines, "No referrals yet: be the first with `/refer`.")))
	lines = nil
	for i, c := range kit.First(b.Closed, BoardSize) {
		line := fmt.Sprintf("%d. %s: %d %s closed", i+1, kit.Mention(c.Member), c.Count, kit.Plural(c.Count, "referral", "referrals"))
		if showValue(c.Member) {
			line += " (" + kit.Money(c.Value, set.Currency) + ")"
		}
		lines = append(lines, line)
	}
	blocks = append(blocks, kit.Section("*Business their referrals brought*\n"+kit.OrNone(lines, "None closed yet.")))
	lines = nil
	for i, s := range kit.First(b.Fastest, BoardSize) {
		lines = append(lines, fmt.Sprintf("%d. %s: %s median to first contact (%d)", i+1, kit.Mention(s.Member), kit.ShortDuration(s.Median), s.Count))
	}
	blocks = append(blocks, kit.Section("*Fastest follow-ups*\n"+kit.OrNone(lines, "No prospects contacted yet.")))
	return blocks
}

// GiverLine is a giver's numbers as the boards write them: hot first (the only qualified), warm
// and leads apart, and pass-ons apart from what they gave (rules 1, 12).
func GiverLine(g rapport.GiverCount) string {
	line := fmt.Sprintf("*%d* hot · %d warm · %d %s", g.Hot, g.Warm, g.Cold, kit.Plural(g.Cold, "lead", "leads"))
	if g.PassedOn > 0 {
		line += fmt.Sprintf(" · %d passed on", g.PassedOn)
	}
	return line
}
