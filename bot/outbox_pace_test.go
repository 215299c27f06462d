package bot_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/storage"
)

var _ bot.Pacer = (*storage.Store)(nil)

// kinds returns the kinds m0…m(n-1), and what the test renderer says for them.
func kinds(n int) (ks, texts []string) {
	for i := range n {
		ks = append(ks, fmt.Sprintf("m%d", i))
		texts = append(texts, fmt.Sprintf("About referral: m%d", i))
	}
	return ks, texts
}

// checkSlackPace fails unless the calls to one channel keep Slack's allowance for chat.postMessage:
// one a second with bursts of 3, so no k+3 calls within k seconds. slack covers the trip from
// the sender to the fake.
func checkSlackPace(t *testing.T, channel string, at []time.Time) {
	t.Helper()
	const burst, slack = 3, 50 * time.Millisecond
	for i := range at {
		for j := i + burst; j < len(at); j++ {
			if least := time.Duration(j-i-burst+1)*time.Second - slack; at[j].Sub(at[i]) < least {
				t.Errorf("%s: calls %d and %d are %v apart; Slack allows %d calls in a burst and one a second after: want ≥ %v",
					channel, i, j, at[j].Sub(at[i]), burst, least)
				return
			}
		}
	}
}

// TestOutbox429Storm checks that 429s delay only the recipients they were about: every message
// arrives once and in order, the refused ones no sooner than Retry-After, and the others at once.
func TestOutbox429Storm(t *testing.T) {
	t.Parallel()
	users := []string{"USTORM1", "USTORM2", "USTORM3", "USTORM4"}
	s := startSenders(t, senderOptions{users: users})
	const refused = 3
	s.fake.RateLimitNext("chat.postMessage", time.Second, refused)
	ks, texts := kinds(5)
	for _, k := range ks {
		for _, u := range users {
			s.enqueue(u, k)
		}
	}
	e := s.bots[0]
	e.wait("every DM", func() bool {
		for _, u := range users {
			if len(s.fake.DMs(u)) < len(ks) {
				return false
			}
		}
		return true
	})
	e.wait("the outbox settled", func() bool { return e.pending() == 0 })

	for _, u := range users {
		if got := s.texts(u); !slices.Equal(got, texts) {
			t.Errorf("%s's DMs = %q; want each message once, in order", u, got)
		}
	}
	calls := s.fake.Calls("chat.postMessage")
	if want := len(users)*len(ks) + refused; len(calls) != want {
		t.Errorf("%d chat.postMessage calls; want %d (each message once, plus the %d refused)", len(calls), want, refused)
	}
	// The fake refuses the first calls it receives.
	limited := map[string]time.Time{}
	for _, c := range calls[:refused] {
		ch := c.Params["channel"]
		if _, ok := limited[ch]; !ok {
			limited[ch] = c.At
		}
		for _, later := range s.callsTo(ch) {
			if later.After(c.At) && later.Sub(c.At) < time.Second {
				t.Errorf("%s: called again %v after a 429 with Retry-After: 1; want ≥ 1s", ch, later.Sub(c.At))
				break
			}
		}
	}
	firstRetry := calls[0].At.Add(time.Second)
	free := 0
	for _, u := range users {
		if _, ok := limited[u]; ok {
			continue
		}
		free++
		for _, at := range s.callsTo(u) {
			if !at.Before(firstRetry) {
				t.Errorf("%s, never refused, was called %v after the first 429: held up by a limited recipient",
					u, at.Sub(calls[0].At))
			}
		}
	}
	if free == 0 {
		t.Errorf("every recipient was refused (%v): nothing shows the others flow", limited)
	}
	if n := e.dead(); n != 0 {
		t.Errorf("%d dead letters after 429s; want none", n)
	}
}

// TestOutboxPacing checks that with RateLimits on the sender keeps to Slack's rate for one channel
// on its own, without 429s, while other recipients are served meanwhile.
func TestOutboxPacing(t *testing.T) {
	t.Parallel()
	const one = "UPACED"
	others := []string{"UOTHER0", "UOTHER1", "UOTHER2", "UOTHER3", "UOTHER4", "UOTHER5", "UOTHER6", "UOTHER7", "UOTHER8", "UOTHER9"}
	s := startSenders(t, senderOptions{users: append([]string{one}, others...), rateLimits: true, deadline: time.Minute})
	// Slack's own allowance, which refuses what goes over it with a 429.
	s.fake.SetRateLimit("chat.postMessage", 60)
	s.fake.SetRateLimit("chat.update", 50)

	ks, texts := kinds(30)
	for _, k := range ks {
		s.enqueue(one, k)
	}
	oks, otexts := kinds(3)
	for _, k := range oks {
		for _, u := range others {
			s.enqueue(u, k)
		}
	}
	e := s.bots[0]
	e.wait("every DM", func() bool {
		return len(s.fake.Messages()) == len(ks)+len(oks)*len(others)
	})
	e.wait("the outbox settled", func() bool { return e.pending() == 0 })

	if calls := s.fake.Calls("chat.postMessage"); len(calls) != len(ks)+len(oks)*len(others) {
		t.Errorf("%d chat.postMessage calls for %d messages; want one each: a 429 was met", len(calls), len(ks)+len(oks)*len(others))
	}
	if got := s.texts(one); !slices.Equal(got, texts) {
		t.Errorf("%s's DMs = %q; want each message once, in order", one, got)
	}
	at := s.callsTo(one)
	checkSlackPace(t, one, at)
	if took := at[len(at)-1].Sub(at[0]); took > 40*time.Second {
		t.Errorf("30 messages to one channel took %v; want about 28s (paced, not stalled)", took)
	}
	for _, u := range others {
		if got := s.texts(u); !slices.Equal(got, otexts) {
			t.Errorf("%s's DMs = %q; want each message once, in order", u, got)
		}
		if calls := s.callsTo(u); len(calls) > 0 && calls[len(calls)-1].Sub(at[0]) > 3*time.Second {
			t.Errorf("%s's last message went %v after the first to %s; want it within its own burst, not queued behind",
				u, calls[len(calls)-1].Sub(at[0]), one)
		}
	}
}

// TestOutboxPacingReplicas checks that two senders on one Redis keep one channel's rate together.
func TestOutboxPacingReplicas(t *testing.T) {
	t.Parallel()
	const one = "UPACED"
	s := startSenders(t, senderOptions{users: []string{one}, rateLimits: true, replicas: 2, deadline: time.Minute})
	s.fake.SetRateLimit("chat.postMessage", 60)

	ks, texts := kinds(12)
	for i, k := range ks {
		s.enqueue(one, k)
		// One at a time, so that the stream hands them to both senders in turn.
		s.bots[0].wait("the entry read", func() bool { return s.read() == int64(i+1) })
	}
	e := s.bots[0]
	e.wait("every DM", func() bool { return len(s.fake.DMs(one)) == len(ks) })
	e.wait("the outbox settled", func() bool { return e.pending() == 0 })

	for i, r := range s.render {
		r.mu.Lock()
		n := len(r.rendered)
		r.mu.Unlock()
		if n == 0 {
			t.Fatalf("sender %d sent nothing: the test shows nothing about two senders", i)
		}
	}
	got := s.texts(one)
	slices.Sort(got)
	slices.Sort(texts)
	if !slices.Equal(got, texts) {
		t.Errorf("%s's DMs = %q; want each message once", one, got)
	}
	if calls := s.fake.Calls("chat.postMessage"); len(calls) != len(ks) {
		t.Errorf("%d chat.postMessage calls for %d messages; want one each: a 429 was met", len(calls), len(ks))
	}
	checkSlackPace(t, one, s.callsTo(one))
}

// TestOutboxHeldNotReclaimed checks that entries waiting for their turn longer than ReclaimAfter
// stay with the sender holding them: the other replica takes none over, so none is sent twice.
func TestOutboxHeldNotReclaimed(t *testing.T) {
	t.Parallel()
	const one = "UPACED"
	s := startSenders(t, senderOptions{users: []string{one}, rateLimits: true, replicas: 2,
		reclaim: 900 * time.Millisecond, deadline: time.Minute})
	s.fake.SetRateLimit("chat.postMessage", 60)
	ks, texts := kinds(8) // the last waits about 5 s: several reclaim delays
	for _, k := range ks {
		s.enqueue(one, k)
	}
	e := s.bots[0]
	e.wait("every DM", func() bool { return len(s.fake.DMs(one)) == len(ks) })
	e.wait("the outbox settled", func() bool { return e.pending() == 0 })

	owner := map[string]int{}
	for i, r := range s.render {
		r.mu.Lock()
		for _, id := range r.rendered {
			if o, ok := owner[id]; ok && o != i {
				t.Errorf("entry %s rendered by senders %d and %d; want one sender per entry", id, o, i)
			}
			owner[id] = i
		}
		r.mu.Unlock()
	}
	got := s.texts(one)
	slices.Sort(got)
	slices.Sort(texts)
	if !slices.Equal(got, texts) {
		t.Errorf("%s's DMs = %q; want each message once", one, got)
	}
	if calls := s.fake.Calls("chat.postMessage"); len(calls) != len(ks) {
		t.Errorf("%d chat.postMessage calls for %d messages; want one each", len(calls), len(ks))
	}
	checkSlackPace(t, one, s.callsTo(one))
}

// TestOutboxTransient checks that a transient failure is retried after a backoff, without holding
// up other recipients.
func TestOutboxTransient(t *testing.T) {
	t.Parallel()
	users := []string{"UFLAKY", "USTEADY"}
	s := startSenders(t, senderOptions{users: users})
	s.fake.FailNext("chat.postMessage", "internal_error", 1)
	s.enqueue(users[0], "m0")
	e := s.bots[0]
	e.wait("the failed call", func() bool { return len(s.fake.Calls("chat.postMessage")) == 1 })
	failedAt := s.fake.Calls("chat.postMessage")[0].At
	ks, texts := kinds(3)
	for _, k := range ks {
		s.enqueue(users[1], k)
	}
	e.wait("every DM", func() bool { return len(s.fake.DMs(users[0])) == 1 && len(s.fake.DMs(users[1])) == len(ks) })
	e.wait("the outbox settled", func() bool { return e.pending() == 0 })

	if got := s.texts(users[1]); !slices.Equal(got, texts) {
		t.Errorf("%s's DMs = %q; want each once, in order", users[1], got)
	}
	retry := s.callsTo(users[0])
	if len(retry) != 2 || retry[1].Sub(failedAt) < 200*time.Millisecond {
		t.Fatalf("calls to %s at %v; want a retry at least 200ms after the failure", users[0], retry)
	}
	for _, at := range s.callsTo(users[1]) {
		if at.After(retry[1]) {
			t.Errorf("%s served after %s's retry: held up by its backoff", users[1], users[0])
		}
	}
	if n := e.dead(); n != 0 {
		t.Errorf("%d dead letters after a transient failure; want none", n)
	}
}
