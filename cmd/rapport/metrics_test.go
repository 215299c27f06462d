package main

// GET /metrics as an operator's Prometheus reads it (issue 12): acks by kind, Slack's answers
// (429s among them), the outbox's backlog, dead letters and nudges.

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"github.com/rapportbot/rapport/bot/metrics"
)

// scrape is one read of /metrics: the families by name.
type scrape map[string]*dto.MetricFamily

// scrape reads url as Prometheus does, in its text format.
func (h *harness) scrape(url string) scrape {
	h.t.Helper()
	code, body := h.get(url)
	if code != http.StatusOK {
		h.t.Fatalf("GET /metrics: %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("GET /metrics: %v", err)
	}
	return fams
}

// value is the counter or gauge name{labels} (pairs of label and value); the histogram's count
// for a histogram; -1 when the scrape has no such series.
func (s scrape) value(name string, labels ...string) float64 {
	f := s[name]
	if f == nil {
		return -1
	}
series:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			if labelOf(m, labels[i]) != labels[i+1] {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// sum adds up every series of name (a histogram's counts).
func (s scrape) sum(name string) float64 {
	total := 0.0
	for _, m := range s[name].GetMetric() {
		total += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
	}
	return total
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// startScraped starts one replica serving its endpoints; it returns /metrics' URL.
func startScraped(t *testing.T) (*harness, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // the bot closes it at shutdown; this covers a failed start
	h := startWith(t, 1, func(d *deps) { d.listener, d.noHTTP = ln, false })
	return h, "http://" + ln.Addr().String() + "/metrics"
}

func TestMetricsAfterAFlow(t *testing.T) {
	h, url := startScraped(t)
	before := h.scrape(url)
	acked := h.fake.AckTotal()
	if v := before.value(metrics.InstalledTeams); v != 1 {
		t.Errorf("%s = %v; want 1 once connected", metrics.InstalledTeams, v)
	}

	// Chat.postMessage answers 429 once, and Rapport's first post waits out the Retry-After: the
	// outbox owes it meanwhile, and the gauges say so.
	h.fake.RateLimitNext("chat.postMessage", 2*time.Second, 1)
	view, err := h.alice.openForm(h.ctx, "") // a slash command, then views.open after its ack
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := h.alice.submit(h.ctx, view, hotForm()); err != nil { // a view submission
		t.Fatal(err)
	} else if p := decodeAck(ack); p.ResponseAction != "" {
		t.Fatalf("referral refused: %s", ack.Payload)
	}
	h.wait("the 429 to hold a message in the outbox", func() bool {
		s := h.scrape(url)
		return s.value(metrics.SlackCalls, "method", "chat.postMessage", "outcome", "rate_limited") == 1 &&
			s.value(metrics.OutboxPending) >= 1 && s.value(metrics.OutboxOldest) > 0
	})
	h.wait("the DMs", func() bool { return len(h.bob.dms()) == 1 && len(h.alice.dms()) == 1 && h.outboxEmpty() })

	h.openHome(h.bob, "home") // an event

	// Bob lets the follow-up window pass: the sweep's nudge is delivered.
	h.tick(time.Now().Add(24*time.Hour + time.Minute))
	if len(h.bob.dms()) != 2 {
		t.Fatalf("Bob has %d DMs; want his referral and a nudge", len(h.bob.dms()))
	}

	// A message Slack refuses for good is dead-lettered, by Slack's reason.
	h.fake.FailNext("chat.postMessage", "is_archived", 1)
	if _, err := h.carol.command(h.ctx, "thanks <@UBOB|bob> for the intro"); err != nil {
		t.Fatal(err)
	}
	h.wait("the dead letter", func() bool { return h.deadLetters() == 1 && h.outboxEmpty() })

	const envelopes = 4 // the command, the submission, the event, the second command
	h.wait("every ack", func() bool { return h.fake.AckTotal()-acked == envelopes })
	var after scrape
	h.wait("the acks counted", func() bool {
		after = h.scrape(url)
		return after.sum(metrics.AckSeconds)-before.sum(metrics.AckSeconds) >= envelopes
	})
	if got := after.sum(metrics.AckSeconds) - before.sum(metrics.AckSeconds); got != envelopes {
		t.Errorf("the ack histogram counted %v acks; Slack got %d", got, envelopes)
	}
	for kind, n := range map[string]float64{"slash_commands": 2, "interactive": 1, "events_api": 1} {
		if got := after.value(metrics.AckSeconds, "kind", kind) - before.value(metrics.AckSeconds, "kind", kind); got != n {
			t.Errorf("%s acks counted: %v; want %v", kind, got, n)
		}
	}
	if got := after.sum(metrics.Envelopes) - before.sum(metrics.Envelopes); got != envelopes {
		t.Errorf("%v envelopes counted by outcome; want %d", got, envelopes)
	}
	if got := after.value(metrics.Envelopes, "kind", "interactive", "outcome", "handled"); got != 1 {
		t.Errorf("handled submissions: %v; want 1", got)
	}

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{metrics.SlackCalls, []string{"method", "views.open", "outcome", "ok"}, 1},
		{metrics.SlackCalls, []string{"method", "chat.postMessage", "outcome", "rate_limited"}, 1},
		{metrics.SlackCalls, []string{"method", "chat.postMessage", "outcome", "is_archived"}, 1},
		{metrics.SlackCalls, []string{"method", "auth.test", "outcome", "ok"}, 1},
		{metrics.DeadLetters, []string{"reason", "is_archived"}, 1},
		{metrics.Nudges, []string{"stage", "ack"}, 1},
		{metrics.OutboxPending, nil, 0},
		{metrics.OutboxOldest, nil, 0},
	} {
		if got := after.value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v; want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := after.value(metrics.SlackCalls, "method", "chat.postMessage", "outcome", "ok"); got < 3 {
		t.Errorf("chat.postMessage ok: %v; want the two DMs and the nudge at least", got)
	}
	if got := after.sum(metrics.RedisErrors); got != 0 {
		t.Errorf("%v Redis errors counted in a flow without any", got)
	}
	series := 0
	for name, f := range after {
		if strings.HasPrefix(name, "rapport_") {
			series += len(f.GetMetric())
		}
	}
	t.Logf("%d rapport_ series after the flow, %d families in all", series, len(after))
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if after[name] == nil {
			t.Errorf("no %s: the Go and process collectors are missing", name)
		}
	}
}
