package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage/redistest"
)

// Goals of memory per referral (issue 11): keys, TTL keys included, and bytes, all keys counted.
const (
	goalKeysPerReferral  = 6
	goalBytesPerReferral = 2048
)

// TestMemoryPerReferral runs referrals through their usual life (the form, Accept, Contacted,
// Closed business with a value; every DM delivered and recorded) and reports what Redis keeps for
// each: keys (TTL keys included) and bytes (MEMORY USAGE summed over every key of the team, the
// directory and other keys that were there before the first referral left out), by kind of key.
//
//	go test ./cmd/rapport -run TestMemoryPerReferral -v
func TestMemoryPerReferral(t *testing.T) {
	h := start(t)
	h.allow(90 * time.Second) // twelve referrals' lives, each step awaited
	before := h.teamKeys()
	const n = 12
	for i := range n {
		f := hotForm()
		f.name = fmt.Sprintf("Dana Reyes %d", i)
		f.email = fmt.Sprintf("dana%d@reyesbakery.example", i)
		f.phone = fmt.Sprintf("(480) 555-%04d", 1000+i)
		if ack := h.refer(h.alice, f); ack.ResponseAction != "" {
			t.Fatalf("referral %d refused: %s", i, pretty(ack))
		}
		h.wait("the DMs", func() bool { return len(h.bob.dms()) == i+1 && len(h.alice.dms()) == 4*i+1 && h.outboxEmpty() })
		dm := func() slackfake.Message { return h.bob.dms()[i] }
		h.tap(h.bob, dm(), "ref:accept")
		h.wait("the giver's report", func() bool { return len(h.alice.dms()) == 4*i+2 && h.outboxEmpty() })
		h.tap(h.bob, dm(), "ref:contacted")
		h.wait("the second report", func() bool { return len(h.alice.dms()) == 4*i+3 && h.outboxEmpty() })
		h.tap(h.bob, dm(), "ref:won")
		view := h.openedView(h.bob, i+1)
		ack, err := h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{
			"value": {Value: "$2,500"}, "currency": {Value: "usd"}, "note": {Value: "Thank you Alice!"},
		})
		if err != nil || decodeAck(ack).ResponseAction != "" {
			t.Fatalf("closing refused: %s, %v", ack.Payload, err)
		}
		h.wait("the closed-business report", func() bool { return len(h.alice.dms()) == 4*i+4 && h.outboxEmpty() })
	}
	if err := contains(messageText(h.alice.dms()[4*n-1]), "Closed business", "$2,500.00"); err != nil {
		t.Fatal(err)
	}

	ctx := h.ctx
	rdb := h.redis.Client(t)
	kinds := map[string]*keyKind{}
	var keys, ttlKeys, bytes int64
	// The aggregates (aggr:…) are per member and period, not per referral: they grow with the
	// members and the weeks, and a dozen referrals would carry what a year of them shares. They
	// are reported apart, not counted per referral.
	var aggrKeys, aggrBytes int64
	for k := range h.teamKeys() {
		if before[k] {
			continue
		}
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		mem, err := rdb.MemoryUsage(ctx, k, 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		name := keyKindOf(strings.TrimPrefix(k, h.prefix+":{"+slackfake.TeamID+"}:"))
		if strings.HasPrefix(name, "aggr:") {
			aggrKeys++
			aggrBytes += mem
			continue
		}
		kk := kinds[name]
		if kk == nil {
			kk = &keyKind{name: name}
			kinds[name] = kk
		}
		kk.keys++
		kk.bytes += mem
		keys++
		bytes += mem
		if ttl > 0 {
			kk.ttl = true
			ttlKeys++
		}
	}
	var rows []*keyKind
	for _, kk := range kinds {
		rows = append(rows, kk)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].bytes > rows[j].bytes })
	var b strings.Builder
	fmt.Fprintf(&b, "%d referrals: %.1f keys per referral (%.1f with a TTL), %.0f bytes per referral\n",
		n, float64(keys)/n, float64(ttlKeys)/n, float64(bytes)/n)
	for _, kk := range rows {
		ttl := ""
		if kk.ttl {
			ttl = " (TTL)"
		}
		fmt.Fprintf(&b, "  %-22s %5.2f keys/referral %7.0f bytes/referral%s\n", kk.name, float64(kk.keys)/n, float64(kk.bytes)/n, ttl)
	}
	fmt.Fprintf(&b, "  and the aggregates, per member and period: %d keys, %d bytes in all\n", aggrKeys, aggrBytes)
	t.Log(b.String())
	if per := float64(keys) / n; per > goalKeysPerReferral {
		t.Errorf("%.1f keys per referral; the goal is at most %d", per, goalKeysPerReferral)
	}
	goal := float64(goalBytesPerReferral)
	if _, cluster := rdb.(*redis.ClusterClient); cluster {
		goal += redistest.ClusterKeyBytes * float64(keys) / n
	}
	if per := float64(bytes) / n; per > goal {
		t.Errorf("%.0f bytes per referral; the goal is at most %.0f", per, goal)
	}
}

type keyKind struct {
	name        string
	keys, bytes int64
	ttl         bool
}

// word is a part of a key that names rather than identifies: "ref", "events".
var word = regexp.MustCompile(`^[a-z_]+$`)

// keyKindOf names a key by its kind, what identifies it left out: ref:12:events → ref:#:events.
func keyKindOf(k string) string {
	parts := strings.Split(k, ":")
	for i, p := range parts {
		if i > 0 && !word.MatchString(p) {
			parts[i] = "#"
		}
	}
	return strings.Join(parts, ":")
}

// teamKeys lists every key of the harness' team.
func (h *harness) teamKeys() map[string]bool {
	h.t.Helper()
	out := map[string]bool{}
	for _, k := range h.keys(":{" + slackfake.TeamID + "}:*") {
		out[k] = true
	}
	return out
}
