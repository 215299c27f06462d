package storage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rapportbot/rapport"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// ignoreIDs compares entries without their stream IDs and raw fields.
var ignoreIDs = cmpopts.IgnoreFields(storage.OutboxEntry{}, "ID", "Fields")

func TestOutboxDelivery(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	if n := pending(t, f); n != 2 {
		t.Fatalf("outbox length after create = %d, want 2", n)
	}
	es, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("ReadOutbox: %v", err)
	}
	want := []storage.OutboxEntry{
		{Kind: kindReceived, Ref: r.Number, To: "UROB"},
		{Kind: kindSent, Ref: r.Number, To: "UGIA"},
	}
	if diff := cmp.Diff(want, es, ignoreIDs); diff != "" {
		t.Fatalf("ReadOutbox (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"kind": kindReceived, "ref": "1", "to": "UROB"}, es[0].Fields); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}

	if err := f.st.RecordOutbox(ctx(t), team, []rapport.OutboxOutcome{{Entry: es[0], Slot: "dm_receiver", Channel: "D0ROB", TS: "1772443800.000100"}}); err != nil {
		t.Fatalf("RecordOutbox: %v", err)
	}
	if ok, err := f.st.Delivered(ctx(t), team, es[0].ID); err != nil || !ok {
		t.Errorf("Delivered(first) = %v, %v; want true", ok, err)
	}
	if ok, err := f.st.Delivered(ctx(t), team, es[1].ID); err != nil || ok {
		t.Errorf("Delivered(second) = %v, %v; want false", ok, err)
	}
	ch, ts, err := f.st.Slot(ctx(t), team, r.Number, "dm_receiver")
	if err != nil || ch != "D0ROB" || ts != "1772443800.000100" {
		t.Errorf("Slot = %q, %q, %v; want D0ROB, 1772443800.000100", ch, ts, err)
	}
	if keys := f.match(t, "*sent:*"); len(keys) != 0 {
		t.Errorf("a delivery left keys of its own: %v", keys)
	}
	if n := pending(t, f); n != 1 {
		t.Errorf("outbox length after one delivery = %d, want 1", n)
	}
	if p := f.rdb.XPending(ctx(t), f.key(team, "outbox"), "senders").Val(); p.Count != 1 {
		t.Errorf("pending entries = %d, want 1 (the undelivered one)", p.Count)
	}
	// A delivery without a slot leaves the referral as it was.
	if err := f.st.RecordOutbox(ctx(t), team, []rapport.OutboxOutcome{{Entry: es[1], Channel: "D0GIA", TS: "1772443800.000200"}}); err != nil {
		t.Fatalf("RecordOutbox: %v", err)
	}
	if n := pending(t, f); n != 0 {
		t.Errorf("outbox length after both deliveries = %d, want 0", n)
	}
	got, err := f.st.Referral(ctx(t), team, r.Number)
	if err != nil || !cmp.Equal(r, got, cmpopts.IgnoreFields(rapport.Referral{}, "Posted")) {
		t.Errorf("Referral after delivery = %+v, %v; want it unchanged but for where it was posted", got, err)
	}
	if want := map[string]string{"dm_receiver": "D0ROB|1772443800.000100"}; !cmp.Equal(got.Posted, want) {
		t.Errorf("Posted = %v, want %v (only the delivery with a slot)", got.Posted, want)
	}
}

func TestReadOutboxEmpty(t *testing.T) {
	f := newFixture(t)
	for _, block := range []time.Duration{0, 20 * time.Millisecond} {
		es, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, block)
		if es != nil || err != nil {
			t.Errorf("ReadOutbox(block %v) on an empty outbox = %v, %v; want nil, nil", block, es, err)
		}
	}
}

func TestClaimStaleAndDeadLetter(t *testing.T) {
	f := newFixture(t)
	id, err := f.st.EnqueueMessage(ctx(t), team, "nudge.ack", 7, "UROB")
	if err != nil {
		t.Fatalf("EnqueueMessage: %v", err)
	}
	// c1 reads the entry and dies without settling it.
	if es, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0); err != nil || len(es) != 1 {
		t.Fatalf("ReadOutbox(c1) = %v, %v; want the entry", es, err)
	}
	if es, err := f.st.ClaimStale(ctx(t), team, "c2", time.Hour, 10); err != nil || len(es) != 0 {
		t.Fatalf("ClaimStale(1h) = %v, %v; want nothing: the entry is fresh", es, err)
	}
	var claimed []storage.OutboxEntry
	deadline := time.Now().Add(5 * time.Second)
	for len(claimed) == 0 { // idle time is the condition: wait until the entry has been idle 1 ms
		if claimed, err = f.st.ClaimStale(ctx(t), team, "c2", time.Millisecond, 10); err != nil {
			t.Fatalf("ClaimStale: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("ClaimStale never returned the abandoned entry")
		}
	}
	want := []storage.OutboxEntry{{ID: id, Kind: "nudge.ack", Ref: 7, To: "UROB",
		Fields: map[string]string{"kind": "nudge.ack", "ref": "7", "to": "UROB"}}}
	if diff := cmp.Diff(want, claimed); diff != "" {
		t.Errorf("ClaimStale (-want +got):\n%s", diff)
	}
	owners := f.rdb.XPendingExt(ctx(t), &redis.XPendingExtArgs{
		Stream: f.key(team, "outbox"), Group: "senders", Start: "-", End: "+", Count: 10,
	}).Val()
	if len(owners) != 1 || owners[0].Consumer != "c2" {
		t.Errorf("pending after claim = %+v, want the entry owned by c2", owners)
	}

	if err := f.st.RecordOutbox(ctx(t), team, []rapport.OutboxOutcome{{Entry: claimed[0], Dead: "channel_not_found"}}); err != nil {
		t.Fatalf("DeadLetter: %v", err)
	}
	if n, err := f.st.DeadCount(ctx(t), team); err != nil || n != 1 {
		t.Errorf("DeadCount = %d, %v; want 1", n, err)
	}
	if n := pending(t, f); n != 0 {
		t.Errorf("outbox length after dead-lettering = %d, want 0", n)
	}
	dead := f.rdb.XRange(ctx(t), f.key(team, "dead"), "-", "+").Val()
	if len(dead) != 1 || dead[0].Values["reason"] != "channel_not_found" || dead[0].Values["entry"] != id ||
		dead[0].Values["kind"] != "nudge.ack" || dead[0].Values["time"] == nil {
		t.Errorf("dead stream = %+v, want the entry with its reason", dead)
	}
	if es, err := f.st.ClaimStale(ctx(t), team, "c3", time.Millisecond, 10); err != nil || len(es) != 0 {
		t.Errorf("ClaimStale after dead-lettering = %v, %v; want nothing", es, err)
	}
}

// TestReadOutboxNoGroup checks that a sender recovers when the group or the whole stream is gone
// (deleted by hand, or a Redis that lost its data).
func TestReadOutboxNoGroup(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, f *fixture) error
	}{
		{"StreamDeleted", func(t *testing.T, f *fixture) error { return f.rdb.Del(ctx(t), f.key(team, "outbox")).Err() }},
		{"GroupDestroyed", func(t *testing.T, f *fixture) error {
			return f.rdb.XGroupDestroy(ctx(t), f.key(team, "outbox"), "senders").Err()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0); err != nil { // creates the group
				t.Fatalf("ReadOutbox: %v", err)
			}
			if err := tt.breakIt(t, f); err != nil {
				t.Fatal(err)
			}
			if es, err := f.st.ClaimStale(ctx(t), team, "c1", time.Millisecond, 10); err != nil || es != nil {
				t.Errorf("ClaimStale without a group = %v, %v; want nil, nil", es, err)
			}
			if _, err := f.st.EnqueueMessage(ctx(t), team, "nudge.ack", 1, "UROB"); err != nil {
				t.Fatal(err)
			}
			es, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0)
			if err != nil || len(es) != 1 {
				t.Fatalf("ReadOutbox after %s = %v, %v; want the new entry", tt.name, es, err)
			}
		})
	}
}

// TestRecordOutboxAtOnce: a delivery with its place, one no longer owed and one given up on are
// recorded in one round trip, and recording them again changes nothing.
func TestRecordOutboxAtOnce(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	if _, err := f.st.EnqueueMessage(ctx(t), team, "nudge.ack", r.Number, "UROB"); err != nil {
		t.Fatal(err)
	}
	es, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0)
	if err != nil || len(es) != 3 {
		t.Fatalf("ReadOutbox = %v, %v; want 3 entries", es, err)
	}
	outs := []rapport.OutboxOutcome{
		{Entry: es[0], Slot: "dm_receiver", Channel: "D0ROB", TS: "1772443800.000100"},
		{Entry: es[1]},
		{Entry: es[2], Dead: "channel_not_found"},
	}
	for range 2 {
		var trips redistest.RoundTrips
		f.rdb.AddHook(&trips)
		if err := f.st.RecordOutbox(ctx(t), team, outs); err != nil {
			t.Fatal(err)
		}
		if n := trips.Load(); n != 1 {
			t.Errorf("RecordOutbox of 3 took %d round trips; want 1", n)
		}
		if n := pending(t, f); n != 0 {
			t.Errorf("outbox length = %d; want 0", n)
		}
		if ch, ts, err := f.st.Slot(ctx(t), team, r.Number, "dm_receiver"); err != nil || ch != "D0ROB" || ts != "1772443800.000100" {
			t.Errorf("Slot = %q, %q, %v", ch, ts, err)
		}
		if n, err := f.st.DeadCount(ctx(t), team); err != nil || n != 1 {
			t.Errorf("DeadCount = %d, %v; want the one dead letter", n, err)
		}
	}
}
