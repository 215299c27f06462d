package storage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

// TestDeadLettersSendAgain: admins see the newest dead letters with their reasons, and what they
// send again is back in the outbox as it was, once; all of one reason however many there are.
func TestDeadLettersSendAgain(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	bury := func(kind, to, reason string) {
		t.Helper()
		if _, err := f.st.EnqueueMessage(c, team, kind, 7, to); err != nil {
			t.Fatal(err)
		}
		es, err := f.st.ReadOutbox(c, team, "c1", 1, 0)
		if err != nil || len(es) != 1 {
			t.Fatalf("ReadOutbox = %v, %v", es, err)
		}
		if err := f.st.RecordOutbox(c, team, []rapport.OutboxOutcome{{Entry: es[0], Dead: reason}}); err != nil {
			t.Fatal(err)
		}
	}
	bury("referral.received", "UROB", "channel_not_found")
	bury("referral.shoutout", "C0WINS", "not_in_channel")
	for range 450 {
		bury("nudge.ack", "UROB", "retries_exhausted:internal_error")
	}

	newest, total, err := f.st.DeadLetters(c, team, 3)
	if err != nil {
		t.Fatal(err)
	}
	if total != 452 || len(newest) != 3 || newest[0].Kind != "nudge.ack" || newest[0].Reason != "retries_exhausted:internal_error" ||
		newest[0].Ref != 7 || newest[0].To != "UROB" || time.Since(newest[0].At) > time.Minute {
		t.Fatalf("DeadLetters = %+v, %d; want the 3 newest of 452", newest, total)
	}
	all, _, err := f.st.DeadLetters(c, team, 1000)
	if err != nil {
		t.Fatal(err)
	}
	shout := all[len(all)-2]
	if shout.Reason != "not_in_channel" {
		t.Fatalf("second oldest = %+v", shout)
	}

	// One, then the same again: it is sent again once.
	for range 2 {
		if _, err := f.st.Resend(c, team, shout.ID); err != nil {
			t.Fatal(err)
		}
	}
	es, err := f.st.ReadOutbox(c, team, "c1", 10, 0)
	if err != nil || len(es) != 1 || es[0].Kind != "referral.shoutout" || es[0].To != "C0WINS" || es[0].Ref != 7 {
		t.Fatalf("outbox after Resend = %+v, %v; want the shout-out back, once", es, err)
	}
	if _, ok := es[0].Fields["reason"]; ok {
		t.Errorf("the resent entry carries its dead letter's reason: %v", es[0].Fields)
	}

	n, err := f.st.ResendReason(c, team, "retries_exhausted:internal_error")
	if err != nil || n != 450 {
		t.Fatalf("ResendReason = %d, %v; want 450", n, err)
	}
	left, total, err := f.st.DeadLetters(c, team, 10)
	if err != nil || total != 1 || len(left) != 1 || left[0].Reason != "channel_not_found" {
		t.Errorf("dead letters left = %+v (%d), %v; want the channel_not_found one", left, total, err)
	}
	if p, err := f.st.Pending(c, team); err != nil || p != 451 {
		t.Errorf("outbox holds %d, %v; want 451", p, fmt.Sprint(err))
	}
}
