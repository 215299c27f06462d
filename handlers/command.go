package handlers

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// listLimit is how many referrals of each side /refer list shows (the newest, with a count of the rest).
const listLimit = 10

// leadingMention matches "<@U123|bob> rest" or "<@U123> rest", as Slack escapes a mention in a
// command's text when should_escape is on.
var leadingMention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*(.*)$`)

// refer answers /refer and its subcommands.
func (h *Handlers) refer(ctx context.Context, r *bot.Request) (any, error) {
	text := strings.TrimSpace(r.Command.Text)
	sub, _, _ := strings.Cut(text, " ")
	h.welcomeAfter(r, r.Command.UserID)
	switch {
	case text == "":
		h.openForm(r, rapport.Draft{})
		return nil, nil
	case leadingMention.MatchString(text):
		m := leadingMention.FindStringSubmatch(text)
		h.openForm(r, rapport.Draft{Receiver: m[1], Need: kit.Clip(kit.Unesc(m[2]), rapport.MaxLen(rapport.FieldNeed))})
		return nil, nil
	}
	if f, ok := h.subcommands()[strings.ToLower(sub)]; ok {
		_, rest, _ := strings.Cut(text, " ")
		return f(ctx, r, strings.TrimSpace(rest))
	}
	return bot.Ephemeral(fmt.Sprintf("I don't know `/refer %s`. To refer someone, type `/refer` or `/refer @member what they need`; `/refer help` lists everything I can do.",
		kit.EscClip(kit.Unesc(sub), 40))), nil
}

// subcommand answers "/refer <name> <rest>"; rest is the text after the name, as Slack escaped it.
type subcommand func(ctx context.Context, r *bot.Request, rest string) (any, error)

// subcommands maps each "/refer <name>" to its handler.
func (h *Handlers) subcommands() map[string]subcommand {
	return map[string]subcommand{
		"help":        h.help,
		"list":        func(ctx context.Context, r *bot.Request, _ string) (any, error) { return h.list(ctx, r) },
		"show":        h.show,
		"set":         h.set,
		"export":      h.export,
		"settings":    h.settingsForm,
		"thanks":      h.thanks,
		"vouch":       h.vouch,
		"ask":         h.ask,
		"asks":        h.asks,
		"leaderboard": h.leaderboard,
		"stats":       h.stats,
		"ledger":      h.ledger,
		"1to1":        h.oneOnOne,
		"pairing":     h.pairing,
		"pairs":       h.pairs,
		"outbox":      h.outboxStatus,
		"open":        h.openList,
	}
}

// helpMembers is what /refer help tells every member, grouped by what they do.
const helpMembers = "*Rapport* keeps the group's referrals moving.\n" +
	"*Give and follow up*\n" +
	"• `/refer` — give a referral (opens a short form)\n" +
	"• `/refer @member what they need` — the same, with the receiver and the need filled in\n" +
	"• *Refer this* in a message's ⋯ menu — the form filled in from the message (*Give a referral* among the shortcuts opens it anywhere)\n" +
	"• `/refer list` — your open referrals, given and received\n" +
	"• `/refer show R-12` — a referral and its timeline\n" +
	"*Thank and ask*\n" +
	"• `/refer thanks @member what they did` — a public thank-you\n" +
	"• `/refer vouch @member to whom and why` — record a recommendation\n" +
	"• `/refer ask what you want referrals for` — your ask (`/refer ask clear` removes it)\n" +
	"• `/refer asks` — what everyone is asking for\n" +
	"*Meet*\n" +
	"• `/refer 1to1 @member [when] [note]` — record a one-to-one (when: today, yesterday, friday, 2026-05-02); they confirm it with one tap\n" +
	"• `/refer pairing on` — each week, a private suggestion of a member to meet one to one (`off` stops it; alone, it says whether you're in)\n" +
	"*The numbers*\n" +
	"• `/refer leaderboard [day|week|month|quarter|year|all]` — top givers, closed business, fastest follow-ups\n" +
	"• `/refer stats [@member] [period]` — the numbers of a member\n" +
	"• `/refer ledger` — your give and take with every member, and when you last met\n" +
	"• `/refer help` — this list"

// helpAdmins is what /refer help adds for the group's admins.
const helpAdmins = "*For admins*\n" +
	"• `/refer set R-12 <status> <note>` — correct a referral's status (`/refer set R-12 won 2500 <note>` records its value)\n" +
	"• `/refer export [week|month|quarter|year|all]` — a spreadsheet (CSV) of the referrals, by DM; the last 30 days by default\n" +
	"• `/refer open` — every open referral by receiver, the overdue first, with *Nudge now*\n" +
	"• `/refer pairs` — this week's pairing suggestions, why each, and which 1:1s were booked\n" +
	"• `/refer outbox` — messages waiting to be sent, and messages Slack refused, to send again\n" +
	"• `/refer settings` — the group's settings (channel, follow-up window, digest, time zone…)"

// help answers /refer help: the members' commands, and the admins' to admins. It does no I/O
// before the ack once the directory was synced: who is an admin is what the last sync found
// (helpShowsAdmins); a failed read before the first sync shows the members'.
func (h *Handlers) help(ctx context.Context, r *bot.Request, _ string) (any, error) {
	if !h.helpShowsAdmins(ctx, r.Team, r.Command.UserID) {
		return bot.Ephemeral(helpMembers), nil
	}
	return bot.Ephemeral(helpMembers + "\n" + helpAdmins), nil
}

// helpShowsAdmins tells whether /refer help shows user the admins' section, by
// rapport.Member.GroupAdmin as the member directory's last sync (in this process) found it, without
// a Redis read; before the first sync, from the directory in Redis. It only chooses what help
// shows: an admin's command is authorized by requireAdmin, which reads the directory.
func (h *Handlers) helpShowsAdmins(ctx context.Context, team, user string) bool {
	if admins := h.shownAdmins.Load(); admins != nil {
		return (*admins)[user] || (rapport.Member{ID: user}).GroupAdmin(h.cfg.Admins)
	}
	admin, err := h.isAdmin(ctx, team, user)
	return err == nil && admin
}

// openForm opens the referral modal after the ack: the trigger is valid for 3 s, the ack makes no
// Slack call.
func (h *Handlers) openForm(r *bot.Request, d rapport.Draft) {
	d.Giver = r.Command.UserID
	h.openFormFor(r, r.Command.TriggerID, d)
}

// openFormFor opens the referral modal filled in with d on trigger (a command's or a click's),
// after the ack.
func (h *Handlers) openFormFor(r *bot.Request, trigger string, d rapport.Draft) {
	team := r.Team
	r.After(func(ctx context.Context) error {
		form := referralModal(formState{draft: d})
		// A need filled in already (from a message, or typed after /refer @member) gets its
		// suggestions at once, as typing it would; without them if the asks cannot be read.
		if ms, err := h.suggest(ctx, team, d.Giver, d.Need); err != nil {
			h.log.Warn("form opened without suggestions", zap.Error(err))
		} else if len(ms) > 0 {
			form.Blocks.BlockSet, _ = withSuggestions(form.Blocks.BlockSet, ms)
		}
		if _, err := h.api.OpenViewContext(ctx, trigger, form); err != nil {
			return fmt.Errorf("views.open: %w", err)
		}
		return nil
	})
}

// list shows my open referrals, given and received, newest first.
func (h *Handlers) list(ctx context.Context, r *bot.Request) (any, error) {
	user := r.Command.UserID
	given, received, err := h.store.OpenReferrals(ctx, r.Team, user, listLimit)
	if err != nil {
		return nil, err
	}
	if len(given) == 0 && len(received) == 0 {
		return bot.Ephemeral("You have no open referrals. Type `/refer` to give one."), nil
	}
	var blocks []slack.Block
	if len(received) > 0 {
		blocks = append(blocks, kit.Section("*Waiting on you*"))
		for _, ref := range received {
			blocks = append(blocks, kit.Section(listLine(ref, "from "+kit.Mention(ref.Giver))))
		}
	}
	if len(given) > 0 {
		blocks = append(blocks, kit.Section("*You gave*"))
		for _, ref := range given {
			blocks = append(blocks, kit.Section(listLine(ref, "to "+kit.Mention(ref.Receiver))))
		}
	}
	return bot.Ephemeral(fmt.Sprintf("Your open referrals: %d received, %d given.", len(received), len(given)), blocks...), nil
}

func listLine(ref rapport.Referral, who string) string {
	p := kit.Esc(ref.Prospect.Name)
	if ref.Prospect.Company != "" {
		p += ", " + kit.Esc(ref.Prospect.Company)
	}
	return fmt.Sprintf("`%s` %s %s · %s · %s · %s", ref.ID(), notify.TempEmoji(ref.Temperature()), p, who,
		ref.Status.Label(), kit.Date(ref.Created))
}
