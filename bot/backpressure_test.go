package bot_test

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// busyText is the busy reply to a command.
const busyText = "Rapport is busy; try again in a moment."

// TestBurstAckedInTime sends 10,000 envelopes at once to handlers that keep their place until the
// test lets them go, so the bound is reached and held: every envelope must be acked exactly once
// within Slack's 3 s (the ones beyond the bound as busy, at once), on a bounded number of
// goroutines, with one log line for the burst. It logs the figures the README quotes.
//
// Not parallel: it counts the process's goroutines, and its load would slow other tests' acks.
func TestBurstAckedInTime(t *testing.T) {
	const n, bound = 10_000, bot.DefaultMaxInFlight
	deadline := testDeadline
	if raceEnabled {
		deadline = 3 * testDeadline
	}
	core, logs := observer.New(zap.InfoLevel)
	release := make(chan struct{})
	var mu sync.Mutex
	handled := map[string]bool{}
	hold := func(ack any) bot.Handler {
		return func(_ context.Context, r *bot.Request) (any, error) {
			mu.Lock()
			handled[r.EnvelopeID] = true
			mu.Unlock()
			<-release // ignores its deadline, as a handler stuck in a bad call would
			return ack, nil
		}
	}
	e := start(t, options{maxInFlight: bound, logger: zap.New(core), deadline: deadline, routes: func(m *bot.Mux) {
		m.Command("/refer", hold(bot.Ephemeral("Done.")))
		m.View("refer_form", hold(nil))
		m.Action("accept", hold(nil))
		m.Event("app_home_opened", hold(nil))
	}})
	released := sync.OnceFunc(func() { close(release) })
	defer released()

	// Slash commands mostly, and of every other kind a tenth.
	kinds := []string{"view", "action", "event", "command", "command", "command", "command", "command", "command", "command"}
	envs := make([]slackfake.Envelope, n)
	for i := range envs {
		envs[i] = burstEnvelope(e.fake, kinds[i%len(kinds)])
	}

	baseline := runtime.NumGoroutine()
	var peak atomic.Int64
	stopSampling := sampleGoroutines(&peak)
	burst, err := e.fake.SendBurst(e.ctx, envs)
	if err != nil {
		t.Fatalf("burst: %v", err)
	}
	for _, env := range burst.Envelopes() {
		e.deliveredOnce(env.ID)
	}
	// Everything beyond the bound is acked as busy while the handlers in flight are held. (Under
	// the race detector those are acked too, as slow, before the busy ones are all in.)
	e.wait("every envelope beyond the bound acked", func() bool {
		mu.Lock()
		defer mu.Unlock()
		others := e.fake.AckTotal()
		for id := range handled {
			others -= e.fake.AckCount(id)
		}
		return len(handled) >= bound && others >= n-len(handled)
	})
	released()
	acks, err := burst.Wait(e.ctx)
	stopSampling()
	if err != nil {
		t.Fatalf("burst acks: %v", err)
	}

	mu.Lock()
	if len(handled) != bound {
		t.Errorf("%d handlers ran; want exactly the bound, %d", len(handled), bound)
	}
	mu.Unlock()
	took := make([]time.Duration, len(acks))
	first, last := acks[0].Sent, acks[0].At
	busy := 0
	for i, a := range acks {
		took[i] = a.At.Sub(a.Sent)
		if a.At.After(last) {
			last = a.At
		}
		mu.Lock()
		inFlight := handled[a.EnvelopeID]
		mu.Unlock()
		if !inFlight {
			busy++
		}
		checkBurstAck(t, kinds[i%len(kinds)], inFlight, a)
		if n := e.fake.AckCount(a.EnvelopeID); n != 1 {
			t.Errorf("envelope %d: %d acks; want 1", i, n)
		}
	}
	sorted := slices.Sorted(slices.Values(took))
	pct := func(q float64) time.Duration {
		return sorted[int(q*float64(len(sorted)-1))].Round(10 * time.Microsecond)
	}
	grew := peak.Load() - int64(baseline)
	t.Logf("%d envelopes at once, bound %d, race detector %v: %d acked busy; acks p50 %v, p99 %v, max %v; "+
		"last ack %v after the first send; goroutines %d before, peak %d (+%d)",
		n, bound, raceEnabled, busy, pct(0.50), pct(0.99), pct(1), last.Sub(first).Round(time.Millisecond),
		baseline, peak.Load(), grew)

	// Slack's clock is checked without the race detector only: under it, slack-go alone takes
	// about 0.5 ms to decode one envelope on its single reading goroutine, so 10,000 cannot be read
	// within 3 s whatever the bot does. The bound and the one ack each are checked either way.
	if !raceEnabled {
		for i, d := range took {
			if d >= slackAckDeadline {
				t.Errorf("envelope %d (%s) acked after %v; Slack gives up at %v", i, kinds[i%len(kinds)], d, slackAckDeadline)
			}
		}
	}
	// Two goroutines per envelope in flight (serve and its handler), and a margin for the
	// transport's and the runtime's own.
	if limit := int64(2*bound + 300); grew > limit {
		t.Errorf("goroutines grew by %d during the burst; want at most %d", grew, limit)
	}
	if t.Failed() {
		return
	}

	// The bot serves again once its places are free, and says, once, that the burst is over.
	if got := decodeAck(t, e.command("/refer", "")); got.Text != "Done." {
		t.Errorf("after the burst, /refer acked %q; want %q", got.Text, "Done.")
	}
	if got := logs.FilterMessageSnippet("busy: ").Len(); got != 1 {
		t.Errorf("%d busy log lines for one burst; want 1", got)
	}
	over := logs.FilterMessage("no longer busy").AllUntimed()
	if len(over) != 1 || over[0].ContextMap()["refused"] != int64(busy) {
		t.Errorf("end of burst logged as %v; want one line with refused=%d", over, busy)
	}
}

// burstEnvelope is one envelope of the kind named: a slash command, a form submitted, a button
// clicked or the Home tab opened.
func burstEnvelope(f *slackfake.Server, kind string) slackfake.Envelope {
	switch kind {
	case "view":
		return slackfake.Envelope{Type: "interactive", AcceptsResponsePayload: true,
			Payload: f.ViewSubmission(alice, formView, map[string]map[string]slack.BlockAction{})}
	case "action":
		return slackfake.Envelope{Type: "interactive", Payload: f.BlockAction(alice,
			slack.BlockAction{ActionID: "accept", BlockID: "actions", Type: "button", Value: "17"},
			slackfake.InMessage(slackfake.GeneralChannelID, "1700000000.000100"))}
	case "event":
		return slackfake.Envelope{Type: "events_api", Payload: f.AppHomeOpened(alice)}
	}
	return slackfake.Envelope{Type: "slash_commands", AcceptsResponsePayload: true,
		Payload: f.Command(slackfake.GeneralChannelID, alice, "/refer", "")}
}

// checkBurstAck checks the ack of one envelope of the burst: its handler's answer if it was in
// flight, the busy answer for its kind if not.
func checkBurstAck(t *testing.T, kind string, inFlight bool, a slackfake.Ack) {
	t.Helper()
	if raceEnabled && inFlight && strings.Contains(string(a.Payload), "slow to answer") {
		return // under the race detector the busy acks outlast the handlers' deadline (see above)
	}
	switch {
	case kind == "command":
		want := ackPayload{ResponseType: "ephemeral", Text: busyText}
		if inFlight {
			want.Text = "Done."
		}
		if diff := cmp.Diff(want, decodeAck(t, a)); diff != "" {
			t.Errorf("command %s (in flight %v) ack (-want +got):\n%s", a.EnvelopeID, inFlight, diff)
		}
	case kind == "view" && !inFlight:
		// Pushed over the form, which stays open and filled in underneath.
		got := decodeAck(t, a)
		if got.ResponseAction != "push" || got.View == nil || got.View.Title.Text != "Not saved" ||
			!strings.Contains(string(a.Payload), busyText) || !strings.Contains(string(a.Payload), "*Back*") {
			t.Errorf("busy form %s acked %s; want a pushed notice that Rapport is busy", a.EnvelopeID, a.Payload)
		}
	case a.Payload != nil:
		t.Errorf("%s %s (in flight %v) acked with %s; want a bare ack", kind, a.EnvelopeID, inFlight, a.Payload)
	}
}

// sampleGoroutines records the highest runtime.NumGoroutine in peak, every millisecond, until the
// function it returns is called.
func sampleGoroutines(peak *atomic.Int64) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if g := int64(runtime.NumGoroutine()); g > peak.Load() {
				peak.Store(g)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// TestBusyWhileWorkHoldsItsPlace checks what keeps an envelope's place: a handler that overruns its
// deadline keeps it until it returns, and after-ack work that finds the after-ack bound full keeps
// it until it may run, so neither piles up goroutines: new envelopes are acked as busy instead.
func TestBusyWhileWorkHoldsItsPlace(t *testing.T) {
	t.Parallel()

	t.Run("OverdueHandler", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		e := start(t, options{maxInFlight: 1, routes: func(m *bot.Mux) {
			m.Command("/stuck", func(context.Context, *bot.Request) (any, error) {
				<-release
				return nil, nil
			})
			m.Command("/ping", func(context.Context, *bot.Request) (any, error) {
				return bot.Ephemeral("pong"), nil
			})
		}})
		released := sync.OnceFunc(func() { close(release) })
		defer released()
		if got := decodeAck(t, e.command("/stuck", "")); !strings.Contains(got.Text, "slow") {
			t.Errorf("overdue handler acked %q; want the 'slow' apology", got.Text)
		}
		if got := decodeAck(t, e.command("/ping", "")); got.Text != busyText {
			t.Errorf("while the overdue handler runs, /ping acked %q; want %q", got.Text, busyText)
		}
		released()
		// The place comes back once the handler has returned: ask every 20 ms (each ask is an
		// envelope, so not on every change the fake records).
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for decodeAck(t, e.command("/ping", "")).Text != "pong" {
			select {
			case <-tick.C:
			case <-e.ctx.Done():
				t.Fatal("the overdue handler's place never came back")
			}
		}
	})

	t.Run("EventOverHTTP", func(t *testing.T) {
		// In HTTP mode an event that finds no place is answered 503, so Slack sends it again,
		// not acked and dropped.
		t.Parallel()
		release, entered := make(chan struct{}), make(chan struct{})
		e := start(t, options{httpMode: true, maxInFlight: 1, routes: func(m *bot.Mux) {
			m.Command("/stuck", func(context.Context, *bot.Request) (any, error) {
				close(entered)
				<-release
				return nil, nil
			})
			m.Event("app_home_opened", func(context.Context, *bot.Request) (any, error) { return nil, nil })
		}})
		released := sync.OnceFunc(func() { close(release) })
		defer released()
		stuck := make(chan struct{})
		go func() { defer close(stuck); e.command("/stuck", "") }()
		select {
		case <-entered: // the one place is taken
		case <-e.ctx.Done():
			t.Fatal("the command never reached its handler")
		}
		ack, err := e.fake.Send(e.ctx, "events_api", e.fake.AppHomeOpened(alice))
		if err == nil || ack.Refused != "http_503" {
			t.Errorf("an event while busy: %+v, %v; want 503, for Slack to send it again", ack, err)
		}
		released()
		<-stuck
	})

	t.Run("AfterAckWork", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		running := make(chan string, 4)
		e := start(t, options{maxInFlight: 2, routes: func(m *bot.Mux) {
			m.Command("/refer", func(_ context.Context, r *bot.Request) (any, error) {
				r.After(func(ctx context.Context) error {
					running <- r.EnvelopeID
					select {
					case <-release:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
				return bot.Ephemeral("Saving…"), nil
			})
		}})
		released := sync.OnceFunc(func() { close(release) })
		defer released()
		ran := func() {
			t.Helper()
			select {
			case <-running:
			case <-e.ctx.Done():
				t.Fatal("after-ack work never ran")
			}
		}
		// Two run their after-ack work, filling its bound; two more are acked and wait for it,
		// holding both places; the fifth is busy.
		for i := range 4 {
			if got := decodeAck(t, e.command("/refer", "")); got.Text != "Saving…" {
				t.Fatalf("command %d acked %q; want %q", i+1, got.Text, "Saving…")
			}
			if i < 2 {
				ran()
			}
		}
		if got := decodeAck(t, e.command("/refer", "")); got.Text != busyText {
			t.Errorf("with both places held, /refer acked %q; want %q", got.Text, busyText)
		}
		released()
		ran() // the two that waited for the bound
		ran()
		if got := decodeAck(t, e.command("/refer", "")); got.Text != "Saving…" {
			t.Errorf("after the work ran, /refer acked %q; want %q", got.Text, "Saving…")
		}
		ran()
	})
}
