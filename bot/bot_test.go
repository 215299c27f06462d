package bot_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// TestConnect checks that a wrong token fails at start-up with a message that says what to fix,
// and that a right one tells the bot who it is.
func TestConnect(t *testing.T) {
	t.Parallel()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	ctx, cancel := context.WithTimeout(t.Context(), testDeadline)
	defer cancel()
	tests := []struct {
		name  string
		token string
		want  string // substring of the error; "" for success
	}{
		{"OK", slackfake.BotToken, ""},
		{"ErrRevokedOrWrongToken", "xoxb-not-ours", "SLACK_BOT_TOKEN was refused"},
		{"ErrAppTokenAsBotToken", slackfake.AppToken, "not a bot token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := slack.New(tt.token, slack.OptionAPIURL(fake.APIURL()),
				slack.OptionHTTPClient(&http.Client{Timeout: 5 * time.Second}))
			id, err := bot.Connect(ctx, api)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Connect error = %v; want one saying %q", err, tt.want)
				}
				if strings.Contains(err.Error(), tt.token) {
					t.Errorf("Connect error %q shows the token", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			want := bot.Identity{TeamID: slackfake.TeamID, Team: slackfake.TeamName, UserID: slackfake.BotUserID, BotID: slackfake.BotID}
			if id != want {
				t.Errorf("Connect = %+v; want %+v", id, want)
			}
		})
	}
}

// TestShutdown checks that SIGTERM (Run's context cancelled) lets an envelope being handled finish
// and be acked, and that the process exits within 5 s, busy or idle.
func TestShutdown(t *testing.T) {
	t.Parallel()
	t.Run("MidFlight", func(t *testing.T) {
		t.Parallel()
		entered, release := make(chan struct{}), make(chan struct{})
		e := start(t, options{routes: func(m *bot.Mux) {
			m.Command("/refer", func(context.Context, *bot.Request) (any, error) {
				close(entered)
				<-release
				return bot.Ephemeral("Saved."), nil
			})
		}})
		type sent struct {
			ack slackfake.Ack
			err error
		}
		acked := make(chan sent, 1)
		payload := e.fake.Command(slackfake.GeneralChannelID, alice, "/refer", "")
		go func() {
			ack, err := e.fake.Send(e.ctx, "slash_commands", payload)
			acked <- sent{ack, err}
		}()
		select {
		case <-entered:
		case <-e.ctx.Done():
			t.Fatal("handler never called")
		}

		// SIGTERM arrives while the handler is mid-flight; the handler finishes right after.
		cancelled := e.cancelRun()
		close(release)

		got := <-acked
		if got.err != nil {
			t.Fatalf("envelope in flight at shutdown was not acked: %v", got.err)
		}
		e.deliveredOnce(got.ack.EnvelopeID)
		if text := decodeAck(t, got.ack).Text; text != "Saved." {
			t.Errorf("in-flight envelope acked %q; want the handler's answer", text)
		}
		t.Logf("Run returned %v after cancel", e.awaitRun(cancelled))
	})

	t.Run("StuckAfterWork", func(t *testing.T) {
		t.Parallel()
		// After-ack work hangs (a Slack call that never answers) while the outbox sender has just
		// started a blocking read: the drain must not wait for the read and then drain in full.
		entered := make(chan struct{})
		e := start(t, options{quiet: true, routes: func(m *bot.Mux) {
			m.Command("/refer", func(_ context.Context, r *bot.Request) (any, error) {
				r.After(func(ctx context.Context) error {
					close(entered)
					<-ctx.Done()
					return ctx.Err()
				})
				return nil, nil
			})
		}})
		e.command("/refer", "")
		select {
		case <-entered:
		case <-e.ctx.Done():
			t.Fatal("after-ack work never ran")
		}
		// The sender reads again the moment an entry is settled.
		e.enqueue("referral.received")
		e.wait("the DM", func() bool { return len(e.fake.DMs(alice)) == 1 })
		e.wait("the entry settled", func() bool { return e.pending() == 0 })
		t.Logf("Run returned %v after cancel", e.stopBot())
	})

	t.Run("Idle", func(t *testing.T) {
		t.Parallel()
		e := start(t, options{})
		took := e.stopBot()
		// Nothing to drain: only the outbox's blocked read (up to 2 s) may hold Run up.
		if took > 3*time.Second {
			t.Errorf("idle Run took %v to return after cancel; want < 3s", took)
		}
		t.Logf("Run returned %v after cancel", took)
	})
}

// TestHealth checks what a load balancer or Kubernetes sees: /healthz while the process lives,
// /readyz only while both the socket and Redis are up.
func TestHealth(t *testing.T) {
	t.Parallel()
	t.Run("SocketNotConnected", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, options{http: true})
		// Slack rate-limits apps.connections.open, so the socket stays down for now.
		e.fake.RateLimitNext("apps.connections.open", time.Second, 1000)
		e.run()
		e.wait("a connection attempt", func() bool { return len(e.fake.Calls("apps.connections.open")) > 0 })

		e.wait("/healthz up", func() bool { return e.get("/healthz") == http.StatusOK })
		if code := e.get("/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz before the socket connects = %d; want 503", code)
		}

		e.fake.RateLimitNext("apps.connections.open", 0, 0)
		if err := e.fake.WaitConnections(e.ctx, 1); err != nil {
			t.Fatal(err)
		}
		e.wait("/readyz 200 once connected", func() bool { return e.get("/readyz") == http.StatusOK })
	})

	t.Run("RedisDown", func(t *testing.T) {
		t.Parallel()
		e := start(t, options{http: true})
		e.wait("/readyz 200", func() bool { return e.get("/readyz") == http.StatusOK })

		e.redis.Stop()
		if code := e.get("/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz with Redis down = %d; want 503", code)
		}
		if code := e.get("/healthz"); code != http.StatusOK {
			t.Errorf("/healthz with Redis down = %d; want 200 (the process itself is fine)", code)
		}

		e.redis.Restart()
		e.wait("/readyz 200 once Redis is back", func() bool { return e.get("/readyz") == http.StatusOK })
	})

	t.Run("ReadyFuncFails", func(t *testing.T) {
		t.Parallel()
		e := start(t, options{http: true, ready: func(context.Context) error { return context.DeadlineExceeded }})
		if code := e.get("/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("/readyz when Ready fails = %d; want 503", code)
		}
	})
}

// get returns the status of GET path on the health server, or 0 if it did not answer.
func (e *env) get(path string) int {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.health+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestRevokedAppTokenEndsRun: Slack refusing the app token is fatal; Run must return the error (so
// the process exits and its supervisor can restart it) instead of hanging.
func TestRevokedAppTokenEndsRun(t *testing.T) {
	e := newEnv(t, options{quiet: true})
	e.fake.FailNext("apps.connections.open", "invalid_auth", 1000)
	e.run()
	e.stopped = true // Run ends on its own here
	select {
	case err := <-e.done:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("Run returned %v; want the socket's invalid_auth", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run hung after Slack refused the app token")
	}
}
