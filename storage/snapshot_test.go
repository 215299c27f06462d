package storage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage/redistest"
)

// TestSnapshot: a snapshot reads referrals and Homes as Timeline and HomeData read them, each with
// its own error (a referral that does not exist), in one round trip, also when Redis lost its
// scripts (a restart).
func TestSnapshot(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	r1 := f.create(t, team, draft(t, "UROB", "a@x.example", ""))
	r2 := f.create(t, team, draftFrom(t, "UROB", "UMAY", "b@x.example", ""))
	if _, err := f.st.Move(c, rapport.Move{Team: team, Ref: r1.Number, Actor: "UROB", Action: rapport.ActAccept,
		Role: rapport.RoleReceiver, Now: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.OpenedHome(c, team, "UROB", "home", now); err != nil {
		t.Fatal(err)
	}
	month, _ := rapport.PeriodOf("month", now, time.UTC)
	refs, homes := []int64{r1.Number, r2.Number, 99}, []string{"UROB", "UMAY"}
	want := rapport.Snapshot{Timelines: map[int64]rapport.TimelineRead{}, Homes: map[string]rapport.HomeRead{}}
	for _, n := range refs {
		ref, evs, err := f.st.Timeline(c, team, n)
		want.Timelines[n] = rapport.TimelineRead{Referral: ref, Events: evs, Err: err}
	}
	for _, u := range homes {
		d, err := f.st.HomeData(c, team, u, month)
		want.Homes[u] = rapport.HomeRead{Data: d, Err: err}
	}
	if err := f.st.SetAsk(c, team, "UMAY", "Introductions to bakeries", now); err != nil {
		t.Fatal(err)
	}
	want.AsksRead = true
	want.Asks, want.AsksErr = f.st.AsksOfReceivers(c, team)
	if want.Timelines[99].Err == nil || !want.Homes["UROB"].Data.Opened || want.Homes["UMAY"].Data.Opened || want.AsksErr != nil {
		t.Fatalf("fixture: %+v", want)
	}
	if _, err := f.st.Snapshot(c, team, refs, homes, month, true); err != nil { // a connection open, as a running process has
		t.Fatal(err)
	}
	for _, flush := range []bool{false, true} {
		if flush {
			if err := f.rdb.ScriptFlush(c).Err(); err != nil {
				t.Fatal(err)
			}
		}
		var trips redistest.RoundTrips
		f.rdb.AddHook(&trips)
		got, err := f.st.Snapshot(c, team, refs, homes, month, true)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) })); diff != "" {
			t.Errorf("Snapshot (scripts flushed: %v) (-want +got):\n%s", flush, diff)
		}
		if n, max := trips.Load(), map[bool]int64{false: 1, true: 4}[flush]; n > max { // flushed: read, load two scripts, read
			t.Errorf("Snapshot (scripts flushed: %v) took %d round trips; want %d", flush, n, max)
		}
	}
}
