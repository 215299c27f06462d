package main

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/slackfake"
)

// benchRate is the load of the ack benchmarks: 100 envelopes a second, far above what a group of
// 40 produces, paced rather than flooded so the figure is latency, not queueing.
const benchRate = 100

// benchmarkAck sends b.N envelopes at benchRate and reports the p50 and p99 time from sending an
// envelope to the fake receiving its ack. Slack's limit is 3,000 ms.
func benchmarkAck(b *testing.B, h *harness, typ string, payload func(i int) map[string]any) {
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
			ack, err := h.fake.Send(h.ctx, typ, p)
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
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkAckRefer: the ack of "/refer" (the form opens after it).
func BenchmarkAckRefer(b *testing.B) {
	h := start(b)
	benchmarkAck(b, h, "slash_commands", func(int) map[string]any { return h.fake.SlashCommand("UALICE", "") })
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
