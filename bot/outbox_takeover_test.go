package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/rapportbot/rapport"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

var _ bot.Heartbeats = (*storage.Store)(nil)

// takeoverWithin is the promise (DESIGN.md "Outbox"): a dead sender's messages go out within 10 s of
// its death, not after the 30 s idle reclaim.
const takeoverWithin = 10 * time.Second

// TestOutboxTakeover checks that the messages a sender held when it died go out within
// takeoverWithin, each once, from a sender running beside it or started after it, although the
// idle reclaim (the default 30 s) is far off; and that the dead sender leaves the group.
func TestOutboxTakeover(t *testing.T) {
	t.Parallel()
	t.Run("Killed", func(t *testing.T) {
		t.Parallel()
		r := newTakeoverRig(t)
		// A process that beat as a sender does, read the messages, and was killed: its heartbeat is
		// not renewed after its last beat.
		ks := r.enqueue(3)
		const dead = "host-4242-dead"
		if _, _, _, err := r.store.Heartbeat(r.ctx, slackfake.TeamID, dead, 3*time.Second, 0); err != nil {
			t.Fatal(err)
		}
		if es, err := r.store.ReadOutbox(r.ctx, slackfake.TeamID, dead, 10, 0); err != nil || len(es) != len(ks) {
			t.Fatalf("ReadOutbox(%s) = %v, %v; want the %d entries", dead, es, err, len(ks))
		}
		died := time.Now()
		r.start("b")
		r.delivered(ks, died)
		r.wait("the dead sender to leave the group", func() bool {
			_, ok := r.consumers()[dead]
			return !ok
		})
	})

	// A sender stopped while Slack fails, holding what it read, hands it over: to a sender running
	// beside it, or to the process started again.
	for _, restart := range []bool{false, true} {
		name := "Survivor"
		if restart {
			name = "Restart"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newTakeoverRig(t)
			r.fake.FailNext("chat.postMessage", "internal_error", 1000)
			a := r.start("a")
			ks := r.enqueue(3)
			r.wait("a's first try", func() bool { return len(r.fake.Calls("chat.postMessage")) > 0 })
			aConsumers := r.consumers()
			if len(aConsumers) != 1 {
				t.Fatalf("group consumers = %v; want a's alone", aConsumers)
			}
			if !restart {
				r.start("b")
			}
			died := a.cancelRun()
			a.awaitRun(died)
			r.fake.FailNext("chat.postMessage", "", 0) // Slack is healthy again
			if restart {
				r.start("a again")
			}
			r.delivered(ks, died)
			r.wait("a to leave the group", func() bool {
				cs := r.consumers()
				for c := range aConsumers {
					if _, ok := cs[c]; ok {
						return false
					}
				}
				return len(cs) == 1
			})
		})
	}
}

// takeoverRig is a fake Slack and a Redis shared by the senders a test starts and stops, as replicas
// of one bot or restarts of one process. Every sender has the default reclaim delay.
type takeoverRig struct {
	t      *testing.T
	ctx    context.Context
	fake   *slackfake.Server
	rs     *redistest.Server
	rdb    redis.UniversalClient
	prefix string
	store  *storage.Store
	render *renderer // shared by the senders
}

func newTakeoverRig(t *testing.T) *takeoverRig {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*testDeadline)
	t.Cleanup(cancel)
	fake := slackfake.New(slackfake.WithPingInterval(time.Second),
		slackfake.WithUsers(slack.User{ID: alice, Name: "alice", RealName: "Alice Adams", TZ: "America/Phoenix"}))
	t.Cleanup(fake.Close)
	rs := redistest.Start(t)
	r := &takeoverRig{t: t, ctx: ctx, fake: fake, rs: rs, rdb: rs.Client(t), prefix: rs.Prefix(t), render: &renderer{}}
	r.store = storage.New(r.rdb, storage.WithPrefix(r.prefix))
	return r
}

// start runs a sender and waits until its socket is up.
func (r *takeoverRig) start(name string, opts ...func(*bot.Config)) *env {
	r.t.Helper()
	api := slack.New(slackfake.BotToken, slack.OptionAppLevelToken(slackfake.AppToken),
		slack.OptionAPIURL(r.fake.APIURL()), slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	b := newSender(r.t, r.ctx, api, r.store, batchRenderer{r.render}, false, 0, zaptest.NewLogger(r.t).Named(name), opts...)
	e := &env{t: r.t, ctx: r.ctx, fake: r.fake, redis: r.rs, store: r.store, api: api, bot: b, stopped: true,
		delivered: map[string]int{}}
	r.t.Cleanup(e.shutdown)
	before := r.fake.Connections()
	e.run()
	if err := r.fake.WaitConnections(r.ctx, before+1); err != nil {
		r.t.Fatalf("sender %s did not connect: %v", name, err)
	}
	return e
}

// enqueue queues n messages for alice and returns their kinds.
func (r *takeoverRig) enqueue(n int) []string {
	r.t.Helper()
	var ks []string
	for i := range n {
		k := fmt.Sprintf("takeover.%d", i)
		if _, err := r.store.EnqueueMessage(r.ctx, slackfake.TeamID, k, 17, alice); err != nil {
			r.t.Fatal(err)
		}
		ks = append(ks, k)
	}
	return ks
}

// delivered waits until alice has the messages of kinds, takeoverWithin of since at most, and
// checks she got each once and nothing is left to send.
func (r *takeoverRig) delivered(kinds []string, since time.Time) {
	r.t.Helper()
	ctx, cancel := context.WithDeadline(r.ctx, since.Add(takeoverWithin))
	defer cancel()
	if err := r.fake.WaitFor(ctx, func() bool { return len(r.fake.DMs(alice)) >= len(kinds) }); err != nil {
		r.t.Fatalf("alice has %d of the %d messages %v after the sender holding them stopped; want all within %v",
			len(r.fake.DMs(alice)), len(kinds), time.Since(since).Round(time.Millisecond), takeoverWithin)
	}
	r.t.Logf("delivered %v after the sender holding them stopped", time.Since(since).Round(time.Millisecond))
	r.wait("the outbox to settle", func() bool {
		n, err := r.store.Pending(r.ctx, slackfake.TeamID)
		return err == nil && n == 0
	})
	var got, want []string
	for _, m := range r.fake.DMs(alice) {
		got = append(got, m.Text)
	}
	for _, k := range kinds {
		want = append(want, "About referral: "+k)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		r.t.Errorf("alice's DMs = %q; want each message once: %q", got, want)
	}
}

// consumers returns the outbox group's consumers and how many entries each holds.
func (r *takeoverRig) consumers() map[string]int64 {
	r.t.Helper()
	cs, err := r.rdb.XInfoConsumers(r.ctx, r.prefix+":{"+slackfake.TeamID+"}:outbox", "senders").Result()
	if err != nil && !strings.HasPrefix(err.Error(), "NOGROUP") {
		r.t.Fatalf("XINFO CONSUMERS: %v", err)
	}
	out := map[string]int64{}
	for _, c := range cs {
		out[c.Name] = c.Pending
	}
	return out
}

// wait fails the test unless cond (on the fake or Redis) holds before the deadline.
func (r *takeoverRig) wait(what string, cond func() bool) {
	r.t.Helper()
	if err := r.fake.WaitFor(r.ctx, cond); err != nil {
		r.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// beatStore is the outbox's Redis seen by a sender whose heartbeats fail while down is set (a
// stalled connection), everything else working.
type beatStore struct {
	*storage.Store
	down atomic.Bool
}

func (b *beatStore) Heartbeat(ctx context.Context, team, consumer string, ttl time.Duration, count int) ([]rapport.OutboxEntry, []string, bool, error) {
	if b.down.Load() {
		return nil, nil, false, errors.New("i/o timeout")
	}
	return b.Store.Heartbeat(ctx, team, consumer, ttl, count)
}

// gateRenderer holds every Render until open is closed, as a slow render or a long wait would.
type gateRenderer struct {
	renderer
	entered chan struct{} // closed at the first Render
	once    sync.Once
	open    chan struct{}
}

func (g *gateRenderer) Render(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Delivery, bool, error) {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.open:
	case <-ctx.Done():
		return bot.Delivery{}, false, ctx.Err()
	}
	return g.renderer.Render(ctx, team, e)
}

// TestLapsedSenderPostsNothingTakenOver: a sender whose heartbeat lapsed while it was alive (its
// beats failing) has had its entries taken over; it starts no Slack call for them, and learns they
// are not its own any more when its heartbeat is back, so each message is posted once.
func TestLapsedSenderPostsNothingTakenOver(t *testing.T) {
	t.Parallel()
	r := newTakeoverRig(t)
	store := &beatStore{Store: r.store}
	gate := &gateRenderer{entered: make(chan struct{}), open: make(chan struct{})}
	core, logs := observer.New(zap.InfoLevel)
	r.start("a", func(c *bot.Config) {
		c.Outbox, c.Renderer = store, gate
		c.Logger = c.Logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, core) }))
	})
	ks := r.enqueue(3)
	select { // a read the messages, checked none was sent, and is drawing the first
	case <-gate.entered:
	case <-r.ctx.Done():
		t.Fatal("a never drew a message")
	}
	store.down.Store(true) // a's beats fail from now: its heartbeat lapses within 3 s
	lapsed := time.Now()
	r.start("b")
	r.delivered(ks, lapsed) // b took them over and sent each once
	close(gate.open)        // a goes on with what it drew before the lapse
	store.down.Store(false)
	r.wait("a to learn its entries were taken over (or post one again)", func() bool {
		return logs.FilterMessage("outbox entries taken over by another sender").Len() > 0 || len(r.fake.DMs(alice)) > len(ks)
	})
	if n := len(r.fake.DMs(alice)); n != len(ks) {
		t.Errorf("alice has %d DMs; want each of the %d messages once: a sender whose heartbeat lapsed posted what it no longer held", n, len(ks))
	}
}
