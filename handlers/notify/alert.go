package notify

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// Fields of an admin alert's entry.
const (
	fieldMethod  = "method"
	fieldCode    = "code"
	fieldChannel = "channel"
)

// AlertAdmins queues AdminAlert for every admin (RAPPORT_ADMINS and the workspace's admins and
// owners): a fault of the workspace's setup they can mend. Each admin hears of one fault once a
// day, whichever replica met it (the store dedupes by the fault and the admin). It is the bot's
// Config.OnFault.
func (c *Catalogue) AlertAdmins(ctx context.Context, f bot.Fault) error {
	if f.Method == "chat.postMessage" && f.Code != "not_in_channel" {
		// The alert is a DM: it would wait behind the very fault it reports. The log says it.
		return nil
	}
	ms, err := c.store.Members(ctx, c.team)
	if err != nil {
		return err
	}
	fields := map[string]string{fieldMethod: f.Method, fieldCode: f.Code, fieldChannel: f.Channel}
	for _, admin := range rapport.GroupAdmins(c.admins, ms) {
		once := "fault:" + f.Code + ":" + f.Method + ":" + f.Channel + ":" + admin
		if err := c.store.Enqueue(ctx, c.team, once, AdminAlert.Kind, admin, fields); err != nil {
			return err
		}
	}
	return nil
}

// alertState is a fault as its entry carries it.
type alertState struct {
	to, method, code, channel string
}

func readAlert(_ context.Context, _ *Catalogue, _ string, e rapport.OutboxEntry) (alertState, error) {
	s := alertState{to: e.To, method: e.Fields[fieldMethod], code: e.Fields[fieldCode], channel: e.Fields[fieldChannel]}
	if s.method == "" || s.code == "" {
		return alertState{}, unreadable(e, errNoField)
	}
	return s, nil
}

// alertPost tells an admin what Slack refuses and how to mend it; the messages wait meanwhile.
func alertPost(s alertState) bot.Delivery {
	var text string
	if s.code == "not_in_channel" && s.channel != "" {
		text = fmt.Sprintf(":warning: Rapport could not post in <#%s>: it is not a member of that channel. Type `/invite @Rapport` there; then `/refer outbox` can send the refused messages again.",
			kit.Esc(s.channel))
	} else {
		text = fmt.Sprintf(":warning: Slack refuses `%s` for Rapport (`%s`): the app is missing a permission. The messages that need it are waiting, none is lost. Reinstall the app with the scopes of its manifest (api.slack.com/apps → your app → *Install App*); Rapport resumes on its own.",
			kit.Esc(s.method), kit.Esc(s.code))
	}
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{kit.Section(text)}}
}
