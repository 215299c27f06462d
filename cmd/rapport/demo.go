package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/slack-go/slack"
	"go.uber.org/zap/zapcore"
)

// The demo group: four members of a chapter, and what they do for a living.
var demoMembers = []slack.User{
	demoUser("UALICE", "Alice Moreno", "America/Phoenix"),
	demoUser("UBOB", "Bob Chen", "America/Phoenix"),
	demoUser("UCAROL", "Carol Singh", "America/Denver"),
	demoUser("UDAVE", "Dave Okafor", "America/Phoenix"),
}

func demoUser(id, name, tz string) slack.User {
	return slack.User{ID: id, Name: id[1:], RealName: name, TZ: tz,
		Profile: slack.UserProfile{RealName: name, DisplayName: name}}
}

// demo runs the real bot against the fake Slack and an in-memory Redis and tells what each member
// saw. It needs no network and no tokens.
func demo(ctx context.Context, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return fmt.Errorf("in-memory redis: %w", err)
	}
	defer mr.Close()
	fake := slackfake.New(slackfake.WithUsers(demoMembers...))
	defer fake.Close()

	cfg, err := loadConfig(func(k string) string {
		return map[string]string{
			"SLACK_APP_TOKEN": slackfake.AppToken, "SLACK_BOT_TOKEN": slackfake.BotToken,
			"SLACK_API_URL": fake.APIURL(), "REDIS_URL": "redis://" + mr.Addr() + "/0",
			"RAPPORT_RECOGNITION_CHANNEL": slackfake.GeneralChannelID, "RAPPORT_QUIET_HOURS": "off",
			"RAPPORT_SWEEP_SCHEDULE": "@every 1000h", // the story moves the clock itself
			"RAPPORT_NUDGE_WEEKENDS": "on",           // the story runs on any day of the week
		}[k]
	})
	if err != nil {
		return err
	}
	rdb, err := storage.Open(cfg.RedisURL, cfg.RedisSentinelMaster)
	if err != nil {
		return err
	}
	defer rdb.Close()
	a, err := newApp(ctx, cfg, newLogger(io.Discard, zapcore.ErrorLevel), deps{rdb: rdb, noHTTP: true})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.run(runCtx) }()
	err = errors.Join(story(ctx, fake, a, newScreen(stdout, demoMembers)), shutdown(stop, done))
	return err
}

func shutdown(stop context.CancelFunc, done <-chan error) error {
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// story is the demo's script: a hot referral, a cold lead and its coaching, a refused self-referral,
// a duplicate-prospect warning, and a member's list.
func story(ctx context.Context, fake *slackfake.Server, a *app, s *screen) error {
	if err := fake.WaitConnections(ctx, 1); err != nil {
		return fmt.Errorf("bot did not connect: %w", err)
	}
	ws := fake.Workspace(slackfake.TeamID)
	alice, bob := person{ws, "UALICE"}, person{ws, "UBOB"}
	carol, dave := person{ws, "UCAROL"}, person{ws, "UDAVE"}
	s.title("Rapport demo: a chapter of four (Alice, insurance; Bob, roofing; Carol, accounting; Dave, family law)")

	s.step("1. A hot referral")
	s.typed(alice, "/refer @Bob Dana needs a new roof before the monsoon")
	view, err := alice.openForm(ctx, "<@UBOB|bob> Dana needs a new roof before the monsoon")
	if err != nil {
		return err
	}
	s.form(alice, view)
	hot := form{receiver: "UBOB", name: "Dana Reyes", company: "Reyes Bakery", phone: "(480) 555-0142",
		email: "dana@reyesbakery.example", need: "Dana needs a new roof before the monsoon",
		bestTime: "Mornings before 10, by phone", spoke: true, mayShare: true, expects: true,
		note: "She's expecting your call this week. Mention my name!"}
	s.submits(alice, "Dana Reyes, Reyes Bakery, phone and email, all three qualification boxes ticked")
	if err := s.expectSaved(alice.submit(ctx, view, hot)); err != nil {
		return err
	}
	if err := s.awaitDMs(ctx, bob, alice); err != nil {
		return err
	}

	s.step("2. A cold lead, and the coaching that comes with it")
	s.typed(carol, "/refer")
	if view, err = carol.openForm(ctx, ""); err != nil {
		return err
	}
	cold := form{receiver: "UDAVE", name: "Sam Patel", phone: "480-555-0199", need: "Might need a will, heard it from a friend"}
	s.submits(carol, "Sam Patel for Dave, a phone number, no qualification boxes ticked")
	if err := s.expectSaved(carol.submit(ctx, view, cold)); err != nil {
		return err
	}
	if err := s.awaitDMs(ctx, dave, carol); err != nil {
		return err
	}

	s.step("3. Dave tries to refer a client to himself")
	s.typed(dave, "/refer")
	if view, err = dave.openForm(ctx, ""); err != nil {
		return err
	}
	s.submits(dave, "Lee Park, to Dave himself")
	self := form{receiver: "UDAVE", name: "Lee Park", email: "lee@example.com", need: "A prenup"}
	if err := s.expectErrors(dave.submit(ctx, view, self)); err != nil {
		return err
	}

	s.step("4. The same prospect, to a different member")
	s.typed(carol, "/refer")
	if view, err = carol.openForm(ctx, ""); err != nil {
		return err
	}
	dup := form{receiver: "UDAVE", name: "Dana Reyes", email: "DANA@reyesbakery.example",
		need: "Lease review for the new bakery location", spoke: true}
	s.submits(carol, "Dana Reyes (same email as Alice's referral) to Dave")
	if err := s.expectWarning(carol.submit(ctx, view, dup)); err != nil {
		return err
	}
	dup.sendAnyway = true
	s.submits(carol, "the same form with “Send anyway” ticked (Dave handles leases, Bob roofs: no competition)")
	if err := s.expectSaved(carol.submit(ctx, view, dup)); err != nil {
		return err
	}
	if err := s.awaitDMs(ctx, dave, carol); err != nil {
		return err
	}

	s.step("5. Bob checks what is waiting on him")
	s.typed(bob, "/refer list")
	ack, err := bob.command(ctx, "list")
	if err != nil {
		return err
	}
	s.reply(bob, ack)

	if err := followUp(ctx, fake, a, s, alice, bob); err != nil {
		return err
	}
	if err := daysPass(ctx, fake, a, s, carol, dave); err != nil {
		return err
	}
	s.step("8. Carol looks at the month's leaderboard")
	s.typed(carol, "/refer leaderboard")
	if ack, err = carol.command(ctx, "leaderboard"); err != nil {
		return err
	}
	s.reply(carol, ack)
	s.done()
	return nil
}

// followUp is Bob working R-1 from his DM: each tap redraws his DM and reports back to Alice, and
// closed business earns a public thank-you.
func followUp(ctx context.Context, fake *slackfake.Server, a *app, s *screen, alice, bob person) error {
	s.step("6. Bob follows up from his DM, and Alice hears about every step")
	for _, tap := range []struct{ id, label string }{{"ref:accept", "Accept"}, {"ref:contacted", "Contacted"}} {
		s.taps(bob, tap.label)
		if _, err := bob.click(ctx, bob.dms()[0], tap.id); err != nil {
			return err
		}
		if err := s.awaitDMs(ctx, alice); err != nil {
			return err
		}
	}
	s.taps(bob, "Closed business")
	before := len(bob.views())
	if _, err := bob.click(ctx, bob.dms()[0], "ref:won"); err != nil {
		return err
	}
	if err := fake.WaitFor(ctx, func() bool { return len(bob.views()) > before }); err != nil {
		return fmt.Errorf("the closed-business form did not open: %w", err)
	}
	s.submits(bob, "value 4,800 USD, and a thank-you: “Dana signed for the full roof. Thank you Alice!”")
	ack, err := bob.submitView(ctx, bob.views()[len(bob.views())-1], map[string]slack.BlockAction{
		"value": {Value: "4,800"}, "currency": {Value: "USD"}, "note": {Value: "Dana signed for the full roof. Thank you Alice!"},
	})
	if err := s.expectSaved(ack, err); err != nil {
		return err
	}
	if err := s.awaitDMs(ctx, alice); err != nil {
		return err
	}
	if err := s.awaitChannel(ctx, fake); err != nil {
		return err
	}
	if err := settle(ctx, a); err != nil {
		return err
	}
	fmt.Fprintln(s.w, "  Bob's DM now reads:")
	s.blocks(bob.dms()[0].Text, bob.dms()[0].Blocks)
	return nil
}

// daysPass moves the sweep's clock: Dave never acted on Carol's lead.
func daysPass(ctx context.Context, fake *slackfake.Server, a *app, s *screen, carol, dave person) error {
	start := time.Now()
	for _, step := range []struct {
		title string
		after time.Duration
		who   []person
	}{
		{"7. A day passes: Dave has not acted on Carol's lead (R-2) nor on R-3", 24*time.Hour + time.Minute, []person{dave}},
		{"   Another day: a second nudge, and Carol is told", 48*time.Hour + 2*time.Minute, []person{dave, carol}},
	} {
		s.step(step.title)
		if _, err := a.single.sched.Tick(ctx, start.Add(step.after)); err != nil {
			return err
		}
		if err := settle(ctx, a); err != nil {
			return err
		}
		if err := s.awaitDMs(ctx, step.who...); err != nil {
			return err
		}
	}
	return nil
}

// settle waits until the outbox has delivered everything, so the story prints whole steps. It polls:
// the demo has no event for "recorded as delivered", and it is a demo, not a test.
func settle(ctx context.Context, a *app) error {
	for {
		n, err := a.store.Pending(ctx, slackfake.TeamID)
		if err == nil && n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("messages still undelivered: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
