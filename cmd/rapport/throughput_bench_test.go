package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
)

// The end-to-end benchmarks of issue 11: referrals made at full speed, and nudges falling due at
// once, through the fake Slack and a real Redis with rate limits off, each measured from what the
// fake receives.

// benchGroupSize is the group of these benchmarks: the harness' four and 36 more, the largest
// group Rapport is made for.
const benchGroupSize = 40

// benchWorkers submit the referral forms, each waiting for its ack before the next.
const benchWorkers = 8

// group adds members to the fake workspace up to n, syncs Rapport's directory with it, and counts
// them all as welcomed (the welcome DM is onboarding's, not a referral's). It returns the n people.
func (h *harness) group(n int) []person {
	h.t.Helper()
	people := []person{h.alice, h.bob, h.carol, h.dave}
	for i := len(people); i < n; i++ {
		id := fmt.Sprintf("UMEMBER%02d", i)
		h.fake.AddUser(demoUser(id, fmt.Sprintf("Member %d", i), "America/Phoenix"))
		people = append(people, person{h.fake.Workspace(slackfake.TeamID), id})
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.id
	}
	if err := h.app.single.handlers.SyncMembers(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.MarkWelcomed(h.ctx, slackfake.TeamID, ids...); err != nil {
		h.t.Fatal(err)
	}
	return people
}

// pairOf is the giver and the receiver of the i-th referral among n people: every ordered pair in
// turn, never someone to themselves.
func pairOf(i, n int) (giver, receiver int) {
	giver = i % n
	return giver, (giver + 1 + i/n%(n-1)) % n
}

// seedHistory stores n referrals among people over the three years before now (SeedFacts), and
// counts them into the aggregates (RebuildAggregates) as an upgrade would: those of the last 90
// days are open, older ones closed (a fifth won, the rest lost, declined or expired).
func (h *harness) seedHistory(people []person, n int) {
	h.t.Helper()
	if n == 0 {
		return
	}
	now := time.Now()
	const span = 3 * 365 * 24 * time.Hour
	temps := []rapport.Temperature{rapport.Hot, rapport.Warm, rapport.Cold}
	closed := []rapport.Status{rapport.StatusWon, rapport.StatusLost, rapport.StatusDeclined, rapport.StatusExpired, rapport.StatusLost}
	facts := make([]rapport.Fact, n)
	for i := range facts {
		g, r := pairOf(i, len(people))
		created := now.Add(-span + span/time.Duration(n)*time.Duration(i))
		f := rapport.Fact{Ref: int64(i + 1), Giver: people[g].id, Receiver: people[r].id, Temperature: temps[i%3],
			Status: rapport.StatusAccepted, Created: created, FirstAction: created.Add(time.Duration(i%48) * time.Hour)}
		if now.Sub(created) > 90*24*time.Hour {
			f.Status = closed[i%len(closed)]
			f.FirstContact = f.FirstAction
			if f.Status == rapport.StatusWon {
				f.Won, f.Value, f.Currency = created.Add(72*time.Hour), int64(1000+i%500000), "USD"
			}
		}
		facts[i] = f
	}
	t0 := time.Now()
	if err := h.store.SeedFacts(h.ctx, slackfake.TeamID, facts); err != nil {
		h.t.Fatal(err)
	}
	seeded := time.Since(t0)
	if counted, err := h.store.RebuildAggregates(h.ctx, slackfake.TeamID, time.UTC); err != nil || counted != n {
		h.t.Fatalf("rebuild aggregates: %d of %d, %v", counted, n, err)
	}
	h.t.Logf("%d referrals stored in %v, counted in %v", n, seeded.Round(time.Millisecond), (time.Since(t0) - seeded).Round(time.Millisecond))
}

// openHomes opens the App Home of each person (app_home_opened) and waits until each was published
// and nothing else is owed.
func (h *harness) openHomes(people []person) {
	h.t.Helper()
	_, before := h.fake.CallsAfter(0, "")
	for _, p := range people {
		h.openHome(p, "home")
	}
	h.wait("the Homes", func() bool {
		calls, _ := h.fake.CallsAfter(before, "views.publish")
		published := map[string]bool{}
		for _, c := range calls {
			published[c.Params["user_id"]] = true
		}
		return len(published) == len(people) && h.outboxEmpty()
	})
}

// benchEmail is the prospect's email of the i-th referral, which its receiver's DM shows.
func benchEmail(i int) string { return fmt.Sprintf("bench%d@prospect.example", i) }

var benchEmailRE = regexp.MustCompile(`bench(\d+)@prospect\.example`)

// dmWatch follows the chat.postMessage calls the fake receives, each read once, and notes when the
// receiver's DM of each referral arrived.
type dmWatch struct {
	h     *harness
	fake  *slackfake.Server
	to    func(i int) string // the receiver of referral i
	read  int                // calls read so far
	at    map[int]time.Time
	twice int // DMs of a referral its receiver got again
}

func newDMWatch(h *harness, to func(i int) string) *dmWatch {
	w := watchDMs(h.fake, to)
	w.h = h
	return w
}

// watchDMs follows the receiver DMs fake gets, whichever bot sends them.
func watchDMs(fake *slackfake.Server, to func(i int) string) *dmWatch {
	_, read := fake.CallsAfter(0, "")
	return &dmWatch{fake: fake, to: to, read: read, at: map[int]time.Time{}}
}

// look reads the calls made since the last look.
func (w *dmWatch) look() {
	var calls []slackfake.Call
	calls, w.read = w.fake.CallsAfter(w.read, "chat.postMessage")
	for _, c := range calls {
		m := benchEmailRE.FindStringSubmatch(c.Params["blocks"])
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if c.Params["channel"] != w.to(i) {
			continue // the giver's confirmation
		}
		if _, ok := w.at[i]; ok {
			w.twice++
			continue
		}
		w.at[i] = c.At
	}
}

// waitAll waits until the DMs of referrals 0 to n-1 have all arrived and nothing is owed any more.
// latencies appends to lat, for each referral acked at acked[k] (the referrals from first on),
// how long after its ack its receiver's DM came, and returns when the last DM came.
func (w *dmWatch) latencies(first int, acked []time.Time, lat *[]time.Duration) (last time.Time) {
	for k, a := range acked {
		at := w.at[first+k]
		*lat = append(*lat, at.Sub(a))
		if at.After(last) {
			last = at
		}
	}
	return last
}

func (w *dmWatch) waitAll(n int) {
	w.h.t.Helper()
	w.h.wait(fmt.Sprintf("%d receiver DMs", n), func() bool {
		w.look()
		// The outbox is read only once every DM is in: asking Redis on every call would load it.
		return len(w.at) >= n && w.h.outboxEmpty()
	})
}

// redisUsage measures what Redis spends from its making to report: its main thread's CPU (every
// command once, with reading the requests and writing the replies), and, to say where it went, INFO
// commandstats (which counts a script's or a MULTI's commands twice, in it and on their own) and
// the commands that ran longer than 1 ms (SLOWLOG, on a redis-server of the benchmark's own).
type redisUsage struct {
	h     *harness
	rdb   redis.UniversalClient
	cpu   time.Duration
	stats map[string]redistest.CommandStat
	slow  bool          // SLOWLOG is watched
	own   time.Duration // this process' CPU: Rapport, the fake Slack and the harness
}

// processCPU is the processor time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func newRedisUsage(h *harness) *redisUsage {
	h.t.Helper()
	u := &redisUsage{h: h, rdb: h.redis.Client(h.t), slow: h.redis.Own()}
	var err error
	if u.slow {
		err = redistest.WatchSlow(h.ctx, u.rdb, time.Millisecond)
	}
	if err == nil {
		u.cpu, err = redistest.CPU(h.ctx, u.rdb)
	}
	if err == nil {
		u.stats, err = redistest.CommandStats(h.ctx, u.rdb)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	u.own = processCPU()
	return u
}

// report reports Redis's CPU per op as redis_us/<op>, this process' as proc_cpu_us/<op>, and the
// longest single command (a script counts as one) as max_cmd_us, which every script keeps under
// 5,000 (on a loaded machine a plain command can exceed it too: Redis was descheduled); it logs the
// commands that took most of Redis's time, and those over 5 ms.
func (u *redisUsage) report(b *testing.B, ops int, op string) {
	b.Helper()
	own := processCPU() - u.own
	cpu, err := redistest.CPU(u.h.ctx, u.rdb)
	if err != nil {
		b.Fatal(err)
	}
	stats, err := redistest.CommandStats(u.h.ctx, u.rdb)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((cpu-u.cpu).Microseconds())/float64(ops), "redis_us/"+op)
	b.ReportMetric(float64(own.Microseconds())/float64(ops), "proc_cpu_us/"+op)
	b.Logf("Redis per %s: %.0f µs of CPU; commandstats:", op, float64((cpu-u.cpu).Microseconds())/float64(ops))
	for _, l := range redistest.TopCommands(u.stats, stats, ops, 16) {
		b.Log("  " + l)
	}
	if !u.slow {
		return
	}
	slow, err := redistest.Slowest(u.h.ctx, u.rdb)
	if err != nil {
		b.Fatal(err)
	}
	var longest time.Duration
	if len(slow) > 0 {
		longest = slow[0].Took
	}
	b.ReportMetric(float64(longest.Microseconds()), "max_cmd_us")
	for _, s := range slow[:min(len(slow), 5)] {
		if s.Took > 5*time.Millisecond {
			b.Logf("  over 5 ms: %v", s)
		}
	}
}

// benchRun is how many referrals one run of BenchmarkReferrals submits.
const benchRun = 3000

// BenchmarkReferrals: runs of 3,000 referrals in a group of 40, submitted through the /refer modal
// by 8 workers at full speed (each waits for its ack; rate limits off), on an empty store, and after
// 1,000 and 100,000 referrals of history with 20 members' App Homes open (each referral redraws the
// open Homes of its giver and its receiver); and, to see the DMs of a bot that keeps up, the last
// again at 100 submissions a second (rate=100, as the ack benchmarks pace theirs). Each referral is a form of its own, sent as Slack sends
// it (the whole view, blocks and all), built before the run so that the senders cost the machine
// little while Rapport is measured. Per run, it reports refs/s (from the first submission to the
// last receiver DM reaching the fake; ns/op is the same per referral), dm_p50_ms and dm_p99_ms
// (from each submission's ack to its receiver's DM reaching the fake), home_publishes (coalesced:
// at most one per member per 2 s), and what redisUsage measures from the first submission until
// nothing is owed (every DM, confirmation and Home redraw settled), per referral. Add -v to see
// which commands took Redis's time.
//
//	go test ./cmd/rapport -run '^$' -bench Referrals -benchtime 1x -count 3 -timeout 30m
func BenchmarkReferrals(b *testing.B) {
	for _, c := range []struct{ history, homes, rate int }{{0, 0, 0}, {1_000, 20, 0}, {100_000, 20, 0}, {100_000, 20, benchRate}} {
		name := fmt.Sprintf("history=%d/homes=%d", c.history, c.homes)
		if c.rate > 0 {
			name += fmt.Sprintf("/rate=%d", c.rate)
		}
		b.Run(name, func(b *testing.B) {
			h := start(b)
			h.allow(10 * time.Minute) // seeding and counting 100,000 referrals outlasts testDeadline
			people := h.group(benchGroupSize)
			h.seedHistory(people, c.history)
			h.openHomes(people[:c.homes])
			opened, err := h.alice.openForm(h.ctx, "")
			if err != nil {
				b.Fatal(err)
			}
			var modal slack.View
			if err := json.Unmarshal(opened.View, &modal); err != nil {
				b.Fatal(err)
			}
			receiver := func(i int) string { _, r := pairOf(i, len(people)); return people[r].id }
			watch := newDMWatch(h, receiver)
			var refs int
			var took time.Duration
			var lat []time.Duration
			for b.Loop() {
				b.StopTimer()
				envs := prepareForms(b, people, modal, refs, benchRun)
				_, began := h.fake.CallsAfter(0, "")
				usage := newRedisUsage(h)
				b.StartTimer()

				t0 := time.Now()
				acked, _ := submitAll(b, h.ctx, h.fake, envs, refs, c.rate)
				if b.Failed() {
					return
				}
				watch.waitAll(refs + benchRun)
				b.StopTimer()
				usage.report(b, benchRun, "ref") // of the last run, when there are several
				if watch.twice > 0 {
					b.Errorf("%d receiver DMs arrived twice", watch.twice)
				}
				last := watch.latencies(refs, acked, &lat)
				took += last.Sub(t0)
				publishes, _ := h.fake.CallsAfter(began, "views.publish")
				b.ReportMetric(float64(len(publishes)), "home_publishes")
				refs += benchRun
				b.StartTimer()
			}
			b.ReportMetric(float64(took.Nanoseconds())/float64(refs), "ns/op")
			b.ReportMetric(float64(refs)/took.Seconds(), "refs/s")
			percentiles(b, lat, "dm_p50_ms", "dm_p99_ms")
		})
	}
}

// prepareForms builds the submissions of referrals from to from+n-1 among people, each a form of
// its own (the same form twice saves once) sent as Slack sends it: the whole view, blocks and all.
func prepareForms(b *testing.B, people []person, modal slack.View, from, n int) []slackfake.Prepared {
	envs := make([]slackfake.Prepared, n)
	for k := range envs {
		i := from + k
		g, r := pairOf(i, len(people))
		f := hotForm()
		f.receiver, f.email, f.phone = people[r].id, benchEmail(i), ""
		view := modal
		view.ID = fmt.Sprintf("VBENCH%d", i)
		var err error
		if envs[k], err = slackfake.PrepareSend("interactive", people[g].submissionOf(view, f)); err != nil {
			b.Fatal(err)
		}
	}
	return envs
}

// seedDue saves n new referrals among people through the real create script, as made at created,
// each with its first reminder (the follow-up nudge to its receiver) and no message owed: n
// reminders that fall due together. Prospects are told apart by tag.
func (h *harness) seedDue(people []person, n int, created time.Time, tag string) {
	h.t.Helper()
	stage, due, _ := h.app.single.settings.Snapshot().Timing().FirstReminder(rapport.StatusNew, created)
	next := make(chan int)
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Go(func() {
			for i := range next {
				g, r := pairOf(i, len(people))
				d, errs := rapport.Validate(rapport.Draft{Giver: people[g].id, Receiver: people[r].id,
					Prospect: rapport.Prospect{Name: "Pat Prospect", Company: "Prospect Plumbing LLC", Email: fmt.Sprintf("due%s-%d@prospect.example", tag, i)},
					Need:     "Needs a commercial insurance review before their lease renewal in April.",
					Facts:    rapport.Facts{Spoke: true, MayShare: true, Expects: true}})
				if len(errs) > 0 {
					h.t.Error(errs)
					continue
				}
				if _, _, err := h.store.CreateReferral(h.ctx, rapport.Submission{Team: slackfake.TeamID,
					EnvelopeID: fmt.Sprintf("due%s-%d", tag, i), Draft: d, Now: created, Reminder: stage, ReminderAt: due}); err != nil {
					h.t.Error(err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if h.t.Failed() {
		h.t.FailNow()
	}
}

// BenchmarkNudges: 10,000 follow-up reminders in a group of 40 falling due at once (saved through
// the real create script, each with its first reminder), swept by one Tick and delivered through the
// outbox to the fake Slack (rate limits off). It reports nudges/s from the Tick's start to the last
// nudge reaching the fake, the Tick's own time (tick_ms: the claims, the nudges queued), and what
// redisUsage measures per nudge.
//
//	go test ./cmd/rapport -run '^$' -bench Nudges -benchtime 1x -count 3
func BenchmarkNudges(b *testing.B) {
	const due = 10_000
	h := start(b)
	h.allow(10 * time.Minute)
	people := h.group(benchGroupSize)
	created := time.Now().Add(-48 * time.Hour)
	var took, ticking time.Duration
	var nudges, rounds int
	for b.Loop() {
		b.StopTimer()
		// Each round's reminders fall due before the previous round's next ones (a day after their tick).
		at := created.Add(-time.Duration(rounds) * 10 * 24 * time.Hour)
		h.seedDue(people, due, at, strconv.Itoa(rounds))
		_, before := h.fake.CallsAfter(0, "")
		usage := newRedisUsage(h)
		b.StartTimer()

		t0 := time.Now()
		res, err := h.app.single.sched.Tick(h.ctx, at.Add(h.app.single.settings.Snapshot().FollowUpSLA+time.Minute))
		ticked := time.Since(t0)
		if err != nil || res.Claimed != due {
			b.Fatalf("Tick = %+v, %v; want %d claimed", res, err, due)
		}
		read, sent := before, 0
		var last time.Time
		h.wait(fmt.Sprintf("%d nudges", due), func() bool {
			var calls []slackfake.Call
			calls, read = h.fake.CallsAfter(read, "chat.postMessage")
			sent += len(calls)
			if len(calls) > 0 {
				last = calls[len(calls)-1].At
			}
			return sent >= due && h.outboxEmpty()
		})
		b.StopTimer()
		if sent != due {
			b.Fatalf("%d nudges sent for %d due", sent, due)
		}
		usage.report(b, due, "nudge") // of the last round, when there are several
		b.StartTimer()
		nudges += due
		took += last.Sub(t0)
		ticking += ticked
		rounds++
	}
	b.ReportMetric(float64(took.Nanoseconds())/float64(nudges), "ns/op")
	b.ReportMetric(float64(nudges)/took.Seconds(), "nudges/s")
	b.ReportMetric(float64(ticking.Milliseconds())/float64(rounds), "tick_ms")
}

// submitAll sends the prepared form submissions envs by benchWorkers senders, each waiting for its
// ack before the next, at rate a second (0: at full speed), and returns when each was acked and how
// long each ack took. refs numbers the first in errors.
func submitAll(b *testing.B, ctx context.Context, fake *slackfake.Server, envs []slackfake.Prepared, refs, rate int) (acked []time.Time, took []time.Duration) {
	acked, took = make([]time.Time, len(envs)), make([]time.Duration, len(envs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Go(func() {
			for k := range next {
				ack, err := fake.SendPrepared(ctx, envs[k])
				if err != nil {
					b.Error(err)
					continue
				}
				if pl := decodeAck(ack); pl.ResponseAction != "" {
					b.Errorf("referral %d refused: %s", refs+k, ack.Payload)
					continue
				}
				acked[k], took[k] = ack.At, ack.At.Sub(ack.Sent)
			}
		})
	}
	var pace <-chan time.Time
	if rate > 0 {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		pace = tick.C
	}
	for k := range envs {
		if pace != nil {
			<-pace
		}
		next <- k
	}
	close(next)
	wg.Wait()
	return acked, took
}
