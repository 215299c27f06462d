package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// benchTeams is a workspace of BenchmarkWorkspaces: its fake, its members and the form its first
// member opened (each referral's form is a copy of it).
type benchTeam struct {
	ws     *slackfake.Workspace
	people []person
	modal  slack.View
}

// startWorkspaces is a Rapport of replicas processes in HTTP mode with the OAuth install, started
// with n workspaces of benchGroupSize members each already installed (their installations saved
// before the start, every member welcomed). Their Redis client has room for pool connections (0:
// the harness' own client, go-redis's default pool). It waits until every replica serves every
// workspace, its start-up steps done, and returns when the first replica started.
func startWorkspaces(b *testing.B, n, replicas, pool int) (*harness, []*benchTeam, time.Time) {
	b.Helper()
	ln, _, env := installableEnv(b)
	if sweep := os.Getenv("RAPPORT_BENCH_SWEEP"); sweep != "" {
		env["RAPPORT_SWEEP_SCHEDULE"] = sweep
	}
	if digest := os.Getenv("RAPPORT_BENCH_DIGEST"); digest != "" {
		env["RAPPORT_DIGEST_SCHEDULE"] = digest
	}
	var teams []*benchTeam
	var began time.Time
	var redisURL string // the harness' Redis, known once prepared
	first := true
	h := launchPrepared(b, replicas, false, func(d *deps) {
		if first {
			d.listener, first = ln, false
		}
		if pool > 0 { // a client of each process' own, as each replica opens
			sep := "?"
			if strings.Contains(redisURL, "?") {
				sep = "&"
			}
			rdb, err := storage.Open(redisURL+sep+"pool_size="+strconv.Itoa(pool), "")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = rdb.Close() })
			d.rdb = rdb
		}
	}, env, func(h *harness, store *storage.Store) {
		h.allow(10 * time.Minute)
		redisURL = h.redis.URL()
		for t := range n {
			id := fmt.Sprintf("TW%04d", t)
			users := make([]slack.User, benchGroupSize)
			ids := make([]string, benchGroupSize)
			for m := range users {
				ids[m] = fmt.Sprintf("U%sM%02d", id, m)
				users[m] = demoUser(ids[m], fmt.Sprintf("Member %d of %s", m, id), "America/Phoenix")
			}
			ws := h.fake.AddWorkspace(id, "Chapter "+id, users...)
			team := &benchTeam{ws: ws}
			for _, u := range ids {
				team.people = append(team.people, person{ws, u})
			}
			teams = append(teams, team)
			if err := store.SaveInstallation(h.ctx, rapport.Installation{Team: id, TeamName: "Chapter " + id,
				BotUserID: ws.BotUserID(), BotToken: rapport.Secret(ws.BotToken()), Installer: ids[0],
				InstalledAt: time.Now()}); err != nil {
				b.Fatal(err)
			}
			if err := store.MarkWelcomed(h.ctx, id, ids...); err != nil {
				b.Fatal(err)
			}
		}
		began = time.Now()
	})
	for i, r := range h.replicas {
		h.wait(fmt.Sprintf("replica %d serving %d workspaces", i, n), func() bool {
			if r.app.spaces.len() != n {
				return false
			}
			for _, t := range teams {
				w := r.app.spaces.get(t.ws.ID())
				if w == nil {
					return false
				}
				select {
				case <-w.ready:
				default:
					return false
				}
			}
			return r.app.started()
		})
	}
	return h, teams, began
}

// redisClients is Redis's connected_clients (INFO clients).
func redisClients(b *testing.B, h *harness) int64 {
	b.Helper()
	n, err := redistest.InfoInt(h.ctx, h.redis.Client(b), "clients", "connected_clients")
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// redisIdle is what Redis does for Rapport while nobody uses it, over d: the commands it runs a
// second (INFO stats' total_commands_processed; the two INFOs' own included) and the share of a core
// its main thread spends.
func redisIdle(b *testing.B, h *harness, d time.Duration) (cmds, core float64) {
	b.Helper()
	rdb := h.redis.Client(b)
	processed := func() int64 {
		n, err := redistest.InfoInt(h.ctx, rdb, "stats", "total_commands_processed")
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	cpu0, err := redistest.CPU(h.ctx, rdb)
	if err != nil {
		b.Fatal(err)
	}
	stats0, err := redistest.CommandStats(h.ctx, rdb)
	if err != nil {
		b.Fatal(err)
	}
	n0, t0 := processed(), time.Now()
	select { // a measurement over a span of time, not a wait for a condition
	case <-time.After(d):
	case <-h.ctx.Done():
		b.Fatal(h.ctx.Err())
	}
	n1, took := processed(), time.Since(t0)
	stats1, err := redistest.CommandStats(h.ctx, rdb)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("idle commands per second (commandstats over %v):", d)
	for _, l := range redistest.TopCommands(stats0, stats1, int(d/time.Second), 6) {
		b.Log("  " + l)
	}
	cpu1, err := redistest.CPU(h.ctx, rdb)
	if err != nil {
		b.Fatal(err)
	}
	return float64(n1-n0) / took.Seconds(), float64(cpu1-cpu0) / float64(took)
}

// BenchmarkWorkspaces (issue 12): one process (or two replicas) in HTTP mode serving n installed
// workspaces of 40 members each, started with them installed already. 8 senders submit 3,000
// referrals through the form at full speed (each waits for its ack; rate limits off), spread in turn
// over the workspaces, each between two members of one. Per run it reports refs/s (from the first
// submission to the last receiver DM reaching the fake), ack_p99_ms (Slack's wait for each
// submission's ack), dm_p50_ms and dm_p99_ms (from each ack to the receiver's DM), start_s (the
// process' start until every workspace served with its start-up steps done), goroutines (the whole
// test process: Rapport, the fake Slack and the harness) and redis_clients (INFO clients), both
// after the referrals. The Redis client's pool has room for every workspace's blocked outbox read
// (pool_size=n+100 in REDIS_URL); RAPPORT_BENCH_POOL=default leaves go-redis's default pool (10 per
// CPU), RAPPORT_BENCH_POOL=3000 sets that size. n=1000 runs with RAPPORT_BENCH_1000=1; RAPPORT_BENCH_TEAMS=20,30 runs those counts instead.
// The sweep is the tests' (never); RAPPORT_BENCH_SWEEP="@every 5s" runs every workspace's sweep on
// that schedule, and then the idle figures are over 10 s, sweeps included; the first sweep of each
// queues this week's digest and inactivity nudges when their time has passed (Monday 9:00), which
// RAPPORT_BENCH_DIGEST="59 23 * * 0" puts off to the week's last minute; without it, digests_s is
// how long from the start until every workspace's digest chart was uploaded (run it after Monday
// 9:00 in the group's zone).
//
//	go test ./cmd/rapport -run '^$' -bench Workspaces -benchtime 1x -timeout 20m
func BenchmarkWorkspaces(b *testing.B) {
	sizes := []int{10, 100}
	if os.Getenv("RAPPORT_BENCH_1000") == "1" {
		sizes = append(sizes, 1000)
	}
	if list := os.Getenv("RAPPORT_BENCH_TEAMS"); list != "" {
		sizes = nil
		for _, f := range strings.Split(list, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				b.Fatalf("RAPPORT_BENCH_TEAMS=%s: want workspace counts, comma-separated", list)
			}
			sizes = append(sizes, n)
		}
	}
	for _, replicas := range []int{1, 2, 4} {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("replicas=%d/teams=%d", replicas, n), func(b *testing.B) {
				pool := n + 100
				switch p := os.Getenv("RAPPORT_BENCH_POOL"); p {
				case "":
				case "default":
					pool = 0
				default:
					var err error
					if pool, err = strconv.Atoi(p); err != nil || pool < 1 {
						b.Fatalf("RAPPORT_BENCH_POOL=%s: want default or a pool size", p)
					}
				}
				benchmarkWorkspaces(b, n, replicas, pool)
			})
		}
	}
}

func benchmarkWorkspaces(b *testing.B, n, replicas, pool int) {
	h, teams, began := startWorkspaces(b, n, replicas, pool)
	started := time.Since(began)
	b.Logf("%d workspaces served by %d replicas %v after the start", n, replicas, started.Round(time.Millisecond))
	idle := 3 * time.Second
	if os.Getenv("RAPPORT_BENCH_SWEEP") != "" {
		idle = 10 * time.Second // sweeps among the idle work
	}
	idleCmds, idleCPU := redisIdle(b, h, idle)
	b.Logf("idle: Redis ran %.0f commands/s (%.1f per workspace), %.1f %% of a core", idleCmds, idleCmds/float64(n), idleCPU*100)

	// Each workspace's form, opened by its first member: 8 at a time.
	next := make(chan *benchTeam)
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Go(func() {
			for t := range next {
				opened, err := t.people[0].openForm(h.ctx, "")
				if err == nil {
					err = json.Unmarshal(opened.View, &t.modal)
				}
				if err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, t := range teams {
		next <- t
	}
	close(next)
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}

	// Referral i is made in workspace i mod n, its (i div n)-th pair.
	pair := func(i int) (*benchTeam, int, int) {
		t := teams[i%n]
		g, r := pairOf(i/n, len(t.people))
		return t, g, r
	}
	receiver := func(i int) string { t, _, r := pair(i); return t.people[r].id }
	watch := newDMWatch(h, receiver)
	want := 0
	settled := func() bool {
		watch.look()
		if len(watch.at) < want {
			return false
		}
		for _, t := range teams {
			if p, err := h.store.Pending(h.ctx, t.ws.ID()); err != nil || p != 0 {
				return false
			}
		}
		return true
	}
	var refs int
	var took time.Duration
	var lat, acks []time.Duration
	for b.Loop() {
		b.StopTimer()
		envs := make([]slackfake.Prepared, benchRun)
		for k := range envs {
			i := refs + k
			t, g, r := pair(i)
			f := hotForm()
			f.receiver, f.email, f.phone = t.people[r].id, benchEmail(i), ""
			view := t.modal
			view.ID = fmt.Sprintf("VBENCH%d", i)
			var err error
			if envs[k], err = slackfake.PrepareSend("interactive", t.people[g].submissionOf(view, f)); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()

		t0 := time.Now()
		acked, ackTook := submitAll(b, h.ctx, h.fake, envs, refs, 0)
		acks = append(acks, ackTook...)
		if b.Failed() {
			return
		}
		want = refs + benchRun
		h.wait(fmt.Sprintf("%d receiver DMs", want), settled)
		b.StopTimer()
		if watch.twice > 0 {
			b.Errorf("%d receiver DMs arrived twice", watch.twice)
		}
		last := watch.latencies(refs, acked, &lat)
		took += last.Sub(t0)
		refs += benchRun
		b.StartTimer()
	}
	b.ReportMetric(float64(took.Nanoseconds())/float64(refs), "ns/op")
	b.ReportMetric(float64(refs)/took.Seconds(), "refs/s")
	slices.Sort(acks)
	b.ReportMetric(float64(acks[int(float64(len(acks)-1)*0.99)])/float64(time.Millisecond), "ack_p99_ms")
	percentiles(b, lat, "dm_p50_ms", "dm_p99_ms")
	b.ReportMetric(started.Seconds(), "start_s")
	if os.Getenv("RAPPORT_BENCH_SWEEP") != "" && os.Getenv("RAPPORT_BENCH_DIGEST") == "" {
		// Every workspace's first sweep found this week's digest due: from the start until the
		// last of their charts was uploaded (the digests take turns: notify.Turns).
		seen, charts := 0, 0
		h.wait(fmt.Sprintf("%d digest charts", n), func() bool {
			got, all := h.fake.CallsAfter(seen, "files.completeUploadExternal")
			seen, charts = all, charts+len(got)
			return charts >= n
		})
		b.ReportMetric(time.Since(began).Seconds(), "digests_s")
	}
	b.ReportMetric(idleCmds, "idle_redis_cmd/s")
	b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
	b.ReportMetric(float64(redisClients(b, h)), "redis_clients")
	for i, r := range h.replicas {
		st := r.app.rdb.PoolStats()
		b.Logf("replica %d's Redis pool: %d connections (%d idle), %d timeouts waiting for one", i, st.TotalConns, st.IdleConns, st.Timeouts)
	}
}
