package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// channelRenderer posts every entry to the channel in its To, as it is.
type channelRenderer struct{}

func (channelRenderer) Render(_ context.Context, _ string, e rapport.OutboxEntry) (bot.Delivery, bool, error) {
	return bot.Delivery{Channel: e.To, Text: "About referral: " + e.Kind}, true, nil
}

// BenchmarkOutboxThroughput measures how fast one sender empties a backlog of b.N messages to 200
// channels: a real redis-server, the fake Slack over HTTP, pacing off (RAPPORT_RATE_LIMITS=off).
//
//	go test -run '^$' -bench OutboxThroughput -benchtime 5000x ./bot/
func BenchmarkOutboxThroughput(b *testing.B) {
	const recipients = 200
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	fake := slackfake.New()
	defer fake.Close()
	rs := redistest.Start(b)
	store := storage.New(rs.Client(b), storage.WithPrefix(rs.Prefix(b)))
	// The client cmd/rapport builds.
	api := slack.New(slackfake.BotToken, slack.OptionAppLevelToken(slackfake.AppToken),
		slack.OptionAPIURL(fake.APIURL()), slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	bt := newSender(b, ctx, api, store, channelRenderer{}, false, 0, zap.NewNop())

	for i := range b.N {
		if _, err := store.EnqueueMessage(ctx, slackfake.TeamID, "bench", int64(i), fmt.Sprintf("C%06d", i%recipients)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- bt.Run(runCtx) }()
	for {
		n, err := store.Pending(ctx, slackfake.TeamID)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	took := time.Since(start)
	b.StopTimer()
	stop()
	if err := <-done; err != nil {
		b.Fatalf("Run: %v", err)
	}
	if got := len(fake.Calls("chat.postMessage")); got != b.N {
		b.Fatalf("%d posts for %d messages; want one each", got, b.N)
	}
	b.ReportMetric(float64(b.N)/took.Seconds(), "msgs/s")
}
