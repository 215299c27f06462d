package storage_test

import (
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage/redistest"
)

// TestPace checks the shared limiter: a burst goes at once, the next call waits about one interval,
// budgets are independent, and a pause from a 429 holds a budget for its length.
func TestPace(t *testing.T) {
	f := newFixture(t)
	pace := func(method, channel string, every time.Duration, burst int) time.Duration {
		t.Helper()
		d, err := f.st.Pace(ctx(t), team, method, channel, every, burst)
		if err != nil {
			t.Fatalf("Pace(%s, %s): %v", method, channel, err)
		}
		return d
	}
	t.Run("Burst", func(t *testing.T) {
		for i := range 3 {
			if d := pace("chat.postMessage", "C1", time.Second, 3); d != 0 {
				t.Fatalf("call %d of a burst of 3 waits %v; want 0", i+1, d)
			}
		}
		d := pace("chat.postMessage", "C1", time.Second, 3)
		if d <= 800*time.Millisecond || d > time.Second {
			t.Errorf("4th call waits %v; want about 1s", d)
		}
		if again := pace("chat.postMessage", "C1", time.Second, 3); again <= 0 || again > d {
			t.Errorf("asking again waits %v; want a wait no longer than %v (a refusal takes no slot)", again, d)
		}
		if d := pace("chat.postMessage", "C2", time.Second, 3); d != 0 {
			t.Errorf("another channel waits %v; want 0: budgets are per channel", d)
		}
		if ttl := f.rdb.PTTL(ctx(t), f.key(team, "pace:chat.postMessage:C1")).Val(); ttl <= 0 || ttl > 3*time.Second {
			t.Errorf("pace key TTL = %v; want it to expire once the cell is idle (≤ 3s)", ttl)
		}
	})
	t.Run("Rate", func(t *testing.T) {
		// Ask as fast as answers allow for 600 ms: about burst + 600/50 grants, never more.
		start, grants := time.Now(), 0
		for time.Since(start) < 600*time.Millisecond {
			d := pace("chat.update", "", 50*time.Millisecond, 2)
			if d == 0 {
				grants++
				continue
			}
			time.Sleep(min(d, 10*time.Millisecond))
		}
		if most := 2 + 600/50 + 1; grants > most || grants < 8 {
			t.Errorf("%d grants in 600ms at one per 50ms, bursts of 2; want 8..%d", grants, most)
		}
	})
	t.Run("All", func(t *testing.T) {
		// Four calls of one budget (bursts of 3), one of another, a paused one: in one round trip,
		// in order, as four Pace calls would answer.
		if err := f.st.Pause(ctx(t), team, "views.publish", "", time.Second); err != nil {
			t.Fatal(err)
		}
		post := rapport.PaceRequest{Method: "chat.postMessage", Channel: "C9", Every: time.Second, Burst: 3}
		reqs := []rapport.PaceRequest{post, post, post, post,
			{Method: "chat.delete", Every: time.Second, Burst: 1}, {Method: "views.publish", Every: time.Second, Burst: 5}}
		var trips redistest.RoundTrips
		f.rdb.AddHook(&trips)
		waits, err := f.st.PaceAll(ctx(t), team, reqs)
		if err != nil {
			t.Fatal(err)
		}
		if n := trips.Load(); n != 1 {
			t.Errorf("PaceAll took %d round trips; want 1", n)
		}
		if len(waits) != 6 || waits[0]+waits[1]+waits[2] != 0 || waits[3] <= 800*time.Millisecond || waits[4] != 0 ||
			waits[5] <= 800*time.Millisecond {
			t.Errorf("PaceAll = %v; want 0 0 0, about 1s, 0, the pause", waits)
		}
	})
	t.Run("Pause", func(t *testing.T) {
		if err := f.st.Pause(ctx(t), team, "chat.postMessage", "C3", 1500*time.Millisecond); err != nil {
			t.Fatalf("Pause: %v", err)
		}
		if d := pace("chat.postMessage", "C3", time.Second, 3); d <= time.Second || d > 1500*time.Millisecond {
			t.Errorf("paused budget waits %v; want the rest of the 1.5s pause", d)
		}
		if d := pace("chat.postMessage", "C3", 0, 0); d <= time.Second {
			t.Errorf("pauses-only ask on a paused budget waits %v; want the pause", d)
		}
		if d := pace("chat.postMessage", "C4", 0, 0); d != 0 {
			t.Errorf("pauses-only ask on an unpaused budget waits %v; want 0", d)
		}
		if n := f.rdb.Exists(ctx(t), f.key(team, "pace:chat.postMessage:C4")).Val(); n != 0 {
			t.Error("a pauses-only ask wrote a pace cell")
		}
	})
}

// TestTouchOutbox checks that touching keeps an entry claimed (its idle time restarts) and reports
// the entries the consumer no longer owns.
func TestTouchOutbox(t *testing.T) {
	f := newFixture(t)
	for range 2 {
		if _, err := f.st.EnqueueMessage(ctx(t), team, "nudge.ack", 7, "UROB"); err != nil {
			t.Fatal(err)
		}
	}
	es, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0)
	if err != nil || len(es) != 2 {
		t.Fatalf("ReadOutbox = %v, %v; want 2 entries", es, err)
	}
	stream := f.key(team, "outbox")
	// c2 takes the second entry over, as ClaimStale would from a stuck c1.
	if err := f.rdb.XClaimJustID(ctx(t), &redis.XClaimArgs{Stream: stream, Group: "senders", Consumer: "c2",
		Messages: []string{es[1].ID}}).Err(); err != nil {
		t.Fatal(err)
	}
	// Idle time is what is under test: wait until c1's entry has been idle a while.
	stream0 := es[0].ID
	deadline := time.Now().Add(5 * time.Second)
	for {
		p := f.rdb.XPendingExt(ctx(t), &redis.XPendingExtArgs{Stream: stream, Group: "senders", Start: stream0, End: stream0, Count: 1}).Val()
		if len(p) == 1 && p[0].Idle >= 50*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry never went idle: %v", p)
		}
		time.Sleep(5 * time.Millisecond)
	}

	lost, err := f.st.TouchOutbox(ctx(t), team, "c1", []string{es[0].ID, es[1].ID, "1-1"})
	if err != nil {
		t.Fatalf("TouchOutbox: %v", err)
	}
	if want := []string{es[1].ID, "1-1"}; !slices.Equal(lost, want) {
		t.Errorf("lost = %v; want %v (claimed by c2, and gone)", lost, want)
	}
	pend := f.rdb.XPendingExt(ctx(t), &redis.XPendingExtArgs{Stream: stream, Group: "senders", Start: "-", End: "+", Count: 10}).Val()
	if len(pend) != 2 || pend[0].Consumer != "c1" || pend[0].Idle >= 50*time.Millisecond || pend[0].RetryCount != 1 ||
		pend[1].Consumer != "c2" {
		t.Errorf("pending after touch = %+v; want c1's entry fresh and not counted as redelivered, c2's left alone", pend)
	}

	if err := f.rdb.XGroupDestroy(ctx(t), stream, "senders").Err(); err != nil {
		t.Fatal(err)
	}
	ids := []string{es[0].ID}
	if lost, err := f.st.TouchOutbox(ctx(t), team, "c1", ids); err != nil || !slices.Equal(lost, ids) {
		t.Errorf("TouchOutbox without a group = %v, %v; want every id lost", lost, err)
	}
}
