package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// digestState is a computed digest as its entry carries it.
type digestState struct {
	to  string
	d   weekly
	set rapport.Settings
}

func readDigest(ctx context.Context, c *Catalogue, _ string, e rapport.OutboxEntry) (digestState, error) {
	var d weekly
	if err := json.Unmarshal([]byte(e.Fields[digestFieldBody]), &d); err != nil {
		return digestState{}, unreadable(e, err)
	}
	return digestState{to: e.To, d: d, set: c.settings.Get(ctx)}, nil
}

// digestPost is the week in the recognition channel (rules 4, 5, 7): referrals given, business
// closed and who brought it, who was thanked, what members ask for, and how many follow-ups wait.
// Members are mentioned by ID; prospects never appear; asks are escaped.
func digestPost(s digestState) bot.Delivery {
	d, set, channel := s.d, s.set, s.to
	loc := set.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	title := fmt.Sprintf("Weekly digest: %s – %s", d.From.In(loc).Format("Jan 2"), d.To.Add(-time.Nanosecond).In(loc).Format("Jan 2"))
	blocks := []slack.Block{kit.Header(title)}

	given := d.Given()
	refs := fmt.Sprintf(":handshake: *%d %s given*", given, digestWord(given, "referral", "referrals"))
	switch {
	case given == 0:
		refs = ":handshake: *No referrals given this week.* Who did you meet who needs what a member does?"
	default:
		refs += fmt.Sprintf(": *%d hot* (qualified), %d warm and %d %s.", d.Hot, d.Warm,
			d.Leads, digestWord(d.Leads, "lead", "leads"))
		if len(d.TopGivers) > 0 {
			var gs []string
			for _, g := range d.TopGivers {
				gs = append(gs, fmt.Sprintf("%s (%d)", kit.Mention(g.Member), g.Hot))
			}
			refs += "\nMost hot referrals given: " + strings.Join(gs, ", ")
		}
	}
	if d.PassedOn > 0 {
		refs += fmt.Sprintf("\n%d %s passed on to a better-placed member.", d.PassedOn, digestWord(d.PassedOn, "referral", "referrals"))
	}
	blocks = append(blocks, kit.Section(refs))

	closed := fmt.Sprintf(":moneybag: *Closed business:* %d %s", d.Closed, digestWord(d.Closed, "deal", "deals"))
	if set.PublicValues && len(d.Value) > 0 {
		closed += " worth " + digestValues(d.Value, set.Currency)
	}
	if d.Closed > 0 {
		closed += ".\nThank you to the givers who brought it: " + digestMentions(d.ClosedBy) + "!"
	} else {
		closed += " this week."
	}
	blocks = append(blocks, kit.Section(closed))

	if len(d.Thanked) > 0 {
		var ts []string
		for _, t := range d.Thanked {
			ts = append(ts, fmt.Sprintf("%s (by %s)", kit.Mention(t.Member), digestMentions(t.By)))
		}
		blocks = append(blocks, kit.Section(":pray: *Thanked in public:* "+digestList(ts)))
	}

	if d.Vouches > 0 {
		blocks = append(blocks, kit.Section(fmt.Sprintf(":raised_hands: *%d %s this week* (counted apart from referrals), for %s.",
			d.Vouches, digestWord(d.Vouches, "recommendation", "recommendations"), digestMentions(d.Vouched))))
	}

	if d.OneOnOnes > 0 {
		line := fmt.Sprintf(":coffee: *%d %s this week*: the meetings where members learn whom to refer.",
			d.OneOnOnes, digestWord(d.OneOnOnes, "one-to-one", "one-to-ones"))
		var ms []string
		for _, m := range d.MetMost {
			ms = append(ms, fmt.Sprintf("%s (%d)", kit.Mention(m.Member), m.Count))
		}
		if len(ms) > 0 {
			line += " Most: " + strings.Join(ms, ", ") + "."
		}
		blocks = append(blocks, kit.Section(line))
	}

	if len(d.Asks) > 0 {
		var as []string
		for _, a := range d.Asks {
			as = append(as, "• "+kit.Mention(a.Member)+": "+kit.EscClip(digestOneLine(a.Text), digestAskClip))
		}
		blocks = append(blocks, kit.Section(":mega: *Asks: who do you know?*\n"+strings.Join(as, "\n")))
	}

	if d.Overdue > 0 {
		blocks = append(blocks, kit.Section(fmt.Sprintf(":hourglass_flowing_sand: %d %s still waiting for a first move after %s. A quick accept or pass-on keeps givers giving.",
			d.Overdue, digestWord(d.Overdue, "referral is", "referrals are"), kit.Duration(d.SLA))))
	}
	blocks = append(blocks, kit.Context("Give a referral with `/refer` · post what you need with `/refer ask …` · thank anyone with `/refer thanks @member …` · recommend one with `/refer vouch @member …` · record a one-to-one with `/refer 1to1 @member`"))

	text := fmt.Sprintf("Weekly digest: %d %s given (%d hot), %d %s closed", given,
		digestWord(given, "referral", "referrals"), d.Hot, d.Closed, digestWord(d.Closed, "deal", "deals"))
	if d.OneOnOnes > 0 {
		text += fmt.Sprintf(", %d %s", d.OneOnOnes, digestWord(d.OneOnOnes, "one-to-one", "one-to-ones"))
	}
	text += "."
	return bot.Delivery{Channel: channel, Text: text, Blocks: blocks}
}

// inactiveState is what the private nudge to an inactive member shows: others' asks, unless they
// gave since the window began.
type inactiveState struct {
	to   string
	gave bool
	asks []string // lines, at most digestNudgeAsks
}

func readInactive(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (inactiveState, error) {
	since, ok := msField(e, digestFieldSince)
	if !ok {
		return inactiveState{}, unreadable(e, errNoField)
	}
	gave, err := c.store.GivenCounts(ctx, team, []string{e.To}, since, c.now().Add(time.Minute))
	if err != nil {
		return inactiveState{}, err
	}
	s := inactiveState{to: e.To, gave: gave[e.To] > 0}
	if s.gave {
		return s, nil
	}
	asks, err := c.store.Asks(ctx, team)
	if err != nil {
		return inactiveState{}, err
	}
	for _, a := range asks { // newest first
		if a.Member != e.To && a.Text != "" && len(s.asks) < digestNudgeAsks {
			s.asks = append(s.asks, "• "+kit.Mention(a.Member)+" is looking for: "+kit.EscClip(digestOneLine(a.Text), digestAskClip))
		}
	}
	return s, nil
}

// inactivePost is the private, friendly DM to a member who gave nothing for a while (rule 5): the
// asks of others they might help with.
func inactivePost(s inactiveState) bot.Delivery {
	text := "Hi! Here's what others in the group are asking for this week. Does anyone you know come to mind?"
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{
		kit.Section(":wave: " + text + "\n\n" + strings.Join(s.asks, "\n")),
		kit.Context("When you've spoken with someone who'd welcome the call, `/refer` takes a minute. Only you see this message."),
	}}
}

func digestWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// digestValues writes closed value by currency, the group's currency first.
func digestValues(v map[string]int64, main string) string {
	curs := make([]string, 0, len(v))
	for c := range v {
		curs = append(curs, c)
	}
	sort.Slice(curs, func(i, j int) bool {
		if (curs[i] == main) != (curs[j] == main) {
			return curs[i] == main
		}
		return curs[i] < curs[j]
	})
	parts := make([]string, len(curs))
	for i, c := range curs {
		parts[i] = kit.Money(v[c], c)
	}
	return strings.Join(parts, " + ")
}

// mentions names members, the first digestListMax of them.
func digestMentions(ids []string) string {
	ms := make([]string, len(ids))
	for i, id := range ids {
		ms[i] = kit.Mention(id)
	}
	return digestList(ms)
}

func digestList(items []string) string {
	if len(items) > digestListMax {
		return strings.Join(items[:digestListMax], ", ") + fmt.Sprintf(" and %d more", len(items)-digestListMax)
	}
	return strings.Join(items, ", ")
}

func digestOneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
