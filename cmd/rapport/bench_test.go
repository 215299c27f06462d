package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// benchRate is the load of the ack benchmarks: 100 envelopes a second, far above what a group of
// 40 produces, paced rather than flooded so the figure is latency, not queueing.
const benchRate = 100

// benchmarkAck sends b.N envelopes at benchRate and reports the p50 and p99 time from sending an
// envelope to the fake receiving its ack. Slack's limit is 3,000 ms.
func benchmarkAck(b *testing.B, h *harness, typ string, payload func(i int) map[string]any) {
	benchmarkAckOn(b, h.fake, h.ctx, typ, payload)
}

// benchmarkAckOn is benchmarkAck against any bot connected to fake.
func benchmarkAckOn(b *testing.B, fake *slackfake.Server, ctx context.Context, typ string, payload func(i int) map[string]any) {
	tick := time.NewTicker(time.Second / benchRate)
	defer tick.Stop()
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		p := payload(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := time.Now()
			ack, err := fake.Send(ctx, typ, p)
			if err != nil {
				b.Error(err)
				return
			}
			if pl := decodeAck(ack); pl.ResponseAction != "" {
				b.Errorf("envelope %d refused: %s", i, ack.Payload)
			}
			lat[i] = ack.At.Sub(sent)
		}()
	}
	wg.Wait()
	b.StopTimer()
	percentiles(b, lat, "p50-ms", "p99-ms")
}

// percentiles reports the p50 and p99 of lat, in milliseconds, under the names given.
func percentiles(b *testing.B, lat []time.Duration, p50, p99 string) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.50), p50)
	b.ReportMetric(pct(0.99), p99)
}

// BenchmarkAckRefer: the ack of "/refer" (the form opens after it).
func BenchmarkAckRefer(b *testing.B) {
	h := start(b)
	benchmarkAck(b, h, "slash_commands", func(int) map[string]any { return h.fake.SlashCommand("UALICE", "") })
}

// BenchmarkAckHelp: the ack of "/refer help" for a member RAPPORT_ADMINS does not name (the
// admins' section depends on whether they are one), to set beside BenchmarkAckBare.
func BenchmarkAckHelp(b *testing.B) {
	h := start(b)
	benchmarkAck(b, h, "slash_commands", func(int) map[string]any { return h.fake.SlashCommand("UALICE", "help") })
}

// BenchmarkAckBare: the same envelopes acked by a bare slack-go Socket Mode loop that does nothing
// else (it acks each on the event loop with a fixed ephemeral text), through a fake of its own
// configured as the harness' is: the floor a Rapport ack is measured against.
func BenchmarkAckBare(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	fake := slackfake.New(slackfake.WithUsers(demoMembers...), slackfake.WithPingInterval(time.Second))
	defer fake.Close()
	runBareBot(b, ctx, fake, func(ctx context.Context, client *socketmode.Client, _ *slack.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_ = client.AckCtx(ctx, evt.Request.EnvelopeID, map[string]any{"response_type": "ephemeral", "text": "help"})
		}
	})
	benchmarkAckOn(b, fake, ctx, "slash_commands", func(int) map[string]any { return fake.SlashCommand("UALICE", "help") })
}

// BenchmarkAckSubmit: the ack of a referral form, which validates it and saves it in Redis (one
// script: dedupe, member check, duplicate-prospect check, save, outbox) before answering.
func BenchmarkAckSubmit(b *testing.B) {
	h := start(b)
	benchmarkAck(b, h, "interactive", func(i int) map[string]any {
		// A form of its own each time: the same form submitted again is saved once.
		view := slackfake.View{View: fmt.Appendf(nil, `{"id":"VBENCH%d","type":"modal","callback_id":"refer"}`, i)}
		f := hotForm()
		f.email = fmt.Sprintf("prospect%d@example.com", i)
		f.phone = ""
		return h.alice.submission(view, f)
	})
}
