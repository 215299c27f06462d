package handlers

import (
	"context"
	"regexp"
	"strings"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/deploy"
	"github.com/rapportbot/rapport/handlers/kit"
)

// The shortcuts catch a need where it is said: "Refer this" on a message in a conversation opens
// the referral form filled in from it, and "Give a referral" opens the empty form from anywhere.

// ShortcutStore reads the member directory for "Refer this": the message's author, and the names
// of the members it mentions.
type ShortcutStore interface {
	MembersByID(ctx context.Context, team string, ids []string) (map[string]rapport.Member, error)
}

// maxNamed bounds the members a message's mentions are looked up for (one HMGET in the ack): a
// mention beyond them shows as its own label, or "@someone".
const maxNamed = 50

// registerShortcuts adds the routes of the manifest's two shortcuts.
func (h *Handlers) registerShortcuts(mux *bot.Mux) {
	mux.MessageShortcut(deploy.ShortcutReferMessage, h.referMessage)
	mux.GlobalShortcut(deploy.ShortcutGiveReferral, h.giveReferralAnywhere)
}

// giveReferralAnywhere answers the global shortcut "Give a referral": the empty form, as /refer
// opens it, on the shortcut's trigger. Like /refer it is a first contact, so it welcomes, after the
// form is opened (the trigger lasts 3 s).
func (h *Handlers) giveReferralAnywhere(ctx context.Context, r *bot.Request) (any, error) {
	ack, err := h.giveReferral(ctx, r)
	h.welcomeAfter(r, r.Interaction.User.ID)
	return ack, err
}

// referMessage answers the message shortcut "Refer this": the referral form filled in from the
// message (messageDraft), opened after the ack on the shortcut's trigger. The ack reads the
// directory once (the author and the members mentioned); when Redis fails it, the form opens all
// the same, with no receiver suggested and the mentions as Slack labelled them. Rapport's own
// messages are refused with a word on what to do instead: they hold referrals, whose contact
// details a new referral's need must not copy (a received referral is passed on, not re-given).
func (h *Handlers) referMessage(ctx context.Context, r *bot.Request) (any, error) {
	in := r.Interaction
	giver, msg := in.User.ID, in.Message
	if msg.User != "" && msg.User == h.cfg.BotUser {
		return nil, rapport.Errorf(rapport.EINVALID, "That is one of Rapport's own messages. To hand a referral you received to someone better placed, use *Pass on* on it; to give a new one, use *Give a referral* or type `/refer`.")
	}
	ids := kit.Mentioned(msg.Text, maxNamed)
	if msg.User != "" {
		ids = append(ids, msg.User)
	}
	members, err := h.store.MembersByID(ctx, r.Team, ids)
	if err != nil {
		h.log.Warn("message shortcut: member directory unread; the form opens without names",
			zap.String("user", giver), zap.Error(err))
		members = nil
	}
	h.openFormFor(r, in.TriggerID, messageDraft(giver, in, members))
	h.welcomeAfter(r, giver) // after the form: the trigger lasts 3 s
	return nil, nil
}

// messageDraft is the referral form's draft from the message in, on which giver used "Refer this";
// members are the directory's members among its author and mentions, by ID.
//
//   - The need is the message's text as its reader saw it (kit.Unmark: mentions by name, links by
//     label, entities unescaped, for the plain_text input), cut on a word boundary to the need's
//     limit with "…" (kit.ClipWords, in characters as Validate counts them). It is stored as typed
//     and escaped when drawn, as the form's own input is.
//   - The note links to the message (messagePermalink), saying whose it was.
//   - The receiver is the message's author when they are a member who may receive, not the giver,
//     and the message states no need (rapport.StatesNeed): who asks for help is not the one to
//     refer to. A bot's message suggests no one.
func messageDraft(giver string, in slack.InteractionCallback, members map[string]rapport.Member) rapport.Draft {
	msg := in.Message
	name := func(id string) string { return members[id].Name }
	text := strings.TrimSpace(kit.Unmark(msg.Text, name))
	d := rapport.Draft{Giver: giver, Need: kit.ClipWords(text, rapport.MaxLen(rapport.FieldNeed))}

	fromBot := msg.BotID != "" || msg.SubType == slack.MsgSubTypeBotMessage
	author, isMember := members[msg.User]
	if isMember && !fromBot && author.CanReceive() && author.ID != giver && !rapport.StatesNeed(text) {
		d.Receiver = author.ID
	}

	ts := msg.Timestamp
	if ts == "" {
		ts = in.MessageTs
	}
	if link := messagePermalink(in.Team.Domain, in.Channel.ID, ts, msg.ThreadTimestamp); link != "" {
		whose := "a message"
		if isMember && !fromBot && author.Name != "" {
			whose = author.Name + "'s message"
		}
		d.Note = kit.ClipWords("From "+whose+" in Slack: "+link, rapport.MaxLen(rapport.FieldNote))
	}
	return d
}

// Parts of a permalink, as Slack writes them: a workspace's domain (its subdomain of slack.com), a
// conversation's ID, a message's ts.
var (
	slackDomain = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	slackID     = regexp.MustCompile(`^[CDG][A-Z0-9]+$`)
	slackTS     = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

// messagePermalink is the link Slack's "Copy link" gives the message ts in channel of the workspace
// at domain (the payload's team.domain): https://<domain>.slack.com/archives/<channel>/p<ts without
// its dot>, and for a reply in a thread the thread's ts and the channel as parameters, as Slack adds
// them. It is built from the payload rather than asked of chat.getPermalink, so the form opens
// within the trigger's 3 s with one call (views.open), and needs no scope. Any part not in Slack's
// shape gives "": no link rather than a wrong one.
func messagePermalink(domain, channel, ts, threadTS string) string {
	if !slackDomain.MatchString(domain) || !slackID.MatchString(channel) || !slackTS.MatchString(ts) {
		return ""
	}
	link := "https://" + domain + ".slack.com/archives/" + channel + "/p" + strings.Replace(ts, ".", "", 1)
	if threadTS != "" && threadTS != ts && slackTS.MatchString(threadTS) {
		link += "?thread_ts=" + threadTS + "&cid=" + channel
	}
	return link
}
