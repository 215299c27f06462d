package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage/redistest"
)

// maxAfterAck is the most Redis round trips one action's after-ack work may cost in all (issue
// 11): a new referral's (its DMs, the Homes) or a click's (the report, the redraws, the Homes).
// Each round trip is time a member waits for their DM or their Home.
const maxAfterAck = 6

// afterAck is what one action cost in Redis round trips, each described by its commands (and for a
// script, its keys): the action's own on the ack path, the work it owed after the ack, and what
// ran meanwhile on its own schedule (heartbeats, an empty blocked read timing out), not counted.
type afterAck struct {
	ack, after, background []string
}

func (a afterAck) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ack path %d, after the ack %d, background %d (not counted)\n", len(a.ack), len(a.after), len(a.background))
	for i, d := range a.after {
		fmt.Fprintf(&b, "  %2d %s\n", i+1, d)
	}
	for _, d := range a.background {
		fmt.Fprintf(&b, "  bg %s\n", d)
	}
	return b.String()
}

// tripMeter counts the round trips of one replica's Redis client, the harness' own reads left out.
type tripMeter struct {
	h     *harness
	trace *redistest.Trace
	base  string // the team's key base, cut from the keys shown
}

func newTripMeter(h *harness) *tripMeter {
	m := &tripMeter{h: h, trace: &redistest.Trace{}, base: h.prefix + ":{" + slackfake.TeamID + "}:"}
	h.app.rdb.AddHook(m.trace)
	return m
}

// idle reports whether the outbox holds nothing, without being counted.
func (m *tripMeter) idle() bool {
	n, err := m.h.store.Pending(redistest.Untraced(m.h.ctx), slackfake.TeamID)
	return err == nil && n == 0
}

// measure runs act (which sends one envelope and returns once it is acked), waits until delivered
// says everything the action owes reached Slack and the outbox is empty, then for the next
// heartbeat (so that nothing the action set off is still under way), and sorts the round trips
// made from the send on.
func (m *tripMeter) measure(act func(), delivered func() bool) afterAck {
	m.h.t.Helper()
	// Settings read on their own schedule (at most every 10 s): read now, so none falls in the count.
	if err := m.h.app.single.settings.Refresh(redistest.Untraced(m.h.ctx)); err != nil {
		m.h.t.Fatal(err)
	}
	began := time.Now()
	act()
	m.h.wait("the action's messages", func() bool { return delivered() && m.idle() })
	done := time.Now()
	m.h.wait("a heartbeat after the action", func() bool {
		for _, p := range m.trace.Since(done) {
			if m.sort(p) == "heartbeat" {
				return true
			}
		}
		return false
	})
	var a afterAck
	for _, p := range m.trace.Since(began) {
		d := m.describe(p)
		switch m.sort(p) {
		case "ack":
			a.ack = append(a.ack, d)
		case "after":
			a.after = append(a.after, d)
		default:
			a.background = append(a.background, m.sort(p)+": "+d)
		}
	}
	return a
}

// sort says whose a round trip is: the action's ack path (the script that saves or moves a
// referral: the only one that writes seq), work on a schedule of its own (a heartbeat, the idle
// reclaim and the touch of held entries, a blocked read that timed out with nothing, the settings'
// refresh), a new connection's handshake (go-redis opens one when more calls run at once than it
// has idle), or the action's after-ack work.
func (m *tripMeter) sort(p redistest.Trip) string {
	for i, c := range p.Cmds {
		name := strings.ToLower(c[0])
		keys := m.keysOf(c)
		switch {
		case slices.Contains(keys, "seq"):
			return "ack"
		case slices.ContainsFunc(keys, func(x string) bool { return strings.HasPrefix(x, "alive:") }):
			return "heartbeat"
		case name == "xautoclaim":
			return "reclaim"
		case name == "evalsha" && len(keys) == 1 && keys[0] == "outbox" && len(c) > 4 && c[4] == "senders":
			return "touch"
		case name == "xreadgroup":
			if n, _ := streamEntries(p.Cmders[i]); n == 0 {
				return "empty read"
			}
		case redistest.Handshake(p.Cmders[i]):
			return "dial"
		case name == "hgetall" && slices.Contains(keys, "settings"):
			return "settings"
		}
	}
	return "after"
}

// keysOf returns the keys a command names, without the team's base: a script's KEYS, a stream
// read's streams, or else its first argument.
func (m *tripMeter) keysOf(c []string) []string {
	name := strings.ToLower(c[0])
	var keys []string
	switch {
	case (name == "evalsha" || name == "eval") && len(c) > 2:
		n, _ := strconv.Atoi(c[2])
		keys = c[3:min(3+n, len(c))]
	case name == "xreadgroup":
		for i, a := range c {
			if strings.EqualFold(a, "streams") && i+1 < len(c) {
				keys = c[i+1 : i+1+(len(c)-i-1)/2]
			}
		}
	case name == "multi" || name == "exec":
	case len(c) > 1:
		keys = c[1:2]
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, m.base)
	}
	return out
}

// describe names a round trip's commands with their keys: "evalsha[given-open:UBOB …]",
// "multi hset[ref:2] xack[outbox] xdel[outbox] exec".
func (m *tripMeter) describe(p redistest.Trip) string {
	var parts []string
	for i, c := range p.Cmds {
		s := strings.ToLower(c[0])
		if keys := m.keysOf(c); len(keys) > 0 {
			s += "[" + strings.Join(keys, " ") + "]"
		}
		if n, ok := streamEntries(p.Cmders[i]); ok {
			s += fmt.Sprintf(" → %d entries", n)
		}
		parts = append(parts, s)
	}
	if p.Err != nil {
		parts = append(parts, "("+p.Err.Error()+")")
	}
	return strings.Join(parts, " ")
}

// streamEntries counts the entries a stream read returned.
func streamEntries(c redis.Cmder) (int, bool) {
	r, ok := c.(*redis.XStreamSliceCmd)
	if !ok {
		return 0, false
	}
	n := 0
	for _, st := range r.Val() {
		n += len(st.Messages)
	}
	return n, true
}

// afterAckFlow is one referral from Alice to Bob and Bob's Accept on its DM, each measured.
type afterAckFlow struct {
	h     *harness
	m     *tripMeter
	homes bool // Alice's and Bob's Homes are open: each change redraws both
	paced bool // calls take slots of Slack's rates
	n     int  // referrals made so far
}

// afterAckCase is one setting the after-ack work is measured in.
type afterAckCase struct {
	homes bool // Alice's and Bob's Homes are open
	paced bool // RAPPORT_RATE_LIMITS=slack, as in production: each call takes a slot of Slack's rate
}

func (c afterAckCase) String() string { return fmt.Sprintf("homes=%v/paced=%v", c.homes, c.paced) }

var afterAckCases = []afterAckCase{{false, false}, {true, false}, {false, true}, {true, true}}

// newAfterAckFlow starts a harness for c and warms it up with one referral and its Accept, as a
// running process is: scripts loaded, connections made. Its waits get allow in all.
func newAfterAckFlow(t testing.TB, c afterAckCase, allow time.Duration) *afterAckFlow {
	h := startEnv(t, map[string]string{"RAPPORT_RATE_LIMITS": map[bool]string{false: "off", true: "slack"}[c.paced]})
	h.allow(allow)
	f := &afterAckFlow{h: h, homes: c.homes, paced: c.paced}
	if c.homes {
		h.openHome(h.alice, "home")
		h.openHome(h.bob, "home")
		h.wait("the Homes", func() bool { return len(h.homes(h.alice)) == 1 && len(h.homes(h.bob)) == 1 && h.outboxEmpty() })
	}
	f.m = newTripMeter(h)
	f.referral()
	f.accept()
	return f
}

// quiet waits, when Homes are open or calls paced, until two seconds passed since Rapport's last
// call to Slack: Alice's and Bob's Homes may be published again (bot.HomeEvery) and Slack's budgets
// have room again (chat.update's 50 a minute refill faster than the two of each click), so that
// the count is the action's alone, not a coalesced redraw's or a rate's wait.
func (f *afterAckFlow) quiet() {
	if !f.homes && !f.paced {
		return
	}
	h := f.h
	last := func() time.Time {
		var at time.Time
		for _, method := range []string{"chat.postMessage", "chat.update", "views.publish"} {
			for _, c := range h.fake.Calls(method) {
				if c.At.After(at) {
					at = c.At
				}
			}
		}
		return at
	}
	// The fake stamps a call when it arrives; the sender counts HomeEvery from when it saw Slack's
	// answer, later by as much as a loaded machine makes it: a quarter second covers that.
	h.wait("two seconds since the last call", func() bool { return time.Since(last()) > bot.HomeEvery+250*time.Millisecond })
}

// referral submits a new referral from Alice to Bob and counts what it cost.
func (f *afterAckFlow) referral() afterAck {
	h := f.h
	f.quiet()
	f.n++
	form := hotForm()
	form.email, form.phone = fmt.Sprintf("prospect%d@example.com", f.n), ""
	view := slackfake.View{View: fmt.Appendf(nil, `{"id":"VTRIPS%d","type":"modal","callback_id":"refer"}`, f.n)}
	aliceDMs, bobDMs, aliceHomes, bobHomes := len(h.alice.dms()), len(h.bob.dms()), len(h.homes(h.alice)), len(h.homes(h.bob))
	return f.m.measure(func() {
		ack, err := h.fake.Send(h.ctx, "interactive", h.alice.submission(view, form))
		if err != nil || decodeAck(ack).ResponseAction != "" {
			h.t.Fatalf("referral refused: %s, %v", ack.Payload, err)
		}
	}, func() bool {
		return len(h.alice.dms()) == aliceDMs+1 && len(h.bob.dms()) == bobDMs+1 &&
			(!f.homes || len(h.homes(h.alice)) == aliceHomes+1 && len(h.homes(h.bob)) == bobHomes+1)
	})
}

// accept taps Accept on Bob's DM of the latest referral and counts what it cost: the report to
// Alice, both DMs redrawn, the Homes.
func (f *afterAckFlow) accept() afterAck {
	h := f.h
	f.quiet()
	bobDMs, aliceDMs := h.bob.dms(), h.alice.dms()
	dm, confirmation := bobDMs[len(bobDMs)-1], aliceDMs[len(aliceDMs)-1]
	aliceHomes, bobHomes := len(h.homes(h.alice)), len(h.homes(h.bob))
	updated := func(m slackfake.Message) int {
		for _, x := range h.fake.DMs(m.User) {
			if x.TS == m.TS {
				return x.Updated
			}
		}
		return -1
	}
	return f.m.measure(func() {
		ack, err := h.bob.click(h.ctx, dm, "ref:accept")
		if err != nil || decodeAck(ack).ResponseAction != "" {
			h.t.Fatalf("accept refused: %s, %v", ack.Payload, err)
		}
	}, func() bool {
		return len(h.alice.dms()) == len(aliceDMs)+1 && updated(dm) == dm.Updated+1 && updated(confirmation) == confirmation.Updated+1 &&
			(!f.homes || len(h.homes(h.alice)) == aliceHomes+1 && len(h.homes(h.bob)) == bobHomes+1)
	})
}

// TestAfterAckRoundTrips: a new referral's after-ack work (the receiver's DM, the giver's
// confirmation, the Homes) and an Accept's (the report to the giver, both DMs redrawn, the Homes)
// each cost at most maxAfterAck Redis round trips, with Homes open or not, paced at Slack's rates
// or not. The counts are logged with what each round trip was.
func TestAfterAckRoundTrips(t *testing.T) {
	for _, c := range afterAckCases {
		t.Run(c.String(), func(t *testing.T) {
			f := newAfterAckFlow(t, c, time.Minute)
			for _, step := range []struct {
				name string
				run  func() afterAck
			}{{"referral", f.referral}, {"accept", f.accept}} {
				a := step.run()
				t.Logf("%s: %s", step.name, a)
				if len(a.ack) != 1 {
					t.Errorf("%s: %d round trips on the ack path; want the one script", step.name, len(a.ack))
				}
				if len(a.after) > maxAfterAck {
					t.Errorf("%s: %d round trips after the ack; want at most %d", step.name, len(a.after), maxAfterAck)
				}
			}
		})
	}
}

// BenchmarkAfterAck reports the Redis round trips of a referral's after-ack work and of an
// Accept's, with the giver's and the receiver's Homes closed and open, paced at Slack's rates or
// not (each op: one referral and its Accept; with Homes or pacing, two seconds pass between
// actions, so -benchtime 5x is plenty).
func BenchmarkAfterAck(b *testing.B) {
	for _, c := range afterAckCases {
		b.Run(c.String(), func(b *testing.B) {
			f := newAfterAckFlow(b, c, 30*time.Minute) // b.Loop's count is not known before it: -timeout bounds the run
			var referral, accept int
			for b.Loop() {
				referral += len(f.referral().after)
				accept += len(f.accept().after)
			}
			b.ReportMetric(float64(referral)/float64(b.N), "round-trips/referral")
			b.ReportMetric(float64(accept)/float64(b.N), "round-trips/click")
		})
	}
}
