package main

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/robfig/cron/v3"
)

const digestChannel = "C0DIGEST"

// digestSettings saves the group's digest settings and makes every replica read them now; a new
// time zone's numbers are rebuilt, as the sweep's "aggregates" job has them, before it returns
// (the digest waits for them).
func (h *harness) digestSettings(values map[string]string) {
	h.t.Helper()
	if err := h.store.PutSettings(h.ctx, slackfake.TeamID, "", values, rapport.OutboxEntry{}); err != nil {
		h.t.Fatal(err)
	}
	for _, r := range h.replicas {
		if err := r.app.single.settings.Refresh(h.ctx); err != nil {
			h.t.Fatal(err)
		}
		r.app.single.wakeAggregates()
	}
	zone := h.app.single.settings.Snapshot().TimeZone
	h.wait("the numbers built in the group's zone", func() bool {
		built, err := h.store.AggregatesBuilt(h.ctx, slackfake.TeamID, zone)
		return err == nil && built
	})
}

// runDigestEverywhere runs the digest job on every replica at once, at now.
func (h *harness) runDigestEverywhere(now time.Time) {
	h.t.Helper()
	h.runWeeklyEverywhere("digest", now, func(c *notify.Catalogue) func(context.Context, time.Time) error { return c.RunDigest })
}

// runWeeklyEverywhere runs a weekly job (of each replica's catalogue) on every replica at once, at
// now, and waits until what it queued was delivered.
func (h *harness) runWeeklyEverywhere(name string, now time.Time, job func(c *notify.Catalogue) func(context.Context, time.Time) error) {
	h.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(h.replicas))
	for _, r := range h.replicas {
		wg.Go(func() { errs <- job(r.app.single.catalogue)(h.ctx, now) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			h.t.Fatalf("%s at %v: %v", name, now, err)
		}
	}
	h.wait("the outbox to drain", h.outboxEmpty)
}

func (h *harness) channelMessages(ch string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.fake.Messages() {
		if m.Channel == ch {
			out = append(out, m)
		}
	}
	return out
}

func TestWeeklyDigestPostsOncePerClusterWithChart(t *testing.T) {
	h := startReplicas(t, 2)
	zone, _ := time.LoadLocation("America/Phoenix")
	h.digestSettings(map[string]string{
		rapport.SetRecognitionChannel: digestChannel, rapport.SetDigestSchedule: "0 9 * * 1",
		rapport.SetTimeZone: "America/Phoenix", rapport.SetPublicValues: "true", rapport.SetInactivityWeeks: "4",
	})
	sched, _ := cron.ParseStandard("0 9 * * 1")
	at := sched.Next(time.Now().In(zone)) // the next Monday 9:00: this week's referrals fall before it

	// Alice refers a prospect with a phone and an email to Bob, who closes it; Carol gives a lead
	// to Dave. Bob and Dave post asks; Alice thanks Bob in public.
	h.referred()
	lead := form{receiver: "UDAVE", name: "Sam Patel", phone: "480-555-0199", email: "sam@patel.example", need: "A will"}
	if ack := h.refer(h.carol, lead); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("Dave's DM", func() bool { return len(h.dave.dms()) == 1 && h.outboxEmpty() })
	if _, err := h.store.Move(h.ctx, rapport.Move{Team: slackfake.TeamID, Ref: 1, Actor: "UBOB", Action: rapport.ActWon,
		Role: rapport.RoleReceiver, Value: 1250000, Currency: "USD", Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for who, ask := range map[string]string{"UBOB": "Homeowners in Tempe <!channel> & friends", "UDAVE": "Families planning an estate"} {
		if err := h.store.SetAsk(h.ctx, slackfake.TeamID, who, ask, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.store.Recognize(h.ctx, slackfake.TeamID, "env-digest-thanks", rapport.Recognition{Kind: rapport.RecognitionThanks,
		From: "UALICE", To: "UBOB", Text: "for the intro", At: time.Now()}, "recognition.thanks", digestChannel); err != nil {
		t.Fatal(err)
	}
	h.wait("the thanks", h.outboxEmpty)
	before := len(h.channelMessages(digestChannel))
	carolDMs, aliceDMs := len(h.carol.dms()), len(h.alice.dms())

	h.runDigestEverywhere(at.Add(-time.Minute))
	if n := len(h.channelMessages(digestChannel)); n != before || len(h.fake.Files()) != 0 {
		t.Fatalf("a digest went out before its time: %d messages, %d files", n-before, len(h.fake.Files()))
	}

	h.runDigestEverywhere(at.Add(time.Minute))
	h.wait("the chart", func() bool { return len(h.fake.Files()) >= 1 })
	var digests []slackfake.Message
	for _, m := range h.channelMessages(digestChannel) {
		if strings.Contains(m.Text, "Weekly digest") {
			digests = append(digests, m)
		}
	}
	if len(digests) != 1 {
		t.Fatalf("two replicas posted %d digests; want 1", len(digests))
	}
	body := messageText(digests[0])
	if err := contains(body, "2 referrals given", "*1 hot* (qualified)", "0 warm", "1 lead", "1 deal", "$12,500.00",
		"<@UALICE>", "<@UBOB> (by <@UALICE>)", "&lt;!channel&gt; &amp; friends", "Families planning an estate"); err != nil {
		t.Error(err)
	}
	if strings.Contains(body, "<!channel>") {
		t.Error("an ask's <!channel> reached the channel unescaped")
	}
	files := h.fake.Files()
	if len(files) != 1 || files[0].Channel != digestChannel {
		t.Fatalf("uploads = %+v; want one chart in %s", files, digestChannel)
	}
	img, err := png.Decode(bytes.NewReader(files[0].Content))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 {
		t.Errorf("chart is %v", b)
	}

	// Carol and Alice gave; Bob and Dave gave nothing in 4 weeks: a private nudge with others' asks.
	if len(h.carol.dms()) != carolDMs || len(h.alice.dms()) != aliceDMs {
		t.Error("a member who gave was nudged")
	}
	bobNudge := lastDM(h.bob)
	if err := contains(messageText(bobNudge), "Families planning an estate", "<@UDAVE>"); err != nil {
		t.Error(err)
	}
	if strings.Contains(messageText(bobNudge), "Homeowners in Tempe") {
		t.Error("Bob was shown his own ask")
	}
	if err := contains(messageText(lastDM(h.dave)), "Homeowners in Tempe", "<@UBOB>"); err != nil {
		t.Error(err)
	}

	// Later the same week, on both replicas: nothing again.
	bobDMs, daveDMs, posted := len(h.bob.dms()), len(h.dave.dms()), len(h.fake.Messages())
	h.runDigestEverywhere(at.Add(26 * time.Hour))
	if len(h.fake.Messages()) != posted || len(h.fake.Files()) != 1 || len(h.bob.dms()) != bobDMs || len(h.dave.dms()) != daveDMs {
		t.Error("the digest or a nudge went out twice in one week")
	}

	// Nothing public carries a prospect's contact or name (rule 10).
	for _, m := range h.channelMessages(digestChannel) {
		text := messageText(m)
		for _, secret := range []string{"555-0142", "5550142", "dana@reyesbakery.example", "Dana Reyes", "Reyes Bakery",
			"555-0199", "5550199", "sam@patel.example", "Sam Patel"} {
			if strings.Contains(text, secret) {
				t.Errorf("public message carries %q:\n%s", secret, text)
			}
		}
	}
}

func TestInactivityNudgeNeedsAsksOfOthers(t *testing.T) {
	h := start(t)
	h.digestSettings(map[string]string{rapport.SetDigestSchedule: "0 9 * * 1", rapport.SetInactivityWeeks: "2"})
	if err := h.store.SetAsk(h.ctx, slackfake.TeamID, "UALICE", "Dentists", time.Now()); err != nil {
		t.Fatal(err)
	}
	sched, _ := cron.ParseStandard("0 9 * * 1")
	h.runDigestEverywhere(sched.Next(time.Now().UTC()))
	if err := contains(messageText(lastDM(h.bob)), "Dentists", "<@UALICE>", "Only you see this message"); err != nil {
		t.Error(err)
	}
	if len(h.alice.dms()) != 0 {
		t.Error("Alice was nudged with nothing but her own ask")
	}
}

func lastDM(p person) slackfake.Message {
	dms := p.dms()
	if len(dms) == 0 {
		return slackfake.Message{}
	}
	return dms[len(dms)-1]
}
