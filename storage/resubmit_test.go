package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// TestCreateReferralSameForm: the same form submitted again (a new envelope, the same view) saves
// nothing new and returns the referral the first submission saved; another form is another
// referral.
func TestCreateReferralSameForm(t *testing.T) {
	f := newFixture(t)
	nr := f.newReferral(team, draft(t, "UROB", "pat@prospect.example", ""))
	nr.ViewID = "V0001"
	first, _, err := f.st.CreateReferral(ctx(t), nr)
	if err != nil {
		t.Fatalf("CreateReferral: %v", err)
	}
	keysBefore, outboxBefore := f.keys(t), pending(t, f)

	again := f.newReferral(team, draft(t, "UROB", "pat@prospect.example", ""))
	again.ViewID = nr.ViewID
	got, replayed, err := f.st.CreateReferral(ctx(t), again)
	if err != nil || !replayed {
		t.Fatalf("CreateReferral of the same form = _, %v, %v; want the saved referral", replayed, err)
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("referral of the same form (-first +again):\n%s", diff)
	}
	if diff := cmp.Diff(keysBefore, f.keys(t)); diff != "" {
		t.Errorf("keys after the same form (-before +after):\n%s", diff)
	}
	if n := pending(t, f); n != outboxBefore {
		t.Errorf("outbox length after the same form = %d, want %d", n, outboxBefore)
	}

	other := f.newReferral(team, draft(t, "UROB", "pat@prospect.example", ""))
	other.ViewID = "V0002"
	if r, replayed, err := f.st.CreateReferral(ctx(t), other); err != nil || replayed || r.Number != 2 {
		t.Errorf("CreateReferral of another form = %s, %v, %v; want R-2", r.ID(), replayed, err)
	}
}

// TestCreateReferralReplyLost: a save whose reply comes after its deadline is in doubt (never "not
// saved": the script ran), and the same form submitted again returns that referral: one referral,
// its messages queued once.
func TestCreateReferralReplyLost(t *testing.T) {
	srv := redistest.Start(t)
	proxy := redistest.StartProxy(t, srv.Addr())
	st := storage.New(proxy.Client(t), storage.WithPrefix(srv.Prefix(t)))
	if err := st.PutMembers(ctx(t), team, directory); err != nil {
		t.Fatal(err)
	}
	save := func(envelope, view string, deadline time.Duration) (rapport.Referral, bool, error) {
		c, cancel := context.WithTimeout(t.Context(), deadline)
		defer cancel()
		return st.CreateReferral(c, storage.NewReferral{Team: team, EnvelopeID: envelope, ViewID: view,
			Draft: draft(t, "UROB", "pat@prospect.example", ""), Now: now, Notify: dms})
	}
	// A first save loads the script, so the held one below runs it rather than answering NOSCRIPT.
	if _, _, err := save("env-0", "V0000", time.Second); err != nil {
		t.Fatalf("first save: %v", err)
	}

	proxy.HoldReplies(time.Second)
	start := time.Now()
	_, _, err := save("env-1", "V0001", 300*time.Millisecond)
	if code := rapport.ErrorCode(err); code != rapport.EINDOUBT {
		t.Fatalf("save whose reply is held = %v (code %s); want %s", err, code, rapport.EINDOUBT)
	}
	// It gave up at its own deadline, not when the held reply came (after 1 s).
	if took := time.Since(start); took >= time.Second {
		t.Errorf("save whose reply is held failed after %v; want it at its 300 ms deadline, before the reply", took)
	}

	proxy.HoldReplies(0)
	r, replayed, err := save("env-2", "V0001", time.Second)
	if err != nil || !replayed || r.Number != 2 {
		t.Fatalf("the same form again = %s, replayed %v, %v; want R-2 as saved by the first", r.ID(), replayed, err)
	}
	if n, err := st.Pending(ctx(t), team); err != nil || n != 2*int64(len(dms)) {
		t.Errorf("outbox holds %d entries (%v); want %d: each referral's messages once", n, err, 2*len(dms))
	}
	given, _, err := st.OpenReferrals(ctx(t), team, "UGIA", 10)
	if err != nil || len(given) != 2 {
		t.Errorf("UGIA gave %d referrals (%v), want 2", len(given), err)
	}
}
