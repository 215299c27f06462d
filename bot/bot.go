// Package bot is Rapport's Socket Mode runtime: it reads envelopes from slack-go, routes them to
// handlers, acks each exactly once within Slack's deadline, delivers the outbox, serves health
// checks, and drains in-flight work on shutdown. It knows Slack, not referrals.
package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// drainDeadline bounds shutdown: in-flight handlers and deliveries get this long, so the process
// exits within 5 s of SIGTERM.
const drainDeadline = 3500 * time.Millisecond

// Config wires a Bot. Every field but HTTPListener is required.
type Config struct {
	Logger   *zap.Logger
	API      *slack.Client
	Socket   *socketmode.Client
	Identity Identity
	Mux      *Mux
	Dedupe   Deduper
	Outbox   OutboxStore
	Renderer Renderer
	// Ready reports whether the bot's storage answers, for /readyz.
	Ready func(ctx context.Context) error
	// HTTPListener serves /healthz and /readyz, and Routes; nil serves nothing.
	HTTPListener net.Listener
	// Routes are more endpoints on HTTPListener, by http.ServeMux pattern ("GET /metrics").
	Routes map[string]http.Handler
	// ReclaimAfter is how long an outbox entry held by a sender that is alive but stuck waits
	// before another takes it over (a dead sender's heartbeat lapses, and its entries are taken
	// over within seconds); 0 means DefaultReclaimAfter.
	ReclaimAfter time.Duration
	// Journal is a directory that outlives the process (a volume), where deliveries Slack accepted
	// and Redis did not record before shutdown wait for the next start; "" keeps none.
	Journal string
	// OnFault, if set, is told of a fault of the workspace's setup an admin can mend (a missing
	// scope, a channel Rapport is not in), once per fault a day in each process; it queues their notice.
	OnFault func(ctx context.Context, f Fault) error
	// RateLimits paces the outbox at Slack's published rates, shared by every replica through
	// Outbox, which must then be a Pacer (RAPPORT_RATE_LIMITS=slack). Off, only Slack's 429s
	// slow it down: for benchmarks and fakes without limits.
	RateLimits bool
	// MaxInFlight bounds the envelopes handled at once, and apart from them the after-ack work
	// running at once; 0 means DefaultMaxInFlight. Beyond it an envelope is acked at once as
	// busy, so a burst of any size is acked within Slack's 3 s on a bounded number of goroutines.
	MaxInFlight int
	// HomeKinds are the outbox kinds that publish a member's App Home. They are delivered in lanes
	// of their own, so a DM never waits behind one, and coalesce: at most one publish per member per
	// HomeEvery, drawn from the state when it goes. None: they share the DMs' lanes.
	HomeKinds []string
	// FaultRecheck is how often auth.test asks whether a refused token works again, and how long a
	// method Slack refused for the workspace rests; 0 means 15 s. End-to-end tests shorten it.
	FaultRecheck time.Duration
	// Metrics hears of acks, dead letters and nudges; nil: nothing is counted.
	Metrics Metrics
}

// Bot is a running Rapport in one workspace.
type Bot struct {
	cfg    Config
	disp   *dispatcher
	sender *sender
	status connStatus
}

// New checks the wiring, including the routes, before anything connects.
func New(cfg Config) (*Bot, error) {
	switch {
	case cfg.Logger == nil, cfg.API == nil, cfg.Socket == nil, cfg.Mux == nil, cfg.Dedupe == nil,
		cfg.Outbox == nil, cfg.Renderer == nil, cfg.Ready == nil:
		return nil, errors.New("bot: incomplete config")
	case cfg.Identity.TeamID == "":
		return nil, errors.New("bot: no team: call Connect first")
	}
	if err := cfg.Mux.Err(); err != nil {
		return nil, fmt.Errorf("bot routes: %w", err)
	}
	b := &Bot{cfg: cfg}
	log := cfg.Logger
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	b.disp = &dispatcher{log: log, mux: cfg.Mux, ack: cfg.Socket, api: cfg.API, dedupe: cfg.Dedupe,
		team: cfg.Identity.TeamID, status: &b.status, bounds: newBounds(cfg.MaxInFlight), metrics: cfg.Metrics}
	pacer, _ := cfg.Outbox.(Pacer)
	if cfg.RateLimits && pacer == nil {
		return nil, errors.New("bot: RateLimits needs an Outbox that is a Pacer")
	}
	b.sender = &sender{log: log.Named("outbox"), store: cfg.Outbox, render: cfg.Renderer, api: cfg.API,
		team: cfg.Identity.TeamID, consumer: consumerName(), reclaim: cfg.ReclaimAfter,
		pacer: pacer, paced: cfg.RateLimits, workers: outboxWorkers, now: time.Now, held: newHeld(),
		faults: newFaults(log.Named("outbox"), time.Now), onFault: cfg.OnFault, retryBase: retryBase, metrics: cfg.Metrics}
	if len(cfg.HomeKinds) > 0 {
		b.sender.homeKinds, b.sender.homeLanes = map[string]bool{}, homeWorkers
		for _, k := range cfg.HomeKinds {
			b.sender.homeKinds[k] = true
		}
	}
	b.sender.journal = journal{dir: cfg.Journal, team: b.sender.team, consumer: b.sender.consumer}
	if b.sender.reclaim <= 0 {
		b.sender.reclaim = DefaultReclaimAfter
	}
	if cfg.FaultRecheck > 0 {
		b.sender.faults.every = cfg.FaultRecheck
	}
	return b, nil
}

// consumerName is this process's name in the outbox's consumer group: host-pid-random, so a
// restarted process never inherits another's pending entries by accident (it reclaims them instead).
func consumerName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), strconv.FormatInt(time.Now().UnixNano()%1e6, 36))
}

// Run serves until ctx is cancelled or the socket fails for good (a revoked token), then drains:
// envelopes being handled are acked and their after-ack work finishes, within drainDeadline.
func (b *Bot) Run(ctx context.Context) error {
	// The socket and the work outlive ctx by the drain, so in-flight envelopes can still be acked.
	sockCtx, stopSock := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSock()
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()

	g, gctx := errgroup.WithContext(ctx)
	sockDone := make(chan struct{})
	var sockErr error // written before sockDone closes
	go func() {
		defer close(sockDone)
		sockErr = b.cfg.Socket.RunContext(sockCtx)
	}()
	g.Go(func() error {
		select {
		case <-sockDone: // only a fatal error (a revoked token) ends the socket before we do
			return fmt.Errorf("socket mode: %w", sockErr)
		case <-gctx.Done():
			return nil
		}
	})
	readDone := make(chan struct{})
	g.Go(func() error {
		defer close(readDone)
		return b.readEvents(gctx, work)
	})
	g.Go(func() error { return b.sender.run(gctx, work) })
	if b.cfg.HTTPListener != nil {
		g.Go(func() error { return b.serveHTTP(gctx) })
	}
	// The drain starts as soon as no new envelope can arrive, alongside the other loops' stopping
	// (the outbox's blocked read takes up to readBlock to notice), so the two do not add up.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		<-readDone
		b.drain()
	}()
	err := g.Wait()
	<-drained
	stopWork()
	stopSock()
	<-sockDone
	if err == nil && sockErr != nil && !errors.Is(sockErr, context.Canceled) {
		err = sockErr
	}
	return err
}

// readEvents drains slack-go's Events channel; each envelope is served on its own tracked goroutine,
// or, when MaxInFlight envelopes are already in flight, acked as busy on this one.
func (b *Bot) readEvents(ctx, work context.Context) error {
	defer b.disp.admitted() // a burst still refused at shutdown is counted in the log
	for {
		select {
		case <-ctx.Done():
			return nil
		case evt, ok := <-b.cfg.Socket.Events:
			if !ok {
				return nil
			}
			b.disp.handle(work, evt)
		}
	}
}

func (b *Bot) drain() {
	done := make(chan struct{})
	go func() {
		b.disp.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(drainDeadline):
		b.cfg.Logger.Warn("shutdown: in-flight work cut off at the drain deadline")
	}
}

func (b *Bot) serveHTTP(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if err := b.cfg.Ready(rctx); err != nil {
			http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
			return
		}
		if !b.status.get() {
			http.Error(w, "socket not connected", http.StatusServiceUnavailable)
			return
		}
		if why := b.sender.faults.reason(); why != "" {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	for pattern, h := range b.cfg.Routes {
		mux.Handle(pattern, h)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(b.cfg.HTTPListener) }()
	select {
	case err := <-errc:
		return fmt.Errorf("health server: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-errc
		return nil
	}
}
