package storage_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage/redistest"
)

func TestCreateReferral(t *testing.T) {
	f := newFixture(t)
	d := draft(t, "UROB", "pat@prospect.example", "(480) 555-0100")
	nr := f.newReferral(team, d)
	got, replayed, err := f.st.CreateReferral(ctx(t), nr)
	if err != nil || replayed {
		t.Fatalf("CreateReferral = _, %v, %v; want a new referral", replayed, err)
	}
	want := rapport.Referral{Draft: d, Number: 1, Status: rapport.StatusNew, Created: nr.Now, Updated: nr.Now, Version: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreateReferral (-want +got):\n%s", diff)
	}
	read, err := f.st.Referral(ctx(t), team, 1)
	if err != nil {
		t.Fatalf("Referral: %v", err)
	}
	if diff := cmp.Diff(want, read); diff != "" {
		t.Errorf("Referral (-want +got):\n%s", diff)
	}
}

func TestCreateReferralNumbers(t *testing.T) {
	f := newFixture(t)
	if err := f.st.PutMembers(ctx(t), "T0002", directory); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tm := range []string{team, team, "T0002", team} {
		got = append(got, tm+" "+f.create(t, tm, draft(t, "UROB", "", "+14805550100")).ID())
	}
	want := []string{"T0001 R-1", "T0001 R-2", "T0002 R-1", "T0001 R-3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("numbers (-want +got):\n%s", diff)
	}
}

func TestCreateReferralReplay(t *testing.T) {
	f := newFixture(t)
	nr := f.newReferral(team, draft(t, "UROB", "pat@prospect.example", ""))
	first, _, err := f.st.CreateReferral(ctx(t), nr)
	if err != nil {
		t.Fatalf("CreateReferral: %v", err)
	}
	keysBefore, outboxBefore := f.keys(t), pending(t, f)

	// Slack redelivers the envelope; even a changed draft must not be saved again.
	nr.Draft.Receiver = "UOLA"
	again, replayed, err := f.st.CreateReferral(ctx(t), nr)
	if err != nil || !replayed {
		t.Fatalf("CreateReferral again = _, %v, %v; want a replay", replayed, err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("replayed referral (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(keysBefore, f.keys(t)); diff != "" {
		t.Errorf("keys after replay (-before +after):\n%s", diff)
	}
	if got := pending(t, f); got != outboxBefore {
		t.Errorf("outbox length after replay = %d, want %d", got, outboxBefore)
	}
	if seq, _ := f.rdb.Get(ctx(t), f.key(team, "seq")).Result(); seq != "1" {
		t.Errorf("seq after replay = %q, want 1", seq)
	}
}

func TestCreateReferralReceiver(t *testing.T) {
	tests := []struct {
		name, receiver, want string
	}{
		{"Unknown", "UNOBODY", "I don't know that member yet"},
		{"Bot", "UBOT", "helper is a bot; choose a member."},
		{"Deactivated", "UGONE", "gone has been deactivated"},
		{"Slackbot", rapport.SlackbotID, "Slackbot is a bot; choose a member."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, _, err := f.st.CreateReferral(ctx(t), f.newReferral(team, draft(t, tt.receiver, "pat@prospect.example", "")))
			var fe rapport.FieldErrors
			if !errors.As(err, &fe) || len(fe) != 1 || !strings.Contains(fe[rapport.FieldReceiver], tt.want) {
				t.Fatalf("CreateReferral error = %v; want FieldErrors{receiver: %q…}", err, tt.want)
			}
			if n := pending(t, f); n != 0 {
				t.Errorf("outbox length = %d after a refused referral, want 0", n)
			}
			if seq := f.rdb.Exists(ctx(t), f.key(team, "seq")).Val(); seq != 0 {
				t.Error("a refused referral took a number")
			}
		})
	}
}

func TestCreateReferralDuplicateProspect(t *testing.T) {
	const email, phone = "pat@prospect.example", "+14805550100"
	tests := []struct {
		name           string
		first, second  rapport.Draft // second's prospect contact
		allowDuplicate bool
		closeFirst     rapport.Status // set on the first referral before the second is saved
		wantTaken      bool
	}{
		{name: "SameEmailOtherReceiver", first: draft(t, "UROB", email, ""), second: draft(t, "UOLA", email, ""), wantTaken: true},
		{name: "SamePhoneOtherReceiver", first: draft(t, "UROB", "", phone), second: draft(t, "UOLA", "", "480.555.0100"), wantTaken: true},
		{name: "EmailMatchesPhoneDiffers", first: draft(t, "UROB", email, phone), second: draft(t, "UOLA", email, "+14805550199"), wantTaken: true},
		{name: "SameReceiverAgain", first: draft(t, "UROB", email, phone), second: draft(t, "UROB", email, phone)},
		{name: "AllowDuplicate", first: draft(t, "UROB", email, ""), second: draft(t, "UOLA", email, ""), allowDuplicate: true},
		{name: "OtherProspect", first: draft(t, "UROB", email, phone), second: draft(t, "UOLA", "sam@else.example", "+14805550199")},
		{name: "FirstWon", first: draft(t, "UROB", email, ""), second: draft(t, "UOLA", email, ""), closeFirst: rapport.StatusWon},
		{name: "FirstWithdrawn", first: draft(t, "UROB", "", phone), second: draft(t, "UOLA", "", phone), closeFirst: rapport.StatusWithdrawn},
		{name: "FirstAcceptedStillOpen", first: draft(t, "UROB", email, ""), second: draft(t, "UOLA", email, ""), closeFirst: rapport.StatusAccepted, wantTaken: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			first := f.create(t, team, tt.first)
			if tt.closeFirst != "" {
				if err := f.rdb.HSet(ctx(t), f.key(team, "ref:1"), "st", string(tt.closeFirst)).Err(); err != nil {
					t.Fatal(err)
				}
			}
			nr := f.newReferral(team, tt.second)
			nr.AllowDuplicate = tt.allowDuplicate
			got, _, err := f.st.CreateReferral(ctx(t), nr)
			if !tt.wantTaken {
				if err != nil || got.Number != 2 {
					t.Fatalf("CreateReferral = %s, %v; want R-2", got.ID(), err)
				}
				return
			}
			var taken *rapport.ProspectTaken
			if !errors.As(err, &taken) {
				t.Fatalf("CreateReferral error = %v; want *rapport.ProspectTaken", err)
			}
			want := &rapport.ProspectTaken{Number: first.Number, Receiver: "UROB"}
			if diff := cmp.Diff(want, taken); diff != "" {
				t.Errorf("ProspectTaken (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateReferralSameReceiverAlreadyHasIt: once the prospect is with this receiver, sending it to
// them again adds no competitor, even if another member has it too (sent anyway).
func TestCreateReferralSameReceiverAlreadyHasIt(t *testing.T) {
	const email = "pat@prospect.example"
	f := newFixture(t)
	f.create(t, team, draft(t, "UROB", email, ""))
	anyway := f.newReferral(team, draft(t, "UOLA", email, "+14805550100"))
	anyway.AllowDuplicate = true
	if _, _, err := f.st.CreateReferral(ctx(t), anyway); err != nil {
		t.Fatalf("CreateReferral (send anyway): %v", err)
	}
	if r := f.create(t, team, draft(t, "UROB", email, "+14805550100")); r.Number != 3 {
		t.Errorf("CreateReferral = %s, want R-3", r.ID())
	}
	// A fourth member is warned about the oldest open referral.
	_, _, err := f.st.CreateReferral(ctx(t), f.newReferral(team, draft(t, "UMAY", email, "")))
	var taken *rapport.ProspectTaken
	if !errors.As(err, &taken) || taken.Number != 1 || taken.Receiver != "UROB" {
		t.Errorf("CreateReferral to a fourth member error = %v, want R-1 taken by UROB", err)
	}
}

func TestCreateReferralNeedsEnvelope(t *testing.T) {
	f := newFixture(t)
	nr := f.newReferral(team, draft(t, "UROB", "pat@prospect.example", ""))
	nr.EnvelopeID = ""
	if _, _, err := f.st.CreateReferral(ctx(t), nr); err == nil {
		t.Fatal("CreateReferral without an envelope ID succeeded")
	}
}

// TestReferralSize keeps a typical referral within its memory budget of 2 KB. The aggregates
// (aggr:…) are not the referral's: they are kept per period and member, shared by all referrals.
func TestReferralSize(t *testing.T) {
	f := newFixture(t)
	f.create(t, team, draft(t, "UROB", "pat@prospect.example", "+14805550100"))
	var total, budget int64 = 0, 2048
	for _, k := range f.keys(t) {
		if strings.HasSuffix(k, ":outbox") || strings.HasSuffix(k, ":members") || strings.Contains(k, ":aggr:") {
			continue
		}
		n, err := f.rdb.MemoryUsage(ctx(t), k, 0).Result()
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", k, err)
		}
		t.Logf("%6d %s", n, k)
		total += n
		if _, cluster := f.rdb.(*redis.ClusterClient); cluster {
			budget += redistest.ClusterKeyBytes
		}
	}
	if enc := f.rdb.ObjectEncoding(ctx(t), f.key(team, "ref:1")).Val(); enc != "listpack" {
		t.Errorf("referral hash encoding = %q, want listpack (a value over 64 bytes?)", enc)
	}
	if total > budget {
		t.Errorf("one referral uses %d bytes, want ≤ %d", total, budget)
	}
}

func TestFirstAfterAck(t *testing.T) {
	f := newFixture(t)
	for i, want := range []bool{true, false} {
		first, err := f.st.FirstAfterAck(ctx(t), team, "Ev123", time.Minute)
		if err != nil || first != want {
			t.Errorf("FirstAfterAck #%d = %v, %v; want %v", i+1, first, err, want)
		}
	}
	if first, err := f.st.FirstAfterAck(ctx(t), team, "Ev124", time.Minute); err != nil || !first {
		t.Errorf("FirstAfterAck of another envelope = %v, %v; want true", first, err)
	}
	// The marks share a bucket (a hash) that expires as a whole; no envelope has a key of its own.
	keys := f.match(t, "*after:*")
	if len(keys) != 1 {
		t.Fatalf("after-ack keys = %v; want one bucket", keys)
	}
	if ttl := f.rdb.PTTL(ctx(t), keys[0]).Val(); ttl < time.Minute || ttl > time.Minute+time.Minute/24+time.Second {
		t.Errorf("bucket TTL = %v; want a minute and at most a bucket more", ttl)
	}
	// An envelope whose after-ack work ran is not mistaken for a saved referral.
	nr := f.newReferral(team, draft(t, "UROB", "pat@prospect.example", ""))
	nr.EnvelopeID = "Ev123"
	if _, replayed, err := f.st.CreateReferral(ctx(t), nr); err != nil || replayed {
		t.Errorf("CreateReferral after FirstAfterAck = _, %v, %v; want a new referral", replayed, err)
	}
}

func pending(t testing.TB, f *fixture) int64 {
	t.Helper()
	n, err := f.st.Pending(ctx(t), team)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return n
}
