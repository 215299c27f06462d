//go:build unix

package main

// Crash safety (issue item 8): a bot killed with SIGKILL between saving a referral and sending its
// DMs, or between claiming a reminder and sending the nudge, delivers it after restart (or from
// another replica), once. Each test runs the real entry point, run(ctx, {"run"}, …), in child
// processes (this test binary re-executed as TestCrashHelperProcess), so a kill is a real SIGKILL:
// no deferred function, no drain, nothing settled.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
	"github.com/redis/go-redis/v9"
)

// crashHelperEnv marks the child process that plays the bot.
const crashHelperEnv = "RAPPORT_CRASH_HELPER"

// crashDeadline bounds every wait of a crash test (two process starts and one reclaim each).
const crashDeadline = 30 * time.Second

// TestCrashHelperProcess is the bot process of the crash tests: main without os.Args.
func TestCrashHelperProcess(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "1" {
		t.Skip("the crash tests run this as their bot process")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, []string{"run"}, os.Getenv, os.Stdout, os.Stderr)
	stop()
	// As main does: any error is exit status 1, else 0. Exiting here also skips TestMain's goleak
	// check, which main does not have: slack-go's idle keep-alive connections are still open.
	if err != nil {
		fmt.Fprintln(os.Stderr, "rapport:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// crashRig is one fake Slack and one redis-server of the test's own, shared by the bot processes
// the test starts and kills. The processes use the production key prefix, so the server must not
// be shared with any other test.
type crashRig struct {
	t     *testing.T
	ctx   context.Context
	fake  *slackfake.Server
	redis *redistest.Server
	rdb   redis.UniversalClient
	store *storage.Store // over the production prefix, to read what the processes wrote
	env   map[string]string

	alice, bob person
}

func newCrashRig(t *testing.T, env map[string]string) *crashRig {
	t.Helper()
	if testing.Short() {
		t.Skip("starts bot processes")
	}
	if os.Getenv(redistest.EnvURL) != "" {
		// That server is shared and keyed by prefix; the bot processes use the production prefix.
		if _, err := exec.LookPath("redis-server"); err != nil {
			t.Skip("crash tests need a redis-server of their own (" + redistest.EnvURL + " is shared)")
		}
		t.Setenv(redistest.EnvURL, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), crashDeadline)
	t.Cleanup(cancel)
	fake := slackfake.New(slackfake.WithUsers(demoMembers...), slackfake.WithPingInterval(time.Second))
	t.Cleanup(fake.Close)
	rs := redistest.Start(t)
	rdb := rs.Client(t)
	if os.Getenv(redistest.EnvCluster) == "1" {
		// The test binary's cluster is shared, and these tests (one at a time: none is parallel) use
		// the production prefix: the keys an earlier one left go first.
		ks, err := redistest.Keys(ctx, rdb, storage.DefaultPrefix+":*")
		if err == nil && len(ks) > 0 {
			_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range ks {
					p.Unlink(ctx, k) // one key a command: a cluster refuses keys of several slots in one
				}
				return nil
			})
		}
		if err != nil {
			t.Fatalf("clear the production prefix on the shared cluster: %v", err)
		}
	}
	r := &crashRig{t: t, ctx: ctx, fake: fake, redis: rs, rdb: rdb, store: storage.New(rdb),
		alice: person{fake.Workspace(slackfake.TeamID), "UALICE"}, bob: person{fake.Workspace(slackfake.TeamID), "UBOB"},
		env: map[string]string{
			"SLACK_APP_TOKEN": slackfake.AppToken, "SLACK_BOT_TOKEN": slackfake.BotToken,
			"SLACK_API_URL": fake.APIURL(), "REDIS_URL": rs.URL(),
			"RAPPORT_HTTP_ADDR": "127.0.0.1:0", "RAPPORT_RATE_LIMITS": "off", "RAPPORT_QUIET_HOURS": "off",
			"RAPPORT_ADMINS": "UDAVE", "RAPPORT_OUTBOX_RECLAIM_AFTER": "1s",
			"RAPPORT_SWEEP_SCHEDULE": "@every 1000h", "RAPPORT_STATE_DIR": t.TempDir(),
		}}
	for k, v := range env {
		r.env[k] = v
	}
	// As in the harness: the demo's members used Rapport before, so no welcome DM adds to counts.
	if err := r.store.MarkWelcomed(ctx, slackfake.TeamID, "UALICE", "UBOB", "UCAROL", "UDAVE"); err != nil {
		t.Fatal(err)
	}
	return r
}

// botProc is one bot process.
type botProc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // Wait's result, set before done closes
}

// start runs a bot process and waits until its socket is connected.
func (r *crashRig) start(name string) *botProc {
	r.t.Helper()
	env := []string{crashHelperEnv + "=1"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		// The bot's configuration comes from this test only, never from the developer's shell.
		if strings.HasPrefix(k, "RAPPORT_") || strings.HasPrefix(k, "SLACK_") || k == "REDIS_URL" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range r.env {
		env = append(env, k+"="+v)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = env
	p := &botProc{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	before := r.fake.Connections()
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	r.t.Cleanup(func() {
		// Nothing outlives the test: a process still running now is killed.
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if out := p.out.String(); strings.Contains(out, "DATA RACE") {
			r.t.Errorf("%s reported a data race:\n%s", name, out)
		} else if r.t.Failed() || testing.Verbose() {
			r.t.Logf("%s (pid %d, %v) output:\n%s", name, cmd.Process.Pid, p.err, out)
		}
	})
	r.wait(name+" to connect", func() bool {
		select {
		case <-p.done:
			return true // reported below
		default:
		}
		return r.fake.Connections() > before
	})
	select {
	case <-p.done:
		r.t.Fatalf("%s exited at start (%v):\n%s", name, p.err, p.out.String())
	default:
	}
	return p
}

// kill SIGKILLs p and waits until it is gone and its socket closed.
func (r *crashRig) kill(p *botProc) {
	r.t.Helper()
	sockets := r.fake.Connections()
	if err := p.cmd.Process.Kill(); err != nil {
		r.t.Fatalf("kill %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-r.ctx.Done():
		r.t.Fatalf("%s did not die of SIGKILL", p.name)
	}
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		r.t.Fatalf("%s ended with %v before the kill; output:\n%s", p.name, p.err, p.out.String())
	}
	r.wait("the killed bot's socket to close", func() bool { return r.fake.Connections() < sockets })
}

// terminate sends SIGTERM and checks p exits within 5 s with status 0, as a deployment's stop would.
func (r *crashRig) terminate(p *botProc) {
	r.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		r.t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		r.t.Fatalf("%s did not exit within 5 s of SIGTERM", p.name)
	}
	if p.err != nil {
		r.t.Errorf("%s exited with %v after SIGTERM; want status 0", p.name, p.err)
	}
}

// wait fails the test unless cond holds before the deadline; cond may read the fake or Redis
// (slackfake.WaitFor checks it on every change of the fake's and every few milliseconds).
func (r *crashRig) wait(what string, cond func() bool) {
	r.t.Helper()
	if err := r.fake.WaitFor(r.ctx, cond); err != nil {
		r.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// refer submits hotForm as Alice through the running bot and checks the ack says saved.
func (r *crashRig) refer() {
	r.t.Helper()
	view, err := r.alice.openForm(r.ctx, "")
	if err != nil {
		r.t.Fatal(err)
	}
	ack, err := r.alice.submit(r.ctx, view, hotForm())
	if err != nil {
		r.t.Fatal(err)
	}
	if p := decodeAck(ack); p.ResponseAction != "" {
		r.t.Fatalf("submission refused: %s", pretty(p))
	}
}

func (r *crashRig) outboxLen() int64 {
	n, err := r.store.Pending(r.ctx, slackfake.TeamID)
	if err != nil {
		return -1
	}
	return n
}

// owed counts the outbox entries of kind still in the stream (the Home refreshes beside them are
// settled without a post when nobody opened Home, so only the messages are counted).
func (r *crashRig) owed(kinds ...string) int {
	es, err := r.rdb.XRange(r.ctx, "rapport:v1:{"+slackfake.TeamID+"}:outbox", "-", "+").Result()
	if err != nil {
		r.t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if slices.Contains(kinds, fmt.Sprint(e.Values["kind"])) {
			n++
		}
	}
	return n
}

func (r *crashRig) deadLetters() int64 {
	n, err := r.store.DeadCount(r.ctx, slackfake.TeamID)
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// due lists the reminder queue's members ("<n>:<stage>:<receiver>").
func (r *crashRig) due() []string {
	key := storage.DefaultPrefix + ":{" + slackfake.TeamID + "}:due"
	ms, err := r.rdb.ZRange(r.ctx, key, 0, -1).Result()
	if err != nil {
		r.t.Fatalf("read %s: %v", key, err)
	}
	return ms
}

func count(ms []slackfake.Message, sub string) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(messageText(m), sub) {
			n++
		}
	}
	return n
}

func TestCrashBetweenSaveAndDM(t *testing.T) {
	r := newCrashRig(t, nil)
	r.fake.FailNext("chat.postMessage", "internal_error", 1000)
	a := r.start("bot A")
	r.refer()
	r.wait("A's first attempt to post", func() bool { return len(r.fake.Calls("chat.postMessage")) > 0 })
	r.kill(a)
	if n := r.owed(notify.ReferralReceived.Kind, notify.ReferralSent.Kind); n != 2 {
		t.Fatalf("outbox holds %d DMs after the crash; want the 2 DMs still owed", n)
	}

	r.fake.FailNext("chat.postMessage", "", 0) // Slack is healthy again
	b := r.start("bot B")
	r.wait("B to deliver both DMs", func() bool { return len(r.bob.dms()) >= 1 && len(r.alice.dms()) >= 1 })
	r.wait("B's outbox to drain", func() bool { return r.outboxLen() == 0 })
	bob, alice := r.bob.dms(), r.alice.dms()
	if len(bob) != 1 || len(alice) != 1 {
		t.Errorf("after the crash Bob got %d DMs and Alice %d; want exactly 1 each", len(bob), len(alice))
	}
	if len(bob) > 0 {
		if err := contains(messageText(bob[0]), "R-1", "Dana Reyes"); err != nil {
			t.Errorf("receiver DM: %v", err)
		}
	}
	if n := r.deadLetters(); n != 0 {
		t.Errorf("%d messages dead-lettered", n)
	}
	r.terminate(b)
}

func TestCrashBetweenClaimAndNudge(t *testing.T) {
	r := newCrashRig(t, map[string]string{"RAPPORT_FOLLOWUP_SLA": "2s", "RAPPORT_SWEEP_SCHEDULE": "@every 1s"})
	a := r.start("bot A")
	r.refer()
	r.wait("the DMs", func() bool {
		return len(r.bob.dms()) == 1 && len(r.alice.dms()) == 1 && r.outboxLen() == 0
	})
	if due := r.due(); len(due) != 1 || due[0] != "1:ack:UBOB" {
		t.Fatalf("due = %q after the referral; want the ack reminder alone", due)
	}

	// Slack fails from now on: A's sweep claims the nudge (the claim queues it in the outbox and
	// schedules ack2), A tries to post it, and dies before it gets through.
	r.fake.FailNext("chat.postMessage", "internal_error", 1000)
	posts := len(r.fake.Calls("chat.postMessage"))
	r.wait("A to claim the nudge and try to post it", func() bool {
		due := r.due()
		return len(due) == 1 && strings.HasPrefix(due[0], "1:ack2:") && len(r.fake.Calls("chat.postMessage")) > posts
	})
	r.kill(a)
	if n := r.owed(notify.NudgeAck.Kind); n != 1 {
		t.Fatalf("outbox holds %d nudges after the crash; want the nudge still owed", n)
	}
	if due := r.due(); len(due) != 1 || due[0] != "1:ack2:UBOB" {
		t.Fatalf("due = %q after the claim; want the next stage (ack2) exactly once", due)
	}

	r.fake.FailNext("chat.postMessage", "", 0)
	b := r.start("bot B")
	r.wait("B to deliver the nudge", func() bool { return count(r.bob.dms(), "waiting on you") >= 1 })
	// ack2 falls due 2 s after A's claim: let B's sweep fire it too, and check the whole ladder
	// went out once: one nudge, one second reminder, one notice to the giver, nothing left queued.
	r.wait("the second reminder and an idle bot", func() bool {
		return count(r.bob.dms(), "Second reminder") >= 1 && len(r.alice.dms()) >= 2 &&
			len(r.due()) == 0 && r.outboxLen() == 0
	})
	bob, alice := r.bob.dms(), r.alice.dms()
	if n := count(bob, "waiting on you"); n != 1 {
		t.Errorf("Bob got %d first nudges; want exactly 1", n)
	}
	if n := count(bob, "Second reminder"); n != 1 {
		t.Errorf("Bob got %d second reminders; want exactly 1", n)
	}
	if len(bob) != 3 || len(alice) != 2 {
		t.Errorf("Bob has %d DMs and Alice %d; want 3 (referral, nudge, second reminder) and 2 (confirmation, notice)",
			len(bob), len(alice))
	}
	if n := r.deadLetters(); n != 0 {
		t.Errorf("%d messages dead-lettered", n)
	}
	r.terminate(b)
}

func TestCrashSigtermDrains(t *testing.T) {
	r := newCrashRig(t, nil)
	p := r.start("bot")
	r.terminate(p)
	if out := p.out.String(); !strings.Contains(out, "rapport stopped") {
		t.Errorf("no \"rapport stopped\" log line after SIGTERM:\n%s", out)
	}
}
