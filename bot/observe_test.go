package bot_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// acked records what Metrics.Acked heard.
type acked struct {
	mu   sync.Mutex
	seen map[[2]string]int // kind, outcome → acks
	took []time.Duration
}

func (a *acked) Acked(kind, outcome string, took time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen[[2]string{kind, outcome}]++
	a.took = append(a.took, took)
}
func (a *acked) DeadLettered(string) {}
func (a *acked) Nudged(string)       {}

func (a *acked) count() map[[2]string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.seen)
}

// TestMetricsHearEveryAck: each ack is heard once, with its envelope's kind and what became of it,
// the busy and unrouted ones too.
func TestMetricsHearEveryAck(t *testing.T) {
	m := &acked{seen: map[[2]string]int{}}
	release := make(chan struct{})
	e := start(t, options{maxInFlight: 1, metrics: m, routes: func(mux *bot.Mux) {
		mux.Command("/refer", func(ctx context.Context, _ *bot.Request) (any, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return bot.Ephemeral("Done."), nil
		})
	}})
	refer := slackfake.Envelope{Type: "slash_commands", AcceptsResponsePayload: true,
		Payload: e.fake.Command(slackfake.GeneralChannelID, alice, "/refer", "")}
	// The first holds the only place while the second arrives: acked busy at once.
	burst, err := e.fake.SendBurst(e.ctx, []slackfake.Envelope{refer, refer})
	if err != nil {
		t.Fatal(err)
	}
	e.wait("the busy ack", func() bool { return m.count()[[2]string{"slash_commands", "busy"}] == 1 })
	close(release)
	if _, err := burst.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.command("/unknown", "")
	e.send("events_api", e.fake.AppHomeOpened(alice)) // no route either

	want := map[[2]string]int{
		{"slash_commands", "handled"}:  1,
		{"slash_commands", "busy"}:     1,
		{"slash_commands", "no_route"}: 1,
		{"events_api", "no_route"}:     1,
	}
	e.wait("every ack heard", func() bool { return len(m.count()) == len(want) && m.count()[[2]string{"events_api", "no_route"}] == 1 })
	if diff := cmp.Diff(want, m.count()); diff != "" {
		t.Errorf("acks heard (-want +got):\n%s", diff)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, d := range m.took {
		if d <= 0 || d > slackAckDeadline {
			t.Errorf("ack %d took %v from its arrival", i, d)
		}
	}
}
