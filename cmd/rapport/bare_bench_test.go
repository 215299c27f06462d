package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// BenchmarkReferralsBare is the floor BenchmarkReferrals is measured against, on the same machine:
// the same forms (Rapport's own, each sent as Slack sends it) by the same 8 senders at full speed,
// to a bare slack-go Socket Mode bot that does the least a referral bot can. For each submission,
// on a goroutine of its own: save the receiver and the prospect's email in Redis (one HSET), ack,
// then DM the receiver (one chat.postMessage through slack-go, its answer decoded as slack-go
// does). No validation, no outbox, no confirmation to the giver, no numbers, no retry: a message
// lost to a crash or a Slack error is lost. Its fake Slack and redis-server are its own. It
// reports what BenchmarkReferrals does: refs/s, the receiver DM's p50 and p99 from the ack, and
// this process' CPU per referral (the bot, the fake Slack and the senders).
//
//	go test ./cmd/rapport -run '^$' -bench 'Referrals(Bare)?$/^history=0$' -benchtime 1x -count 3
func BenchmarkReferralsBare(b *testing.B) {
	// Rapport draws the form, once; its harness is then stopped.
	h := start(b)
	h.allow(5 * time.Minute)
	people := h.group(benchGroupSize)
	opened, err := h.alice.openForm(h.ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	var modal slack.View
	if err := json.Unmarshal(opened.View, &modal); err != nil {
		b.Fatal(err)
	}
	h.shutdown()
	ctx := h.ctx

	var users []slack.User
	for i, p := range people {
		users = append(users, demoUser(p.id, fmt.Sprintf("Member %d", i), "America/Phoenix"))
	}
	fake := slackfake.New(slackfake.WithUsers(users...), slackfake.WithPingInterval(time.Second))
	defer fake.Close()
	rdb := redistest.Start(b).Client(b)
	var inflight sync.WaitGroup
	defer inflight.Wait() // before the bot stops (runBareBot's cleanup)
	runBareBot(b, ctx, fake, func(ctx context.Context, client *socketmode.Client, api *slack.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			inflight.Go(func() { bareReferral(ctx, b, client, api, rdb, evt) })
		}
	})

	receiver := func(i int) string { _, r := pairOf(i, len(people)); return people[r].id }
	watch := watchDMs(fake, receiver)
	var refs int
	var took time.Duration
	var lat []time.Duration
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		envs := prepareForms(b, people, modal, refs, benchRun)
		b.StartTimer()
		t0, cpu0 := time.Now(), processCPU()
		acked, _ := submitAll(b, ctx, fake, envs, refs, 0)
		if b.Failed() {
			return
		}
		if err := fake.WaitFor(ctx, func() bool { watch.look(); return len(watch.at) >= refs+benchRun }); err != nil {
			b.Fatalf("waiting for %d receiver DMs: %v", refs+benchRun, err)
		}
		b.StopTimer()
		cpu += processCPU() - cpu0
		took += watch.latencies(refs, acked, &lat).Sub(t0)
		refs += benchRun
		b.StartTimer()
	}
	b.ReportMetric(float64(took.Nanoseconds())/float64(refs), "ns/op")
	b.ReportMetric(float64(refs)/took.Seconds(), "refs/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(refs), "proc_cpu_us/ref")
	percentiles(b, lat, "dm_p50_ms", "dm_p99_ms")
}

// runBareBot runs a bare slack-go Socket Mode bot against fake until b ends: on each event, on the
// event loop, handle; it returns once the bot is connected. Its HTTP client keeps as many idle
// connections as Rapport's.
func runBareBot(b *testing.B, ctx context.Context, fake *slackfake.Server, handle func(ctx context.Context, client *socketmode.Client, api *slack.Client, evt socketmode.Event)) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(fake.APIURL()),
		slack.OptionAppLevelToken(slackfake.AppToken), slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second, Transport: tr}))
	client := socketmode.New(api)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = client.RunContext(runCtx) })
	wg.Go(func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case evt := <-client.Events:
				handle(runCtx, client, api, evt)
			}
		}
	})
	b.Cleanup(func() {
		stop()
		wg.Wait()
		tr.CloseIdleConnections()
	})
	if err := fake.WaitConnections(ctx, 1); err != nil {
		b.Fatal(err)
	}
}

// bareReferral is the bare bot's whole handling of one form: save, ack, DM.
func bareReferral(ctx context.Context, b *testing.B, client *socketmode.Client, api *slack.Client, rdb redis.UniversalClient, evt socketmode.Event) {
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok || cb.Type != slack.InteractionTypeViewSubmission || cb.View.State == nil {
		client.Ack(*evt.Request)
		return
	}
	values := cb.View.State.Values
	to := values[rapport.FieldReceiver]["value"].SelectedUser
	email := values[rapport.FieldEmail]["value"].Value
	if err := rdb.HSet(ctx, "bare:ref:"+cb.View.ID, "giver", cb.User.ID, "receiver", to, "email", email).Err(); err != nil {
		b.Error(err)
	}
	client.Ack(*evt.Request)
	text := fmt.Sprintf("<@%s> referred you a prospect: %s", cb.User.ID, email)
	if _, _, err := api.PostMessageContext(ctx, to, slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil))); err != nil && ctx.Err() == nil {
		b.Error(err)
	}
}
