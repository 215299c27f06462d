package main

import (
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// aggrKeys are the aggregates of the harness' workspace and their mark: what an install from
// before the aggregates lacks.
func (h *harness) aggrKeys() []string {
	return append(h.keys(":{"+slackfake.TeamID+"}:aggr:*"), h.keys(":{"+slackfake.TeamID+"}:migrated:aggr")...)
}

// aggrMark is the time zone the aggregates were last built in, "" when never (the mark is the
// layout, a space, and the zone).
func (h *harness) aggrMark() string {
	ks := h.keys(":{" + slackfake.TeamID + "}:migrated:aggr")
	if len(ks) == 0 {
		return ""
	}
	_, zone, _ := strings.Cut(h.redis.Client(h.t).Get(h.ctx, ks[0]).Val(), " ")
	return zone
}

// An install upgraded from a version without aggregates: the numbers are rebuilt when the new
// version starts, beside a replica already running, with no command to run.
func TestNumbersRebuiltAtStart(t *testing.T) {
	h := start(t)
	if got := h.aggrMark(); got != "UTC" {
		t.Fatalf("a new store's aggregates are marked built in %q; want UTC at once", got)
	}
	h.referred()
	h.closeWon(h.bob, "R-1", "2500", 0)
	h.wait("the outbox to drain", h.outboxEmpty)
	const given, closed = "1. <@UALICE>: *1* hot · 0 warm · 0 leads", "1. <@UALICE>: 1 referral closed ($2,500.00)"
	if err := contains(h.say(h.dave, "leaderboard"), given, closed); err != nil {
		t.Fatal(err)
	}

	// The state of an install from before the aggregates: referrals, and no numbers kept.
	if err := h.redis.Client(t).Del(h.ctx, h.aggrKeys()...).Err(); err != nil {
		t.Fatal(err)
	}
	if board := h.say(h.dave, "leaderboard"); strings.Contains(board, "<@UALICE>") {
		t.Fatalf("the board still counts Alice with its aggregates gone:\n%s", board)
	}

	h.replicas = append(h.replicas, h.spawn(len(h.replicas))) // the upgraded version starts beside the running one
	h.wait("the numbers rebuilt", func() bool { return h.aggrMark() == "UTC" })
	if err := contains(h.say(h.dave, "leaderboard"), given, closed); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "stats"), "Given: *1*: *1 hot* (qualified)", "Business their referrals brought others: *1* ($2,500.00)"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.bob, "stats"), "Received: *1*", "Closed: *1* ($2,500.00)"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "ledger"), "<@UBOB>: you gave 1, received 0"); err != nil {
		t.Error(err)
	}

	// Numbers kept from then on, as referrals move.
	h.refer(h.carol, form{receiver: "UALICE", name: "Pat Lee", company: "Lee Roofing", phone: "(480) 555-0199", need: "Solar panels", spoke: true})
	h.wait("the outbox to drain", h.outboxEmpty)
	if err := contains(h.say(h.dave, "leaderboard"), "<@UCAROL>: *"); err != nil {
		t.Error(err)
	}
}

// A change of the group's time zone rebuilds the numbers in the new zone's weeks and months after
// the next sweep (whose "aggregates" job wakes keepAggregates).
func TestNumbersRebuiltInNewZone(t *testing.T) {
	h := start(t)
	h.referred()
	h.wait("the outbox to drain", h.outboxEmpty)
	values := h.app.single.settings.Snapshot().Values()
	values[rapport.SetTimeZone] = "America/Phoenix"
	if _, err := h.app.single.settings.Save(h.ctx, "Ezone", "UDAVE", values); err != nil {
		t.Fatal(err)
	}
	h.app.single.wakeAggregates() // what the sweep's "aggregates" job does after every sweep
	h.wait("the numbers rebuilt in the new zone", func() bool { return h.aggrMark() == "America/Phoenix" })
	if err := contains(h.say(h.dave, "leaderboard"), "1. <@UALICE>: *1* hot · 0 warm · 0 leads"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.bob, "stats"), "Received: *1*"); err != nil {
		t.Error(err)
	}
}

// An install upgraded from a version without the members' open indexes: the new version fills
// them at start, so /refer list and the Home show the referrals still open, and not the closed.
func TestOpenListsBackfilledAtStart(t *testing.T) {
	h := start(t)
	h.referred() // R-1, open
	f := hotForm()
	f.name, f.company, f.phone, f.email = "Lee Park", "Park Dental", "(480) 555-0177", "lee@parkdental.example"
	h.refer(h.alice, f) // R-2, closed below
	h.wait("both DMs", func() bool { return len(h.bob.dms()) == 2 && h.outboxEmpty() })
	h.closeWon(h.bob, "R-2", "1000", 0)
	h.wait("the outbox to drain", h.outboxEmpty)

	rdb := h.redis.Client(t)
	var old []string
	for _, pat := range []string{":*:given-open:*", ":*:received-open:*", ":*:migrated:open"} {
		old = append(old, h.keys(pat)...)
	}
	if len(old) != 3 {
		t.Fatalf("open indexes and mark %v; want Alice's, Bob's and the mark", old)
	}
	if err := rdb.Del(h.ctx, old...).Err(); err != nil {
		t.Fatal(err)
	}
	if list := h.say(h.bob, "list"); strings.Contains(list, "R-1") {
		t.Fatalf("the list shows R-1 with the index gone:\n%s", list)
	}

	h.replicas = append(h.replicas, h.spawn(len(h.replicas))) // the upgraded version starts
	h.wait("the open indexes filled", func() bool { return rdb.Exists(h.ctx, old...).Val() == 3 })
	for _, p := range []person{h.alice, h.bob} {
		list := h.say(p, "list")
		if err := contains(list, "R-1"); err != nil {
			t.Error(err)
		}
		if strings.Contains(list, "R-2") {
			t.Errorf("the list of %s shows the closed R-2:\n%s", p.id, list)
		}
	}
	h.openHome(h.bob, "home")
	text := unjson(h.home(h.bob, 1).View)
	if err := contains(text, "R-1", "from <@UALICE>", `"action_id":"ref:accept"`); err != nil {
		t.Error(err)
	}
	if strings.Contains(text, "R-2") {
		t.Errorf("Bob's Home lists the closed R-2:\n%s", text)
	}
}
