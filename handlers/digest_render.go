package handlers

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
)

// digestEntry draws the week's digest from the numbers computed when the week was claimed.
func (h *Handlers) digestEntry(ctx context.Context, e rapport.OutboxEntry) (bot.Post, bool, error) {
	var d weekly
	if err := json.Unmarshal([]byte(e.Fields[digestFieldBody]), &d); err != nil {
		return bot.Post{}, false, rapport.Errorf(rapport.ENOTFOUND, "unreadable %s entry", e.Kind)
	}
	return digestPost(d, h.settings.Get(ctx), e.To), true, nil
}

// digestPost is the week in the recognition channel (rules 4, 5, 7): referrals given, business
// closed and who brought it, who was thanked, what members ask for, and how many follow-ups wait.
// Members are mentioned by ID; prospects never appear; asks are escaped.
func digestPost(d weekly, set rapport.Settings, channel string) bot.Post {
	loc := set.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	title := fmt.Sprintf("Weekly digest: %s – %s", d.From.In(loc).Format("Jan 2"), d.To.Add(-time.Nanosecond).In(loc).Format("Jan 2"))
	blocks := []slack.Block{slack.NewHeaderBlock(plain(title))}

	given := d.Qualified() + d.Leads
	refs := fmt.Sprintf(":handshake: *%d %s given*", given, digestWord(given, "referral", "referrals"))
	switch {
	case given == 0:
		refs = ":handshake: *No referrals given this week.* Who did you meet who needs what a member does?"
	default:
		refs += fmt.Sprintf(": *%d qualified* (%d hot, %d warm) and %d %s.", d.Qualified(), d.Hot, d.Warm,
			d.Leads, digestWord(d.Leads, "lead", "leads"))
		if len(d.TopGivers) > 0 {
			var gs []string
			for _, g := range d.TopGivers {
				gs = append(gs, fmt.Sprintf("%s (%d)", mention(g.Member), g.Qualified()))
			}
			refs += "\nMost qualified referrals given: " + strings.Join(gs, ", ")
		}
	}
	blocks = append(blocks, section(refs))

	closed := fmt.Sprintf(":moneybag: *Closed business:* %d %s", d.Closed, digestWord(d.Closed, "deal", "deals"))
	if set.PublicValues && len(d.Value) > 0 {
		closed += " worth " + digestValues(d.Value, set.Currency)
	}
	if d.Closed > 0 {
		closed += ".\nThank you to the givers who brought it: " + digestMentions(d.ClosedBy) + "!"
	} else {
		closed += " this week."
	}
	blocks = append(blocks, section(closed))

	if len(d.Thanked) > 0 {
		var ts []string
		for _, t := range d.Thanked {
			ts = append(ts, fmt.Sprintf("%s (by %s)", mention(t.Member), digestMentions(t.By)))
		}
		blocks = append(blocks, section(":pray: *Thanked in public:* "+digestList(ts)))
	}

	if len(d.Asks) > 0 {
		var as []string
		for _, a := range d.Asks {
			as = append(as, "• "+mention(a.Member)+": "+esc(clip(digestOneLine(a.Text), digestAskClip)))
		}
		blocks = append(blocks, section(":mega: *Asks: who do you know?*\n"+strings.Join(as, "\n")))
	}

	if d.Overdue > 0 {
		blocks = append(blocks, section(fmt.Sprintf(":hourglass_flowing_sand: %d %s still waiting for a first move after %s. A quick accept or pass-on keeps givers giving.",
			d.Overdue, digestWord(d.Overdue, "referral is", "referrals are"), humanDuration(d.SLA))))
	}
	blocks = append(blocks, contextBlock("Give a referral with `/refer` · post what you need with `/refer ask …` · thank anyone with `/refer thanks @member …`"))

	text := fmt.Sprintf("Weekly digest: %d %s given (%d qualified), %d %s closed.", given,
		digestWord(given, "referral", "referrals"), d.Qualified(), d.Closed, digestWord(d.Closed, "deal", "deals"))
	return bot.Post{Channel: channel, Text: text, Blocks: blocks}
}

// inactiveNudge is the private, friendly DM to a member who gave nothing for a while (rule 5): the
// asks of others they might help with. It is no longer owed once they gave, or when nobody asks.
func (h *Handlers) inactiveNudge(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Post, bool, error) {
	since, ok := msField(e, digestFieldSince)
	if !ok {
		return bot.Post{}, false, rapport.Errorf(rapport.ENOTFOUND, "unreadable %s entry", e.Kind)
	}
	gave, err := h.store.GivenCounts(ctx, team, []string{e.To}, since, h.now().Add(time.Minute))
	if err != nil {
		return bot.Post{}, false, err
	}
	if gave[e.To] > 0 {
		return bot.Post{}, false, nil
	}
	asks, err := h.store.Asks(ctx, team)
	if err != nil {
		return bot.Post{}, false, err
	}
	var lines []string
	for _, a := range asks { // newest first
		if a.Member != e.To && a.Text != "" && len(lines) < digestNudgeAsks {
			lines = append(lines, "• "+mention(a.Member)+" is looking for: "+esc(clip(digestOneLine(a.Text), digestAskClip)))
		}
	}
	if len(lines) == 0 {
		return bot.Post{}, false, nil
	}
	text := "Hi! Here's what others in the group are asking for this week. Does anyone you know come to mind?"
	return bot.Post{Channel: e.To, Text: text, Blocks: []slack.Block{
		section(":wave: " + text + "\n\n" + strings.Join(lines, "\n")),
		contextBlock("When you've spoken with someone who'd welcome the call, `/refer` takes a minute. Only you see this message."),
	}}, true, nil
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
		parts[i] = money(v[c], c)
	}
	return strings.Join(parts, " + ")
}

// mentions names members, the first digestListMax of them.
func digestMentions(ids []string) string {
	ms := make([]string, len(ids))
	for i, id := range ids {
		ms[i] = mention(id)
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
