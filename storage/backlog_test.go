package storage_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

// TestBacklog reads what the outboxes owe: the messages not yet settled, read or not, of every
// team asked for, and the oldest one's queueing time from its stream ID.
func TestBacklog(t *testing.T) {
	f := newFixture(t)
	if b, err := f.st.Backlog(ctx(t), []string{team}); err != nil || b.Pending != 0 || !b.Oldest.IsZero() {
		t.Fatalf("empty outbox: %+v, %v; want nothing owed", b, err)
	}
	first, err := f.st.EnqueueMessage(ctx(t), team, "k", 0, "U1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.EnqueueMessage(ctx(t), "T0OTHER", "k", 0, "U2"); err != nil {
		t.Fatal(err)
	}
	second, err := f.st.EnqueueMessage(ctx(t), team, "k", 0, "U3")
	if err != nil {
		t.Fatal(err)
	}
	es, err := f.st.ReadOutbox(ctx(t), team, "c1", 1, 0) // read but not settled: still owed
	if err != nil || len(es) != 1 || es[0].ID != first {
		t.Fatalf("ReadOutbox: %v, %v", es, err)
	}
	b, err := f.st.Backlog(ctx(t), []string{team, "T0OTHER"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Pending != 3 || !b.Oldest.Equal(idTime(t, first)) {
		t.Errorf("backlog %+v; want 3 owed, the oldest queued at %v", b, idTime(t, first))
	}
	if err := f.st.RecordOutbox(ctx(t), team, []rapport.OutboxOutcome{{Entry: es[0]}}); err != nil {
		t.Fatal(err)
	}
	if b, err := f.st.Backlog(ctx(t), []string{team}); err != nil || b.Pending != 1 || !b.Oldest.Equal(idTime(t, second)) {
		t.Errorf("after the first was settled: %+v, %v; want 1 owed, queued at %v", b, err, idTime(t, second))
	}
}

// idTime is when Redis queued the stream entry id: its milliseconds part.
func idTime(t *testing.T, id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		t.Fatalf("entry ID %q", id)
	}
	return time.UnixMilli(n)
}
