// Package metrics is Rapport's Prometheus face: one registry per process (never the global one, so
// tests running side by side do not share counts), the bot's counts (bot.Metrics), Slack's answers
// (Transport), Redis's failures (Hook), the outbox's backlog (WatchOutbox) and the teams served,
// served at GET /metrics (Handler). Every name starts with rapport_; no label takes a team, a user
// or any other value without a fixed bound.
package metrics

import (
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Names of the metrics, for the dashboard (deploy/grafana) and its test.
const (
	AckSeconds       = "rapport_ack_duration_seconds"
	Envelopes        = "rapport_envelopes_total"
	SlackCalls       = "rapport_slack_calls_total"
	OutboxPending    = "rapport_outbox_pending_messages"
	OutboxOldest     = "rapport_outbox_oldest_age_seconds"
	DeadLetters      = "rapport_dead_letters_total"
	Nudges           = "rapport_nudges_total"
	RedisErrors      = "rapport_redis_errors_total"
	InstalledTeams   = "rapport_installed_teams"
	OutboxReadErrors = "rapport_outbox_read_errors_total"
)

// Names are every metric this package registers besides the Go runtime's and the process's.
var Names = []string{AckSeconds, Envelopes, SlackCalls, OutboxPending, OutboxOldest, DeadLetters, Nudges,
	RedisErrors, InstalledTeams, OutboxReadErrors}

// ackBuckets resolve acks from a millisecond to Slack's 3 s: the dispatcher's own deadline
// (2.5 s) and Slack's are bucket bounds, so a dashboard can tell acks near either.
var ackBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 2.5, 3}

// Metrics holds one process's registry and what the bot tells it.
type Metrics struct {
	reg         *prometheus.Registry
	log         *zap.Logger
	ack         *prometheus.HistogramVec
	envelopes   *prometheus.CounterVec
	slack       *prometheus.CounterVec
	dead        *prometheus.CounterVec
	nudges      *prometheus.CounterVec
	redisErrors *prometheus.CounterVec
	outboxErrs  prometheus.Counter
	teams       prometheus.Gauge

	kinds, outcomes, stages, deadReasons, slackErrors []string
}

// Labels are the values each label may take; any other value is counted as "other". They come
// from the packages that know them (bot.EnvelopeKinds, bot.Outcomes, bot.DeadReasons(),
// bot.SlackErrors(), the reminder stages), so a value added there is counted by name here.
type Labels struct {
	Kinds       []string // envelope kinds
	Outcomes    []string // what became of an envelope
	Stages      []string // reminder stages of nudges
	DeadReasons []string // why a message was dead-lettered
	SlackErrors []string // Slack error codes counted by name
}

// New makes the registry, with the Go runtime's and the process's collectors, and every series of
// the fixed label sets at zero, so that a rate is right from the first scrape. log hears of
// scrapes that failed.
func New(log *zap.Logger, l Labels) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), log: log,
		kinds: l.Kinds, outcomes: l.Outcomes, stages: l.Stages, deadReasons: l.DeadReasons, slackErrors: l.SlackErrors}
	m.ack = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: AckSeconds,
		Help:    "Time from an envelope's arrival to its ack being handed to the transport, by envelope kind.",
		Buckets: ackBuckets}, []string{"kind"})
	m.envelopes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Envelopes,
		Help: "Envelopes acked, by kind and by what became of them."}, []string{"kind", "outcome"})
	m.slack = prometheus.NewCounterVec(prometheus.CounterOpts{Name: SlackCalls,
		Help: "Slack Web API calls, by method and outcome: ok, Slack's error code, rate_limited (HTTP 429), http_error, network_error."},
		[]string{"method", "outcome"})
	m.dead = prometheus.NewCounterVec(prometheus.CounterOpts{Name: DeadLetters,
		Help: "Messages the outbox gave up on, by reason."}, []string{"reason"})
	m.nudges = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Nudges,
		Help: "Reminder nudges delivered, by stage."}, []string{"stage"})
	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: RedisErrors,
		Help: "Redis commands and pipelines that failed (a missing key is no failure), by kind: timeout, network, reply, other."},
		[]string{"kind"})
	m.outboxErrs = prometheus.NewCounter(prometheus.CounterOpts{Name: OutboxReadErrors,
		Help: "Scrapes whose outbox backlog could not be read from Redis in time (the outbox gauges are then left out)."})
	m.teams = prometheus.NewGauge(prometheus.GaugeOpts{Name: InstalledTeams,
		Help: "Workspaces this process serves."})
	m.reg.MustRegister(m.ack, m.envelopes, m.slack, m.dead, m.nudges, m.redisErrors, m.outboxErrs, m.teams,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, k := range append(slices.Clone(l.Kinds), other) {
		m.ack.WithLabelValues(k)
		for _, o := range l.Outcomes {
			m.envelopes.WithLabelValues(k, o)
		}
	}
	for _, r := range append(slices.Clone(l.DeadReasons), other) {
		m.dead.WithLabelValues(r)
	}
	for _, s := range l.Stages {
		m.nudges.WithLabelValues(s)
	}
	for _, k := range redisErrorKinds {
		m.redisErrors.WithLabelValues(k)
	}
	return m
}

// other stands for any value outside a label's fixed set.
const other = "other"

// bound is v when it is one of known, else "other".
func bound(v string, known []string) string {
	if slices.Contains(known, v) {
		return v
	}
	return other
}

// Registry is the process's registry, for tests that read it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus's text format. A collector that fails (the outbox's
// Redis read) leaves its metrics out and the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog: zap.NewStdLog(m.log), ErrorHandling: promhttp.ContinueOnError, Registry: m.reg,
	})
}

// Acked counts an ack handed to the transport (bot.Metrics).
func (m *Metrics) Acked(kind, outcome string, took time.Duration) {
	kind = bound(kind, m.kinds)
	m.ack.WithLabelValues(kind).Observe(took.Seconds())
	m.envelopes.WithLabelValues(kind, bound(outcome, m.outcomes)).Inc()
}

// DeadLettered counts a message given up on (bot.Metrics).
func (m *Metrics) DeadLettered(reason string) {
	m.dead.WithLabelValues(bound(reason, m.deadReasons)).Inc()
}

// Nudged counts a reminder nudge delivered (bot.Metrics).
func (m *Metrics) Nudged(stage string) { m.nudges.WithLabelValues(bound(stage, m.stages)).Inc() }

// SetInstalledTeams says how many workspaces this process serves: 1 once a single-workspace
// process has connected; a registry of installations sets it as teams come and go.
func (m *Metrics) SetInstalledTeams(n int) { m.teams.Set(float64(n)) }
