package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap/zaptest"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/storage"
)

func ok(context.Context, *bot.Request) (any, error) { return nil, nil }

// TestNewRefusesBadRoutes checks that a route registered twice (a copy-paste typo) stops the bot
// at start-up with an error naming the route, instead of one handler silently shadowing another.
func TestNewRefusesBadRoutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		register func(m *bot.Mux)
		want     []string // substrings of New's error
	}{
		{"DuplicateCommand", func(m *bot.Mux) { m.Command("/refer", ok); m.Command("/refer", ok) },
			[]string{"command", `"/refer"`, "twice"}},
		{"DuplicateAction", func(m *bot.Mux) { m.Action("accept", ok); m.Action("accept", ok) },
			[]string{"action", `"accept"`, "twice"}},
		{"DuplicateView", func(m *bot.Mux) { m.View("refer_form", ok); m.View("refer_form", ok) },
			[]string{"view", `"refer_form"`, "twice"}},
		{"DuplicateEvent", func(m *bot.Mux) { m.Event("app_home_opened", ok); m.Event("app_home_opened", ok) },
			[]string{"event", `"app_home_opened"`, "twice"}},
		{"DuplicateMessageShortcut", func(m *bot.Mux) { m.MessageShortcut("refer_message", ok); m.MessageShortcut("refer_message", ok) },
			[]string{"message shortcut", `"refer_message"`, "twice"}},
		{"DuplicateGlobalShortcut", func(m *bot.Mux) { m.GlobalShortcut("give_referral", ok); m.GlobalShortcut("give_referral", ok) },
			[]string{"global shortcut", `"give_referral"`, "twice"}},
		{"EveryMistake", func(m *bot.Mux) {
			m.Command("/refer", ok)
			m.Command("/refer", ok)
			m.Action("accept", ok)
			m.Action("accept", ok)
			m.Action("", ok)
			m.View("refer_form", nil)
		}, []string{`"/refer"`, `"accept"`, `""`, `"refer_form"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.NewMux()
			tt.register(m)
			_, err := bot.New(offlineConfig(t, m))
			if err == nil {
				t.Fatal("New accepted a bad route table")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New error %q does not mention %s", err, w)
				}
			}
		})
	}

	t.Run("OK", func(t *testing.T) {
		m := bot.NewMux()
		// The same name under different kinds is not a clash.
		m.Command("/refer", ok)
		m.Action("/refer", ok)
		m.View("/refer", ok)
		m.Event("/refer", ok)
		m.MessageShortcut("/refer", ok)
		m.GlobalShortcut("/refer", ok)
		if _, err := bot.New(offlineConfig(t, m)); err != nil {
			t.Fatalf("New: %v", err)
		}
	})
}

// offlineConfig is a complete Config that never connects: New checks wiring only.
func offlineConfig(t *testing.T, m *bot.Mux) bot.Config {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	store := storage.New(rdb)
	api := slack.New("xoxb-unused", slack.OptionAppLevelToken("xapp-unused"))
	return bot.Config{
		Logger: zaptest.NewLogger(t), API: api, Socket: socketmode.New(api),
		Identity: bot.Identity{TeamID: "T0OFFLINE"}, Mux: m, Dedupe: store, Outbox: store,
		Renderer: &renderer{},
	}
}
