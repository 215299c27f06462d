package handlers

import (
	"context"
	"time"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack/slackevents"
)

// Routes of the App Home.
const (
	eventHomeOpened = "app_home_opened"
	callbackAsk     = "home:ask:save" // the small form that sets or clears it
)

// HomeStore queues the App Home's views (the catalogue draws them).
type HomeStore interface {
	// OpenedHome remembers the member opened Home and queues their view of kind, in one step.
	OpenedHome(ctx context.Context, team, user, kind string, now time.Time) error
	// QueueHome queues refreshes for those of users who opened Home, or for all with a notice.
	QueueHome(ctx context.Context, team, kind string, ref int64, notice string, users ...string) error
}

// registerHome adds the App Home's routes: the tab opening, and the ask's Edit button and form.
// The lifecycle buttons shown in Home reuse the DM's routes (ref:<action>), through fromHome.
func (h *Handlers) registerHome(mux *bot.Mux) {
	mux.Event(eventHomeOpened, h.homeOpened)
	mux.Action(notify.ActionEditAsk, h.editAsk)
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
	// The first visit is a first contact: the welcome is queued in the same step (rule 16).
	if _, err := h.store.OpenedHomeWelcome(ctx, r.Team, ev.User, notify.Home.Kind, notify.Welcome.Kind, h.now()); err != nil {
		// Nobody to tell (there is no reply to an event); the next opening tries again.
		return nil, err
	}
	return nil, nil
}
