package slackfake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/goleak"

	"github.com/rapportbot/rapport/bot/slackfake"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// deadline bounds every wait in these tests; nothing here sleeps.
const deadline = 10 * time.Second

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// newFake starts a fake that is closed when the test ends, after every client.
func newFake(t *testing.T, opts ...slackfake.Option) *slackfake.Server {
	t.Helper()
	s := slackfake.New(opts...)
	t.Cleanup(s.Close)
	return s
}

// newAPI is the real slack-go client pointed at the fake, on its own transport so that idle
// keep-alive connections are closed with the test.
func newAPI(t *testing.T, s *slackfake.Server, token string) *slack.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: deadline}
	return slack.New(token,
		slack.OptionAPIURL(s.APIURL()),
		slack.OptionAppLevelToken(slackfake.AppToken),
		slack.OptionHTTPClient(hc),
	)
}

// bot runs the real socketmode client. Every Socket Mode event (and bad message) goes to handle,
// whose result is the ack payload; handle runs on the event loop, like a router would.
type bot struct {
	client *socketmode.Client
	mu     sync.Mutex
	hellos []socketmode.Request
}

func startBot(t *testing.T, s *slackfake.Server, handle func(socketmode.Event) any, opts ...socketmode.Option) *bot {
	t.Helper()
	b := &bot{client: socketmode.New(newAPI(t, s, slackfake.BotToken), opts...)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = b.client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-b.client.Events:
				b.dispatch(ctx, evt, handle)
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return b
}

func (b *bot) dispatch(ctx context.Context, evt socketmode.Event, handle func(socketmode.Event) any) {
	switch evt.Type {
	case socketmode.EventTypeHello:
		b.mu.Lock()
		b.hellos = append(b.hellos, *evt.Request)
		b.mu.Unlock()
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		_ = b.client.AckCtx(ctx, evt.Request.EnvelopeID, handle(evt))
	case socketmode.EventTypeErrorBadMessage:
		// slack-go could not decode it; ack by the raw envelope_id so Slack does not redeliver.
		var raw struct {
			EnvelopeID string `json:"envelope_id"`
		}
		_ = json.Unmarshal(evt.Data.(*socketmode.ErrorBadMessage).Message, &raw)
		_ = b.client.AckCtx(ctx, raw.EnvelopeID, handle(evt))
	}
}

func (b *bot) Hellos() []socketmode.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]socketmode.Request(nil), b.hellos...)
}

// noAck acks without a payload.
func noAck(socketmode.Event) any { return nil }
