package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// outboxTimeout bounds the Redis read of one scrape: a slow Redis leaves the outbox's gauges out
// of that scrape rather than holding it (Prometheus's own timeout is 10 s by default).
const outboxTimeout = time.Second

// Backlog reads what the outboxes of the teams a process serves owe, all together: how many
// messages, and when the oldest was queued (zero when none). It must cost one Redis round trip
// whatever the backlog (storage.Store.Backlog).
type Backlog func(ctx context.Context) (pending int64, oldest time.Time, err error)

// WatchOutbox reports, at each scrape, how many messages the outboxes owe and how long the oldest
// has waited (by now), read by backlog within outboxTimeout. ctx is the process's: a scrape
// during shutdown reads nothing.
func (m *Metrics) WatchOutbox(ctx context.Context, backlog Backlog, now func() time.Time) {
	m.reg.MustRegister(&outboxCollector{ctx: ctx, m: m, backlog: backlog, now: now,
		pending: prometheus.NewDesc(OutboxPending, "Messages the outbox owes Slack and has not delivered yet (read or not).", nil, nil),
		oldest:  prometheus.NewDesc(OutboxOldest, "How long the oldest message the outbox owes has waited since it was queued; 0 when none is owed.", nil, nil),
	})
}

type outboxCollector struct {
	ctx             context.Context
	m               *Metrics
	backlog         Backlog
	now             func() time.Time
	pending, oldest *prometheus.Desc
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.oldest
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(c.ctx, outboxTimeout)
	defer cancel()
	pending, oldest, err := c.backlog(ctx)
	if err != nil {
		c.m.outboxErrs.Inc()
		c.m.log.Warn("outbox backlog not read for a scrape", zap.Error(err))
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(c.now().Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
