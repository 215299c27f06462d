package bot_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// senders is one fake Slack and one Redis with one or more bots delivering the same outbox, as
// replicas do, for the outbox's pacing and throughput tests.
type senders struct {
	t      *testing.T
	ctx    context.Context
	fake   *slackfake.Server
	rdb    redis.UniversalClient
	prefix string
	store  *storage.Store
	bots   []*env
	render []*renderer // each bot's
}

type senderOptions struct {
	users      []string // workspace members who receive DMs
	rateLimits bool     // Config.RateLimits
	replicas   int      // bots; 0 means 1
	reclaim    time.Duration
	deadline   time.Duration
}

// startSenders runs the bots and waits until every socket is up.
func startSenders(t *testing.T, o senderOptions) *senders {
	t.Helper()
	if o.deadline == 0 {
		o.deadline = testDeadline
	}
	ctx, cancel := context.WithTimeout(t.Context(), o.deadline)
	t.Cleanup(cancel)
	var users []slack.User
	for _, u := range o.users {
		users = append(users, slack.User{ID: u, Name: u, RealName: u, TZ: "America/Phoenix"})
	}
	s := &senders{t: t, ctx: ctx, fake: slackfake.New(slackfake.WithPingInterval(time.Second), slackfake.WithUsers(users...))}
	t.Cleanup(s.fake.Close)
	rs := redistest.Start(t)
	s.rdb, s.prefix = rs.Client(t), rs.Prefix(t)
	s.store = storage.New(s.rdb, storage.WithPrefix(s.prefix))
	for i := range max(o.replicas, 1) {
		r := &renderer{}
		api := slack.New(slackfake.BotToken, slack.OptionAppLevelToken(slackfake.AppToken),
			slack.OptionAPIURL(s.fake.APIURL()), slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second}))
		// A batch renderer, as the catalogue is: batches read new are drawn and paced ahead.
		b := newSender(t, ctx, api, s.store, batchRenderer{r}, o.rateLimits, o.reclaim, zaptest.NewLogger(t).Named(string(rune('a'+i))))
		e := &env{t: t, ctx: ctx, fake: s.fake, redis: rs, store: s.store, api: api, bot: b, stopped: true,
			delivered: map[string]int{}}
		t.Cleanup(e.shutdown)
		e.run()
		if err := s.fake.WaitConnections(ctx, i+1); err != nil {
			t.Fatalf("bot %d did not connect: %v", i, err)
		}
		s.bots, s.render = append(s.bots, e), append(s.render, r)
	}
	return s
}

// newSender wires a bot with no routes whose outbox is store's, the way cmd/rapport does.
func newSender(tb testing.TB, ctx context.Context, api *slack.Client, store *storage.Store, r bot.Renderer, rateLimits bool, reclaim time.Duration, log *zap.Logger, opts ...func(*bot.Config)) *bot.Bot {
	tb.Helper()
	id, err := bot.Connect(ctx, api)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	cfg := bot.Config{
		Logger: log, API: api, Socket: socketmode.New(api), Identity: id, Mux: bot.NewMux(),
		Dedupe: store, Outbox: store, Renderer: r, RateLimits: rateLimits,
		ReclaimAfter: reclaim,
	}
	for _, o := range opts {
		o(&cfg)
	}
	b, err := bot.New(cfg)
	if err != nil {
		tb.Fatalf("bot.New: %v", err)
	}
	return b
}

// enqueue adds a message of kind for to, as a handler's save would.
func (s *senders) enqueue(to, kind string) string {
	s.t.Helper()
	id, err := s.store.EnqueueMessage(s.ctx, slackfake.TeamID, kind, 17, to)
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

// read is how many entries some sender has read (pending in the group) or settled.
func (s *senders) read() int64 {
	s.t.Helper()
	outbox := s.prefix + ":{" + slackfake.TeamID + "}:outbox"
	info, err := s.rdb.XInfoGroups(s.ctx, outbox).Result()
	if err != nil || len(info) == 0 {
		return 0
	}
	return info[0].EntriesRead
}

// texts returns the text of each of user's DMs, in posting order.
func (s *senders) texts(user string) []string {
	var out []string
	for _, m := range s.fake.DMs(user) {
		out = append(out, m.Text)
	}
	return out
}

// callsTo returns the times of the chat.postMessage calls to channel, as the fake received them.
func (s *senders) callsTo(channel string) []time.Time {
	var at []time.Time
	for _, c := range s.fake.Calls("chat.postMessage") {
		if c.Params["channel"] == channel {
			at = append(at, c.At)
		}
	}
	return at
}
