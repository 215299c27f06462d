package bot_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/slackfake"
)

// TestOutbox checks what the people owed a message see: one DM per entry, none for an entry no
// longer owed or one Slack refuses for good, and a delay, not a loss or a double, under a rate limit.
func TestOutbox(t *testing.T) {
	t.Parallel()
	t.Run("NoLongerOwed", func(t *testing.T) {
		t.Parallel()
		r := &renderer{}
		e := start(t, options{renderer: r})
		id := e.enqueue("moved_on")
		e.wait("the entry rendered and settled", func() bool { return r.renders(id) > 0 && e.pending() == 0 })
		if calls := e.fake.Calls("chat.postMessage"); len(calls) != 0 {
			t.Errorf("%d posts for an entry no longer owed; want none", len(calls))
		}
		if n := e.dead(); n != 0 {
			t.Errorf("%d dead letters; want none: the entry was settled, not given up on", n)
		}
	})

	t.Run("Undeliverable", func(t *testing.T) {
		t.Parallel()
		r := &renderer{}
		e := start(t, options{renderer: r})
		id := e.enqueue("unknown")
		e.wait("the entry dead-lettered", func() bool { return e.dead() == 1 })
		if n := e.pending(); n != 0 {
			t.Errorf("%d entries still pending; want 0", n)
		}
		if n := r.renders(id); n != 1 {
			t.Errorf("rendered %d times; want once: an entry that cannot be drawn is not retried", n)
		}
		if calls := e.fake.Calls("chat.postMessage"); len(calls) != 0 {
			t.Errorf("%d posts for an entry that cannot be drawn; want none", len(calls))
		}
	})

	t.Run("RateLimited", func(t *testing.T) {
		t.Parallel()
		e := start(t, options{})
		e.fake.RateLimitNext("chat.postMessage", time.Second, 1)
		e.enqueue("referral.received")
		e.wait("the DM", func() bool { return len(e.fake.DMs(alice)) == 1 })
		e.wait("the entry settled", func() bool { return e.pending() == 0 })

		calls := e.fake.Calls("chat.postMessage")
		if len(calls) != 2 {
			t.Fatalf("%d chat.postMessage calls; want 2 (one refused with 429, one accepted)", len(calls))
		}
		if wait := calls[1].At.Sub(calls[0].At); wait < time.Second {
			t.Errorf("retried %v after a 429 with Retry-After: 1; want at least 1s", wait)
		}
		if dms := e.fake.DMs(alice); len(dms) != 1 || dms[0].Text != "About referral: referral.received" {
			t.Errorf("alice's DMs = %+v; want the one message, once", dms)
		}
		if n := e.dead(); n != 0 {
			t.Errorf("%d dead letters after a rate limit; want none", n)
		}
	})

	t.Run("SlowReply", func(t *testing.T) {
		// Slack posts the DM at once but replies 4 s later, past the lease the sender held when
		// the call began (3 s): the heartbeat renews it, so the call waits for the reply and the
		// DM is posted once, not tried again as timed out.
		t.Parallel()
		e := start(t, options{})
		e.fake.SlowNext("chat.postMessage", 4*time.Second, 1)
		e.enqueue("referral.received")
		e.wait("the entry settled", func() bool { return e.pending() == 0 })
		if dms := e.fake.DMs(alice); len(dms) != 1 {
			t.Errorf("alice got %d DMs for one entry whose reply was slow; want 1", len(dms))
		}
		if calls := e.fake.Calls("chat.postMessage"); len(calls) != 1 {
			t.Errorf("%d chat.postMessage calls; want 1: a slow reply is waited for", len(calls))
		}
		if n := e.dead(); n != 0 {
			t.Errorf("%d dead letters after a slow reply; want none", n)
		}
	})

	t.Run("PermanentError", func(t *testing.T) {
		t.Parallel()
		e := start(t, options{})
		e.fake.FailNext("chat.postMessage", "channel_not_found", 1)
		e.enqueue("referral.received")
		e.wait("the entry dead-lettered", func() bool { return e.dead() == 1 })
		if n := e.pending(); n != 0 {
			t.Errorf("%d entries still pending after a dead letter; want 0", n)
		}
		if msgs := e.fake.Messages(); len(msgs) != 0 {
			t.Errorf("messages posted: %+v; want none", msgs)
		}
		if calls := e.fake.Calls("chat.postMessage"); len(calls) != 1 {
			t.Errorf("%d chat.postMessage calls; want 1 (channel_not_found is not retried)", len(calls))
		}
	})
}

// TestOutboxCompletesStep: a workflow step's run is completed through the outbox like a DM, with
// its outputs, once; a completion Slack refuses for good (the run completed already) is
// dead-lettered at once, not retried.
func TestOutboxCompletesStep(t *testing.T) {
	t.Parallel()
	e := start(t, options{})
	run := slackfake.FunctionExecutionID(e.fake.FunctionExecuted("record_referral", nil))
	for range 2 { // the second as if a crashed replica's entry were queued again
		if _, err := e.store.EnqueueMessage(e.ctx, slackfake.TeamID, "step.done", 17, run); err != nil {
			t.Fatal(err)
		}
	}
	e.wait("one completion, one dead letter", func() bool { return len(e.fake.Completions()) == 1 && e.dead() == 1 })
	if c := e.fake.Completions()[0]; c.ExecutionID != run || c.Outputs["referral"] != "R-17" || c.Error != "" {
		t.Errorf("completion = %+v; want run %s completed with R-17", c, run)
	}
	if n := len(e.fake.Calls("functions.completeSuccess")); n != 2 {
		t.Errorf("%d functions.completeSuccess calls; want 2: the second refused (execution_not_in_running_state), not retried", n)
	}
	if n := e.pending(); n != 0 {
		t.Errorf("%d entries pending; want none", n)
	}
}

// enqueue adds a message for alice to the outbox, as a handler's save would.
func (e *env) enqueue(kind string) string {
	e.t.Helper()
	id, err := e.store.EnqueueMessage(e.ctx, slackfake.TeamID, kind, 17, alice)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) pending() int64 {
	e.t.Helper()
	n, err := e.store.Pending(e.ctx, slackfake.TeamID)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) dead() int64 {
	e.t.Helper()
	n, err := e.store.DeadCount(e.ctx, slackfake.TeamID)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
