package handlers

import (
	"context"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"
)

// KindHome is the outbox entry that (re)publishes a member's App Home: To is the member, Ref the
// referral whose change caused it (0 for none), and an optional "notice" field is shown on top.
const KindHome = "home"

// Routes of the App Home.
const (
	eventHomeOpened = "app_home_opened"
	actionEditAsk   = "home:ask"      // the Edit button next to the member's ask
	callbackAsk     = "home:ask:save" // the small form that sets or clears it
)

// HomeStore reads what App Home shows and queues its refreshes.
type HomeStore interface {
	// HomeData reads a member's Home in one round trip (month is [monthFrom, monthTo)).
	HomeData(ctx context.Context, team, user string, monthFrom, monthTo time.Time) (rapport.HomeData, error)
	// OpenedHome remembers the member opened Home and queues their view of kind, in one step.
	OpenedHome(ctx context.Context, team, user, kind string, now time.Time) error
	// QueueHome queues refreshes for those of users who opened Home, or for all with a notice.
	QueueHome(ctx context.Context, team, kind string, ref int64, notice string, users ...string) error
}

// registerHome adds the App Home's routes: the tab opening, and the ask's Edit button and form.
// The lifecycle buttons shown in Home reuse the DM's routes (ref:<action>), through fromHome.
func (h *Handlers) registerHome(mux *bot.Mux) {
	mux.Event(eventHomeOpened, h.homeOpened)
	mux.Action(actionEditAsk, h.editAsk)
	mux.View(callbackAsk, h.submitAsk)
}

// homeOpened answers app_home_opened on the Home tab: it remembers the member looks at Home (so
// later changes republish it) and queues their view, in one Redis round trip. The outbox draws and
// publishes it after the ack, so the ack never waits on Slack.
func (h *Handlers) homeOpened(ctx context.Context, r *bot.Request) (any, error) {
	ev, ok := r.Event.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || ev.Tab != "home" || ev.User == "" {
		return nil, nil // the Messages tab, or an event we cannot read: nothing to draw
	}
	if err := h.store.OpenedHome(ctx, r.Team, ev.User, KindHome, h.now()); err != nil {
		// Nobody to tell (there is no reply to an event); the next opening tries again.
		return nil, err
	}
	return nil, nil
}

// renderHome draws a KindHome entry: the member's Home as it stands now. It is not owed to a member
// who has not opened Home recently (a refresh nobody would see costs a Slack call).
func (h *Handlers) renderHome(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Post, bool, error) {
	set := h.settings.Get(ctx)
	loc := set.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	month, _ := rapport.PeriodOf("month", h.now(), loc)
	d, err := h.store.HomeData(ctx, team, e.To, month.From, month.To)
	if err != nil {
		return bot.Post{}, false, err
	}
	if !d.Opened {
		return bot.Post{}, false, nil
	}
	view := homeView(e.To, d, homeContext{month: month, loc: loc, currency: set.Currency, notice: e.Fields["notice"]})
	h.log.Debug("home drawn", zap.String("user", e.To), zap.Int("blocks", len(view.Blocks.BlockSet)))
	return bot.Post{Channel: e.To, Text: "Your Rapport home", Home: &view}, true, nil
}
