// Package bot is Rapport's Slack runtime: it reads envelopes from slack-go's Socket Mode client, or
// signed requests on its HTTP endpoints in HTTP mode, routes them to handlers, acks each exactly once
// within Slack's deadline, delivers the outbox, serves health checks, and drains in-flight work on
// shutdown. It knows Slack, not referrals.
package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// drainDeadline bounds shutdown: in-flight handlers and deliveries get this long, so the process
// exits within 5 s of SIGTERM.
const drainDeadline = 3500 * time.Millisecond

// Config wires a Bot. Every field is required but Gateway and the tuning fields after it, and one of
// Socket and SigningSecret.
type Config struct {
	Logger *zap.Logger
	API    *slack.Client
	// Socket is Socket Mode's client. Without it the bot runs in HTTP mode: Slack's requests come
	// to PathEvents, PathInteractivity and PathCommands on the gateway, signed with SigningSecret.
	Socket        *socketmode.Client
	SigningSecret string
	Identity      Identity
	Mux           *Mux
	Dedupe        Deduper
	Outbox        OutboxStore
	Renderer      Renderer
	// Gateway is the process's HTTP server, shared by the bots of every workspace it serves and run
	// by the process: the bot attaches to it, for /readyz and, in HTTP mode, Slack's requests. HTTP
	// mode needs it; nil in Socket Mode serves no HTTP.
	Gateway *Gateway
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
	cfg      Config
	disp     *dispatcher
	sender   *sender
	status   connStatus
	httpAcks *httpAcks // HTTP mode's acks; nil in Socket Mode

	gw        *Gateway      // nil: no HTTP at all
	serving   chan struct{} // closed once Run takes Slack's requests (Serving)
	serveOnce sync.Once
	// HTTP mode's intake: requests are dispatched on work while it is open (from Run's start until
	// its drain); imu orders closing it before the drain's wait.
	imu    sync.RWMutex
	work   context.Context
	closed bool
}

// New checks the wiring, including the routes, before anything connects.
func New(cfg Config) (*Bot, error) {
	switch {
	case cfg.Logger == nil, cfg.API == nil, cfg.Mux == nil, cfg.Dedupe == nil,
		cfg.Outbox == nil, cfg.Renderer == nil:
		return nil, errors.New("bot: incomplete config")
	case (cfg.Socket == nil) == (cfg.SigningSecret == ""):
		return nil, errors.New("bot: give either a Socket Mode client or a signing secret (HTTP mode)")
	case cfg.Socket == nil && cfg.Gateway == nil:
		return nil, errors.New("bot: HTTP mode needs a Gateway")
	case cfg.Identity.TeamID == "":
		return nil, errors.New("bot: no team: call Connect first")
	}
	if err := cfg.Mux.Err(); err != nil {
		return nil, fmt.Errorf("bot routes: %w", err)
	}
	b := &Bot{cfg: cfg, serving: make(chan struct{})}
	log := cfg.Logger
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	b.disp = &dispatcher{log: log, mux: cfg.Mux, api: cfg.API, dedupe: cfg.Dedupe,
		team: cfg.Identity.TeamID, status: &b.status, bounds: newBounds(cfg.MaxInFlight), metrics: cfg.Metrics}
	if cfg.Socket != nil {
		b.disp.ack = cfg.Socket
	} else {
		b.httpAcks = newHTTPAcks()
		b.disp.ack = b.httpAcks
	}
	b.gw = cfg.Gateway
	if b.gw != nil {
		b.gw.Attach(b)
	}
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
	b.disp.lag = b.sender.lag
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
// envelopes being handled are acked and their after-ack work finishes, within drainDeadline of
// the cancel. In HTTP mode, requests that come once the drain has begun are answered 503.
func (b *Bot) Run(ctx context.Context) error {
	// The socket and the work outlive ctx by the drain, so in-flight envelopes can still be acked.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()

	g, gctx := errgroup.WithContext(ctx)
	// intakeDone closes once no new envelope can reach the dispatcher.
	intakeDone := make(chan struct{})
	stopSock, sockDone, sockErr := func() {}, make(chan struct{}), error(nil)
	if b.cfg.Socket != nil {
		var sockCtx context.Context
		sockCtx, stopSock = context.WithCancel(context.WithoutCancel(ctx))
		go func() {
			defer close(sockDone)
			sockErr = b.cfg.Socket.RunContext(sockCtx) // written before sockDone closes
		}()
		g.Go(func() error {
			select {
			case <-sockDone: // only a fatal error (a revoked token) ends the socket before we do
				return fmt.Errorf("socket mode: %w", sockErr)
			case <-gctx.Done():
				return nil
			}
		})
		g.Go(func() error {
			defer close(intakeDone)
			return b.readEvents(gctx, work)
		})
	} else {
		close(sockDone)
		b.imu.Lock()
		b.work = work
		b.imu.Unlock()
		b.status.set(true) // no connection to wait for: Slack comes to us
		go func() {
			<-gctx.Done()
			b.imu.Lock()
			b.closed = true
			b.imu.Unlock()
			close(intakeDone)
		}()
	}
	defer stopSock()
	b.serveOnce.Do(func() { close(b.serving) })
	if b.gw != nil {
		defer b.gw.Detach(b.disp.team)
	}
	g.Go(func() error { return b.sender.run(gctx, work) })
	// The drain starts as soon as no new envelope can arrive, alongside the other loops' stopping
	// (the outbox's blocked read takes up to readBlock to notice), so the two do not add up.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		<-gctx.Done()
		deadline := time.Now().Add(drainDeadline)
		<-intakeDone
		b.drain(deadline)
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

// Serving is closed once Run takes Slack's requests: its socket reader runs, or in HTTP mode its
// gateway hands it requests. (In Socket Mode the socket may still be connecting: /readyz says so.)
func (b *Bot) Serving() <-chan struct{} { return b.serving }

// intake dispatches an HTTP-mode request on the bot's work and returns where its ack will come, or
// why it cannot: the bot is not running yet, or drains.
func (b *Bot) intake(req *Request) (chan any, string) {
	b.imu.RLock()
	defer b.imu.RUnlock()
	switch {
	case b.closed:
		return nil, whyStopping
	case b.work == nil:
		return nil, whyStarting
	}
	got := b.httpAcks.await(req.EnvelopeID)
	b.disp.dispatch(b.work, req)
	return got, ""
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

func (b *Bot) drain(deadline time.Time) {
	done := make(chan struct{})
	go func() {
		b.disp.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		b.cfg.Logger.Warn("shutdown: in-flight work cut off at the drain deadline")
	}
}
