package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// faultRecorder is an OnFault that remembers what it was told.
type faultRecorder struct {
	mu     sync.Mutex
	faults []bot.Fault
}

func (r *faultRecorder) tell(_ context.Context, f bot.Fault) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, f)
	return nil
}

func (r *faultRecorder) told() []bot.Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Fault(nil), r.faults...)
}

// startFaulty runs a bot whose fault timings are short enough for a test: auth.test (and a
// refused method) every authEvery, backoff unit 1 ms.
func startFaulty(t *testing.T, o options, authEvery time.Duration) *env {
	t.Helper()
	o.faultRecheck = authEvery
	e := newEnv(t, o)
	bot.SetRetryBase(e.bot, time.Millisecond)
	e.run()
	if err := e.fake.WaitConnections(e.ctx, 1); err != nil {
		t.Fatalf("bot did not connect: %v", err)
	}
	return e
}

// readyz returns /readyz's status and body.
func (e *env) readyz() (int, string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, e.health+"/readyz", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFailureClasses: a fault of the workspace or of a method pauses sending and keeps every
// message; only a fault of the message dead-letters it; transient failures are retried up to the
// cap, counted in the stream.
func TestFailureClasses(t *testing.T) {
	t.Parallel()
	t.Run("TokenRefused", func(t *testing.T) {
		t.Parallel()
		e := startFaulty(t, options{http: true}, time.Second)
		e.wait("/readyz 200", func() bool { code, _ := e.readyz(); return code == http.StatusOK })
		e.fake.RefuseBotToken("token_revoked")
		for i := range 3 {
			e.enqueue(fmt.Sprintf("referral.received.%d", i))
		}
		e.wait("/readyz 503 with the reason", func() bool {
			code, body := e.readyz()
			return code == http.StatusServiceUnavailable && strings.Contains(body, "token_revoked")
		})
		// Several auth.test re-checks pass while the token stays refused.
		before := len(e.fake.Calls("auth.test"))
		e.wait("two re-checks with auth.test", func() bool { return len(e.fake.Calls("auth.test")) >= before+2 })
		if n := len(e.fake.Calls("chat.postMessage")); n != 1 {
			t.Errorf("%d chat.postMessage calls while the token is refused; want 1: sending pauses, it does not try each message", n)
		}
		if n := e.dead(); n != 0 {
			t.Errorf("%d dead letters while the token is refused; want none: it is the workspace's fault, not the messages'", n)
		}
		if n := e.pending(); n != 3 {
			t.Errorf("%d messages kept; want all 3", n)
		}

		e.fake.RefuseBotToken("")
		e.wait("every message, once the token works again", func() bool { return len(e.fake.DMs(alice)) == 3 })
		e.wait("the outbox empty", func() bool { return e.pending() == 0 })
		seen := map[string]int{}
		for _, m := range e.fake.DMs(alice) {
			seen[m.Text]++
		}
		for text, n := range seen {
			if n != 1 {
				t.Errorf("%q arrived %d times; want once", text, n)
			}
		}
		if code, body := e.readyz(); code != http.StatusOK {
			t.Errorf("/readyz after the token works again = %d %q; want 200", code, body)
		}
	})

	t.Run("MissingScope", func(t *testing.T) {
		t.Parallel()
		rec := &faultRecorder{}
		e := startFaulty(t, options{onFault: rec.tell}, time.Second)
		e.fake.FailNext("chat.postMessage", "missing_scope", 2)
		e.enqueue("referral.received")
		e.enqueue("referral.sent")
		e.wait("both messages, once the scope is there", func() bool { return len(e.fake.DMs(alice)) == 2 })
		if n := e.dead(); n != 0 {
			t.Errorf("%d dead letters for a missing scope; want none", n)
		}
		if got := rec.told(); len(got) != 1 || got[0].Method != "chat.postMessage" || got[0].Code != "missing_scope" {
			t.Errorf("admins told %+v; want chat.postMessage's missing_scope, once", got)
		}
		if n := len(e.fake.Calls("chat.postMessage")); n != 4 {
			t.Errorf("%d chat.postMessage calls; want 4: two refused a second apart, then the two messages", n)
		}
	})

	t.Run("TellingFailed", func(t *testing.T) {
		// The admins' alert could not be queued at the fault's first occurrence: they are told at
		// its next, not a day later.
		t.Parallel()
		rec := &faultRecorder{}
		var tries atomic.Int32
		e := startFaulty(t, options{onFault: func(ctx context.Context, f bot.Fault) error {
			if tries.Add(1) == 1 {
				return errors.New("redis: connection refused")
			}
			return rec.tell(ctx, f)
		}}, time.Second)
		e.fake.FailNext("chat.postMessage", "missing_scope", 2)
		e.enqueue("referral.received")
		e.wait("the message, once the scope is there", func() bool { return len(e.fake.DMs(alice)) == 1 })
		if got := rec.told(); len(got) != 1 || got[0].Code != "missing_scope" {
			t.Errorf("admins told %+v; want the missing scope, at its second occurrence", got)
		}
	})

	t.Run("NotInChannel", func(t *testing.T) {
		t.Parallel()
		rec := &faultRecorder{}
		e := startFaulty(t, options{onFault: rec.tell}, time.Second)
		e.fake.FailNext("chat.postMessage", "not_in_channel", 1)
		e.enqueue("referral.received")
		e.wait("the message dead-lettered", func() bool { return e.dead() == 1 })
		if got := rec.told(); len(got) != 1 || got[0].Code != "not_in_channel" || got[0].Channel != alice {
			t.Errorf("admins told %+v; want not_in_channel for the message's channel", got)
		}
	})

	t.Run("TransientCapped", func(t *testing.T) {
		// A message that keeps failing while another goes is the message's fault: dead-lettered
		// at the cap. (The completion of a workflow run fails; a DM goes meanwhile.)
		t.Parallel()
		e := startFaulty(t, options{}, time.Second)
		e.fake.FailNext("functions.completeSuccess", "internal_error", 1000)
		if _, err := e.store.EnqueueMessage(e.ctx, slackfake.TeamID, "step.done", 17, "Fx0000000001"); err != nil {
			t.Fatal(err)
		}
		// Tried again: its first failure was met (a DM that went before it would prove nothing).
		e.wait("the run's completion tried twice", func() bool { return len(e.fake.Calls("functions.completeSuccess")) >= 2 })
		e.enqueue("referral.received")
		e.wait("the message dead-lettered", func() bool { return e.dead() == 1 })
		if n := len(e.fake.Calls("functions.completeSuccess")); n < 10 {
			t.Errorf("%d tries of a message that always fails; want at least 10 (the stream's delivery count caps it)", n)
		}
		if dms := e.fake.DMs(alice); len(dms) != 1 {
			t.Errorf("alice got %d DMs; want the one that went", len(dms))
		}
	})

	t.Run("SlackDownPastTheCap", func(t *testing.T) {
		// Slack fails every call for longer than the cap of tries (an outage): nothing is given
		// up on, and the message goes once Slack answers again.
		t.Parallel()
		e := startFaulty(t, options{}, time.Second)
		e.fake.FailNext("chat.postMessage", "service_unavailable", 15)
		e.enqueue("referral.received")
		e.wait("the message", func() bool { return len(e.fake.DMs(alice)) == 1 })
		e.wait("the outbox empty", func() bool { return e.pending() == 0 })
		if n := e.dead(); n != 0 {
			t.Errorf("%d dead letters after an outage of 15 failed tries; want none: it was Slack's fault, not the message's", n)
		}
		if n := len(e.fake.Calls("chat.postMessage")); n != 16 {
			t.Errorf("%d tries; want 16: 15 refused, then the one that went", n)
		}
	})

	t.Run("TransientThenOK", func(t *testing.T) {
		t.Parallel()
		e := startFaulty(t, options{}, time.Second)
		e.fake.FailNext("chat.postMessage", "service_unavailable", 3)
		e.enqueue("referral.received")
		e.wait("the message", func() bool { return len(e.fake.DMs(alice)) == 1 })
		e.wait("the outbox empty", func() bool { return e.pending() == 0 })
		if n := e.dead(); n != 0 {
			t.Errorf("%d dead letters after 3 transient failures; want none", n)
		}
	})
}
