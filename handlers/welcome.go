package handlers

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack/slackevents"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/notify"
)

// Events of a member's first day: a person joining the workspace, and a message typed to Rapport.
const (
	eventTeamJoin = "team_join"
	eventMessage  = "message" // message.im: a message in Rapport's DM with a member
)

// WelcomeStore welcomes each member once ever.
type WelcomeStore interface {
	// Welcome queues the welcome DM of kind to user unless they were welcomed before.
	Welcome(ctx context.Context, team, user, kind string) (bool, error)
	// OpenedHomeWelcome is HomeStore.OpenedHome and Welcome in one step.
	OpenedHomeWelcome(ctx context.Context, team, user, homeKind, welcomeKind string, now time.Time) (bool, error)
}

// registerWelcome adds the onboarding routes: the new member, the DM typed to Rapport, and "Give a
// referral" (the Home's intro, the welcome, the answer).
func (h *Handlers) registerWelcome(mux *bot.Mux) {
	mux.Event(eventTeamJoin, h.teamJoin)
	mux.Event(eventMessage, h.directMessage)
	mux.Action(notify.ActionGiveReferral, h.giveReferral)
}

// welcomeAfter welcomes user after the ack of their /refer, so the command's ack keeps its one
// round trip: a first /refer of any kind is a first contact (rule 16). A member this process saw
// welcomed already (a member is welcomed once ever) costs nothing more, not even after the ack.
func (h *Handlers) welcomeAfter(r *bot.Request, user string) {
	team := r.Team
	seen := team + "/" + user
	if _, ok := h.welcomed.Load(seen); ok {
		return
	}
	r.After(func(ctx context.Context) error {
		if _, err := h.store.Welcome(ctx, team, user, notify.Welcome.Kind); err != nil {
			return err
		}
		h.welcomed.Store(seen, struct{}{})
		return nil
	})
}

// teamJoin welcomes a person who joined the workspace, when the group turned that on; bots and
// Slackbot are not members.
func (h *Handlers) teamJoin(ctx context.Context, r *bot.Request) (any, error) {
	ev, ok := r.Event.InnerEvent.Data.(*slackevents.TeamJoinEvent)
	if !ok || ev.User == nil || ev.User.ID == "" || !h.settings.Snapshot().WelcomeNewMembers {
		return nil, nil
	}
	if !memberOf(*ev.User).CanReceive() || ev.User.IsAppUser {
		return nil, nil
	}
	_, err := h.store.Welcome(ctx, r.Team, ev.User.ID, notify.Welcome.Kind)
	return nil, err
}

// directMessage answers a message a member typed in Rapport's DM (the Messages tab), once per
// member every answerWindow, through the outbox: Rapport reads no messages, so it says what it can do. It never
// answers a bot (itself included), an edit, a deletion or any other subtype, so it cannot loop.
func (h *Handlers) directMessage(ctx context.Context, r *bot.Request) (any, error) {
	ev, ok := r.Event.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || ev.ChannelType != "im" || ev.SubType != "" || ev.BotID != "" || ev.User == "" ||
		ev.User == h.cfg.BotUser || ev.User == rapport.SlackbotID {
		return nil, nil
	}
	// Once per member in each answerWindow: five lines typed in a row get one answer, and Slack's
	// retries and a second replica find it queued.
	err := h.store.Enqueue(ctx, r.Team, "dm:"+ev.User+":"+answerBucket(ev.TimeStamp), notify.Answer.Kind, ev.User, nil)
	return nil, err
}

// answerWindow is how often a member typing to Rapport gets its answer: the answer says what
// Rapport can do, and saying it again to every line would be noise.
const answerWindow = 6 * time.Hour

// answerBucket names the answerWindow a message's ts ("1700000000.000100") falls in.
func answerBucket(ts string) string {
	sec, _, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return ts
	}
	return strconv.FormatInt(n/int64(answerWindow/time.Second), 10)
}

// giveReferral answers "Give a referral": the referral form, opened after the ack with the
// click's trigger.
func (h *Handlers) giveReferral(_ context.Context, r *bot.Request) (any, error) {
	h.openFormFor(r, r.Interaction.TriggerID, rapport.Draft{Giver: r.Interaction.User.ID})
	return nil, nil
}
