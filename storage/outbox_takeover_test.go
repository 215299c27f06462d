package storage_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// TestHeartbeat checks the takeover of a dead sender's entries: nothing moves while its heartbeat
// lives; once it is gone the next heartbeat of another sender takes its entries, oldest first and
// no more than asked, and deletes it from the group once it holds nothing.
func TestHeartbeat(t *testing.T) {
	t.Run("TakeOver", func(t *testing.T) {
		f := newFixture(t)
		var ids []string
		for i := range 3 {
			id, err := f.st.EnqueueMessage(ctx(t), team, fmt.Sprintf("nudge.%d", i), int64(i+1), "UROB")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if es, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0); err != nil || len(es) != 3 {
			t.Fatalf("ReadOutbox(c1) = %v, %v; want the 3 entries", es, err)
		}
		beat(t, f, "c1", 3*time.Second, 0)
		if ttl := f.rdb.PTTL(ctx(t), f.key(team, "alive:c1")).Val(); ttl <= 0 || ttl > 3*time.Second {
			t.Errorf("c1's heartbeat key %s has TTL %v; want at most 3s", f.key(team, "alive:c1"), ttl)
		}
		if taken, left := beat(t, f, "c2", 3*time.Second, 10); taken != nil || left != nil {
			t.Fatalf("c2's heartbeat while c1 lives took %v and deleted %v; want nothing", taken, left)
		}

		// c1 dies: its heartbeat is not renewed and expires.
		beat(t, f, "c1", time.Millisecond, 0)
		waitGone(t, f, "alive:c1")
		taken, left := beat(t, f, "c2", 3*time.Second, 2)
		if got := entryIDs(taken); !slices.Equal(got, ids[:2]) || left != nil {
			t.Fatalf("c2's heartbeat after c1 died took %v and deleted %v; want %v (count 2) and nothing", got, left, ids[:2])
		}
		want := rapport.OutboxEntry{ID: ids[0], Kind: "nudge.0", Ref: 1, To: "UROB",
			Fields: map[string]string{"kind": "nudge.0", "ref": "1", "to": "UROB"}}
		if diff := cmp.Diff(want, taken[0]); diff != "" {
			t.Errorf("entry taken over (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]int64{ids[0]: 2, ids[1]: 2, ids[2]: 1}, deliveries(t, f)); diff != "" {
			t.Errorf("delivery counts (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]int64{"c1": 1, "c2": 2}, consumers(t, f)); diff != "" {
			t.Errorf("consumers while c1 still holds an entry (-want +got):\n%s", diff)
		}

		taken, left = beat(t, f, "c2", 3*time.Second, 10)
		if got := entryIDs(taken); !slices.Equal(got, ids[2:]) || !slices.Equal(left, []string{"c1"}) {
			t.Fatalf("c2's next heartbeat took %v and deleted %v; want %v and c1", got, left, ids[2:])
		}
		if diff := cmp.Diff(map[string]int64{"c2": 3}, consumers(t, f)); diff != "" {
			t.Errorf("consumers after the takeover (-want +got):\n%s", diff)
		}
	})

	t.Run("Lapsed", func(t *testing.T) {
		f := newFixture(t)
		lapsed := func(ttl time.Duration) bool {
			t.Helper()
			_, _, l, err := f.st.Heartbeat(ctx(t), team, "c1", ttl, 0)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if !lapsed(3 * time.Second) {
			t.Error("a sender's first heartbeat says it was alive before; want lapsed (others may hold what it held)")
		}
		if lapsed(time.Millisecond) {
			t.Error("a heartbeat renewed in time says it lapsed")
		}
		waitGone(t, f, "alive:c1")
		if !lapsed(3 * time.Second) {
			t.Error("a heartbeat renewed after its key expired says it did not lapse")
		}
	})

	t.Run("DeletesEmptyDeadConsumers", func(t *testing.T) {
		f := newFixture(t)
		outbox := f.key(team, "outbox")
		if _, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0); err != nil { // creates the group
			t.Fatal(err)
		}
		beat(t, f, "live", 3*time.Second, 0)
		for _, c := range []string{"dead", "live"} {
			if err := f.rdb.XGroupCreateConsumer(ctx(t), outbox, "senders", c).Err(); err != nil {
				t.Fatal(err)
			}
		}
		// count 0 takes nothing but still tidies the group.
		if taken, left := beat(t, f, "c2", 3*time.Second, 0); taken != nil || !slices.Equal(left, []string{"dead"}) {
			t.Fatalf("heartbeat took %v and deleted %v; want nothing taken and the dead consumer deleted", taken, left)
		}
		if diff := cmp.Diff(map[string]int64{"live": 0}, consumers(t, f)); diff != "" {
			t.Errorf("consumers (-want +got):\n%s", diff)
		}
	})

	t.Run("EntryDeletedWhilePending", func(t *testing.T) {
		f := newFixture(t)
		id, err := f.st.EnqueueMessage(ctx(t), team, "nudge.ack", 7, "UROB")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.rdb.XDel(ctx(t), f.key(team, "outbox"), id).Err(); err != nil {
			t.Fatal(err)
		}
		if taken, left := beat(t, f, "c2", 3*time.Second, 10); taken != nil || !slices.Equal(left, []string{"c1"}) {
			t.Fatalf("heartbeat took %v and deleted %v; want nothing to send and c1 deleted", taken, left)
		}
		if n := f.rdb.XPending(ctx(t), f.key(team, "outbox"), "senders").Val().Count; n != 0 {
			t.Errorf("%d entries pending; want none", n)
		}
	})

	t.Run("NoGroup", func(t *testing.T) {
		f := newFixture(t)
		if taken, left := beat(t, f, "c1", 3*time.Second, 10); taken != nil || left != nil {
			t.Errorf("heartbeat without an outbox took %v and deleted %v; want nothing", taken, left)
		}
		if n := f.rdb.Exists(ctx(t), f.key(team, "alive:c1")).Val(); n != 1 {
			t.Error("no heartbeat key without an outbox; want it written all the same")
		}
	})

	t.Run("RedisDown", func(t *testing.T) {
		srv := redistest.Start(t)
		st := storage.New(srv.Client(t), storage.WithPrefix(srv.Prefix(t)))
		srv.Stop()
		c, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, _, _, err := st.Heartbeat(c, team, "c1", 3*time.Second, 10); rapport.ErrorCode(err) != rapport.EUNAVAILABLE {
			t.Errorf("Heartbeat with Redis stopped = %v; want %s", err, rapport.EUNAVAILABLE)
		}
	})
}

// TestDeadLetterCap checks that the dead stream keeps about the newest cap entries (MAXLEN ~, which
// trims whole stream nodes of at most 100 entries).
func TestDeadLetterCap(t *testing.T) {
	tests := []struct {
		name string
		opts []storage.Option
		cap  int64
	}{
		{"Default", nil, storage.DefaultDeadLetterCap},
		{"Option", []storage.Option{storage.WithDeadLetterCap(50)}, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			st := storage.New(f.rdb, append([]storage.Option{storage.WithPrefix(f.prefix)}, tt.opts...)...)
			dead := f.key(team, "dead")
			// Fill the stream past the cap in one pipeline, then dead-letter through the store.
			if _, err := f.rdb.Pipelined(ctx(t), func(p redis.Pipeliner) error {
				for i := range tt.cap + 200 {
					p.XAdd(ctx(t), &redis.XAddArgs{Stream: dead, Values: []any{"entry", fmt.Sprint(i), "reason", "old"}})
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			e := rapport.OutboxEntry{ID: "1-1", Kind: "nudge.ack", Ref: 7, To: "UROB"}
			// The entry is in the outbox: only an entry still there is dead-lettered.
			if err := f.rdb.XAdd(ctx(t), &redis.XAddArgs{Stream: f.key(team, "outbox"), ID: e.ID, Values: []any{"kind", e.Kind}}).Err(); err != nil {
				t.Fatal(err)
			}
			if err := st.RecordOutbox(ctx(t), team, []rapport.OutboxOutcome{{Entry: e, Dead: "channel_not_found"}}); err != nil {
				t.Fatalf("RecordOutbox: %v", err)
			}
			n, err := st.DeadCount(ctx(t), team)
			if err != nil || n < tt.cap || n >= tt.cap+100 {
				t.Errorf("DeadCount = %d, %v; want about %d (at least, and less than a stream node more)", n, err, tt.cap)
			}
			last := f.rdb.XRevRangeN(ctx(t), dead, "+", "-", 1).Val()
			if len(last) != 1 || last[0].Values["entry"] != "1-1" {
				t.Errorf("newest dead letter = %+v; want the one just written", last)
			}
		})
	}
}

// beat runs consumer's heartbeat and fails the test on an error.
func beat(t *testing.T, f *fixture, consumer string, ttl time.Duration, count int) ([]rapport.OutboxEntry, []string) {
	t.Helper()
	taken, left, _, err := f.st.Heartbeat(ctx(t), team, consumer, ttl, count)
	if err != nil {
		t.Fatalf("Heartbeat(%s): %v", consumer, err)
	}
	return taken, left
}

// waitGone waits until the key of suffix has expired.
func waitGone(t *testing.T, f *fixture, suffix string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.rdb.Exists(ctx(t), f.key(team, suffix)).Val() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s never expired", suffix)
		}
		time.Sleep(time.Millisecond)
	}
}

func entryIDs(es []rapport.OutboxEntry) []string {
	var ids []string
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

// consumers returns the group's consumers and how many entries each holds.
func consumers(t *testing.T, f *fixture) map[string]int64 {
	t.Helper()
	cs, err := f.rdb.XInfoConsumers(ctx(t), f.key(team, "outbox"), "senders").Result()
	if err != nil {
		t.Fatalf("XINFO CONSUMERS: %v", err)
	}
	got := map[string]int64{}
	for _, c := range cs {
		got[c.Name] = c.Pending
	}
	return got
}

// deliveries returns the delivery count of each pending entry.
func deliveries(t *testing.T, f *fixture) map[string]int64 {
	t.Helper()
	ps, err := f.rdb.XPendingExt(ctx(t), &redis.XPendingExtArgs{
		Stream: f.key(team, "outbox"), Group: "senders", Start: "-", End: "+", Count: 100,
	}).Result()
	if err != nil {
		t.Fatalf("XPENDING: %v", err)
	}
	got := map[string]int64{}
	for _, p := range ps {
		got[p.ID] = p.RetryCount
	}
	return got
}
