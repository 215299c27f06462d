package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/slack-go/slack"
)

// ActionEditAsk is the action_id of the Edit button beside the member's ask; the handlers open
// the ask's form on it.
const ActionEditAsk = "home:ask"

// homeTop is how many lines the Home's balances and leaderboard show.
const homeTop = 5

// homeState is a member's Home as stored now.
type homeState struct {
	to   string
	data rapport.HomeData
	hc   homeContext
}

// readHome reads what the member's Home shows; for a member who has not opened Home recently,
// only that (a refresh nobody would see costs a Slack call).
func readHome(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (homeState, error) {
	set := c.settings.Get(ctx)
	loc := set.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	month, _ := rapport.PeriodOf("month", c.now(), loc)
	d, err := c.store.HomeData(ctx, team, e.To, month)
	if err != nil {
		return homeState{}, err
	}
	hc := homeContext{month: month, loc: loc, currency: set.Currency, notice: e.Fields[rapport.EntryNotice]}
	if d.Opened && d.Member.GroupAdmin(c.admins) {
		v, err := c.readOpenView(ctx, team, set)
		if err != nil {
			return homeState{}, err
		}
		hc.open = &v
	}
	return homeState{to: e.To, data: d, hc: hc}, nil
}

// homePost publishes the member's Home tab.
func homePost(s homeState) bot.Delivery {
	view := homeView(s.to, s.data, s.hc)
	return bot.Delivery{Channel: s.to, Text: "Your Rapport home", Home: &view}
}

// homeContext is what a Home view needs besides the member's data.
type homeContext struct {
	month    rapport.Period // this month, in the group's time zone
	loc      *time.Location
	currency string    // the group's currency for closed business
	notice   string    // mrkdwn shown on top (a refused click); "" for none
	open     *OpenView // the group's open referrals, for an admin; nil for other members
}

// homeView draws a member's App Home: what waits on them (with the DM's lifecycle buttons), what
// they gave that is still open, their ask, their numbers this month, their give and take, and the
// month's top givers. Prospects appear by name and company only: phone and email stay in the DM
// (rule 10). At most about 50 blocks, well inside Slack's 100: long lists show the newest and a count.
func homeView(me string, d rapport.HomeData, c homeContext) slack.HomeTabViewRequest {
	var blocks []slack.Block
	if c.notice != "" {
		blocks = append(blocks, kit.Section(c.notice))
	}
	if !d.HasHistory {
		blocks = append(blocks, homeIntro()...)
	}
	openGiven, openReceived := d.OpenGiven, d.OpenReceived

	blocks = append(blocks, kit.Header("Waiting on you"))
	if len(d.Received) == 0 {
		blocks = append(blocks, kit.Section("_Nothing waiting on you. Referrals others send you appear here, with their buttons._"))
	}
	for _, ref := range d.Received {
		blocks = append(blocks, homeReceived(ref))
		if acts := rapport.ReceiverActions(ref.Status); len(acts) > 0 {
			blocks = append(blocks, buttons(ref.Number, acts...))
		}
	}
	if more := openReceived - len(d.Received); more > 0 {
		blocks = append(blocks, kit.Context(fmt.Sprintf("_and %d older open %s: their DMs have the buttons too_", more, kit.Plural(more, "referral", "referrals"))))
	}

	blocks = append(blocks, slack.NewDividerBlock(), kit.Header("Referrals you gave"))
	if len(d.Given) == 0 {
		blocks = append(blocks, kit.Section("_None open. Give one with `/refer`: the best ones are people who expect the call._"))
	}
	for _, ref := range d.Given {
		blocks = append(blocks, homeGiven(ref))
	}
	if more := openGiven - len(d.Given); more > 0 {
		blocks = append(blocks, kit.Context(fmt.Sprintf("_and %d older open %s_", more, kit.Plural(more, "referral", "referrals"))))
	}

	blocks = append(blocks, slack.NewDividerBlock(), homeAsk(d.Ask))
	blocks = append(blocks, slack.NewDividerBlock())
	blocks = append(blocks, homeNumbers(d.Stats, c)...)
	blocks = append(blocks, homeBalances(d.Balances))
	blocks = append(blocks, homeBoard(d.Board, me, c))
	if c.open != nil {
		blocks = append(blocks, homeLeader(*c.open)...)
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// homeReceived is one referral waiting on the member: who sent it, about whom, what they need.
func homeReceived(ref rapport.Referral) slack.Block {
	text := fmt.Sprintf("*%s* from %s · *%s* · %s %s\n%s\n%s",
		ref.ID(), kit.Mention(ref.Giver), ref.Status.Label(), TempEmoji(ref.Temperature()), ref.Temperature().Label(),
		ProspectLine(ref.Prospect), kit.EscClip(ref.Need, 200))
	if ref.PassedBy != "" {
		text += "\n_Passed on by " + kit.Mention(ref.PassedBy) + "_"
	}
	text += "\n_Received " + kit.Date(ref.Created) + "_"
	return slack.NewSectionBlock(kit.MD(text), nil, nil, slack.SectionBlockOptionBlockID("home:r:"+strconv.FormatInt(ref.Number, 10)))
}

// homeGiven is one open referral the member gave, where it stands, with Withdraw while it may be.
func homeGiven(ref rapport.Referral) slack.Block {
	text := fmt.Sprintf("*%s* to %s · *%s*\n%s · given %s", ref.ID(), kit.Mention(ref.Receiver), ref.Status.Label(),
		ProspectLine(ref.Prospect), kit.Date(ref.Created))
	var acc *slack.Accessory
	if rapport.ActWithdraw.Can(ref.Status) {
		acc = slack.NewAccessory(slack.NewButtonBlockElement(ActionID(rapport.ActWithdraw), strconv.FormatInt(ref.Number, 10), kit.Plain(rapport.ActWithdraw.Label())))
	}
	return slack.NewSectionBlock(kit.MD(text), nil, acc, slack.SectionBlockOptionBlockID("home:g:"+strconv.FormatInt(ref.Number, 10)))
}

// homeAsk shows the member's ask with an Edit button; the button carries the current text so the
// form opens filled in without a read inside the ack.
func homeAsk(a rapport.Ask) slack.Block {
	text := "*Your ask*\n_None yet. Tell the group what referrals you want: the digest repeats it._"
	label := "Add"
	if a.Text != "" {
		text, label = "*Your ask*\n“"+kit.Esc(a.Text)+"”", "Edit"
	}
	btn := slack.NewButtonBlockElement(ActionEditAsk, a.Text, kit.Plain(label))
	return slack.NewSectionBlock(kit.MD(text), nil, slack.NewAccessory(btn), slack.SectionBlockOptionBlockID("home:ask"))
}

// homeNumbers are the member's numbers for this month: theirs, so with their closed value.
func homeNumbers(s rapport.MemberStats, c homeContext) []slack.Block {
	fields := []*slack.TextBlockObject{
		kit.MD(fmt.Sprintf("*Given*\n%d: %d hot · %d warm · %d %s", s.Given, s.Hot, s.Warm, s.Leads, kit.Plural(s.Leads, "lead", "leads"))),
		kit.MD(fmt.Sprintf("*Received*\n%d · %d passed on", s.Received, s.PassedOn)),
		kit.MD(fmt.Sprintf("*Closed*\n%d · %s", s.ClosedCount, kit.Money(s.ClosedValue, c.currency))),
		kit.MD(fmt.Sprintf("*Conversion*\n%s", kit.Percent(s.Conversion()))),
		kit.MD(fmt.Sprintf("*Recommendations*\n%d given · %d received", s.VouchesGiven, s.VouchesReceived)),
		kit.MD(fmt.Sprintf("*One-to-ones*\n%d confirmed", s.OneOnOnes)),
	}
	return []slack.Block{
		kit.Section("*Your numbers: " + c.month.From.In(c.loc).Format("January 2006") + "*"),
		slack.NewSectionBlock(nil, fields, nil),
	}
}

// homeBalances is the member's give and take with the others they exchanged the most with, the
// one-sided first (rule 6).
func homeBalances(ledger []rapport.Balance) slack.Block {
	var lines []string
	for _, b := range ledger[:min(len(ledger), homeTop)] {
		line := fmt.Sprintf("• %s: you gave %d, received %d", kit.Mention(b.Other), b.Given, b.Received)
		if b.OneSided() {
			line = fmt.Sprintf("• :warning: %s sent you %d, you sent them none yet", kit.Mention(b.Other), b.Received)
		}
		lines = append(lines, line)
	}
	if len(ledger) > homeTop {
		lines = append(lines, fmt.Sprintf("_and %d more: `/refer ledger` lists them all_", len(ledger)-homeTop))
	}
	if len(lines) == 0 {
		lines = append(lines, "_No referrals exchanged yet._")
	}
	return kit.Section("*Give and take*\n" + strings.Join(lines, "\n"))
}

// homeBoard is the month's top givers, the member marked.
func homeBoard(b rapport.Board, me string, c homeContext) slack.Block {
	var lines []string
	for i, g := range b.Givers[:min(len(b.Givers), homeTop)] {
		line := fmt.Sprintf("%d. %s: %s", i+1, kit.Mention(g.Member), GiverLine(g))
		if g.Member == me {
			line += " ← you"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = append(lines, "_No referrals yet this month: be the first with `/refer`._")
	}
	return kit.Section("*Top givers: " + c.month.From.In(c.loc).Format("January 2006") + "*\n" + strings.Join(lines, "\n"))
}
