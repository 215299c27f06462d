package main

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot/slackfake"
)

// TestTwoWorkspacesSideBySide (issue 12): one process, HTTP mode, two workspaces installed by OAuth.
// Each refers, is nudged and gets its digest in its own workspace, with its own token; when one
// uninstalls, its work stops and the other's goes on.
func TestTwoWorkspacesSideBySide(t *testing.T) {
	h, second := startTwoWorkspaces(t)
	erika, finn := person{second, "UERIKA"}, person{second, "UFINN"}
	pending := h.pendingIn

	// A referral in each.
	t0 := time.Now()
	h.referred()
	f := hotForm()
	f.receiver = "UFINN"
	if ack := h.refer(erika, f); ack.ResponseAction != "" {
		t.Fatalf("Erika's referral refused: %s", pretty(ack))
	}
	h.wait("Finn's and Erika's DMs", func() bool { return len(finn.dms()) == 1 && len(erika.dms()) == 1 && pending(second.ID()) == 0 })
	// Each member's DMs came through their own workspace, so with its own bot token.
	first := h.fake.Workspace(slackfake.TeamID)
	if n := len(first.DMs("UFINN")) + len(second.DMs("UBOB")); n != 0 {
		t.Errorf("%d DMs crossed workspaces; want none", n)
	}

	// A day later, each receiver is nudged by their own workspace's sweep.
	for _, team := range []string{slackfake.TeamID, second.ID()} {
		w := h.app.spaces.get(team)
		if w == nil {
			t.Fatalf("workspace %s is not served", team)
		}
		if _, err := w.sched.Tick(h.ctx, t0.Add(25*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	h.wait("both nudges", func() bool {
		return len(h.bob.dms()) == 2 && len(finn.dms()) == 2 && h.outboxEmpty() && pending(second.ID()) == 0
	})

	// Each workspace's digest, in its own channel, names its own members only.
	monday, _ := cron.ParseStandard("0 9 * * 1")
	at := monday.Next(time.Now().UTC())
	for _, team := range []string{slackfake.TeamID, second.ID()} {
		if err := h.app.spaces.get(team).catalogue.RunDigest(h.ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	digest := func(ws *slackfake.Workspace) string {
		for _, m := range ws.Messages() {
			if m.Channel == slackfake.GeneralChannelID && strings.Contains(m.Text+string(m.Blocks), "week") {
				return messageText(m)
			}
		}
		return ""
	}
	h.wait("both digests", func() bool { return digest(first) != "" && digest(second) != "" })
	if d := digest(first); !strings.Contains(d, "<@UALICE>") || strings.Contains(d, "UERIKA") {
		t.Errorf("the first workspace's digest does not name Alice alone:\n%s", d)
	}
	if d := digest(second); !strings.Contains(d, "<@UERIKA>") || strings.Contains(d, "UALICE") {
		t.Errorf("the second workspace's digest does not name Erika alone:\n%s", d)
	}

	// The second workspace uninstalls: its work stops; the first's goes on.
	if _, err := h.fake.Send(h.ctx, "events_api", second.AppUninstalled()); err != nil {
		t.Fatal(err)
	}
	h.wait("the second workspace no longer served", func() bool { return h.app.spaces.get(second.ID()) == nil })
	if ack, err := erika.command(h.ctx, ""); err != nil || ack.Payload != nil {
		t.Errorf("a command from the uninstalled workspace: ack %s, %v; want a bare ack", ack.Payload, err)
	}
	lead := form{receiver: "UDAVE", name: "Sam Patel", phone: "480-555-0199", need: "A will"}
	if ack := h.refer(h.carol, lead); ack.ResponseAction != "" {
		t.Fatalf("the first workspace refused a referral after the second uninstalled: %s", pretty(ack))
	}
	h.wait("Dave's DM", func() bool {
		for _, m := range h.dave.dms() {
			if strings.Contains(messageText(m), "Sam Patel") {
				return true
			}
		}
		return false
	})
}

// startTwoWorkspaces is a Rapport in HTTP mode with the OAuth install, installed in the fake's own
// workspace (by Dave) and in a second one (by Gwen, an admin there, with Erika and Finn), both
// welcomed. Erika and Finn count as welcomed to Rapport already.
func startTwoWorkspaces(t *testing.T) (*harness, *slackfake.Workspace) {
	t.Helper()
	h, base := startInstallable(t)
	h.allow(45 * time.Second)
	second := h.fake.AddWorkspace("T0SECOND", "Second Chapter",
		demoUser("UERIKA", "Erika Stone", "Europe/London"), demoUser("UFINN", "Finn Walsh", "Europe/London"),
		slack.User{ID: "UGWEN", Name: "gwen", RealName: "Gwen Hart", TZ: "Europe/London", IsAdmin: true,
			Profile: slack.UserProfile{RealName: "Gwen Hart", DisplayName: "Gwen Hart"}})
	if err := h.store.MarkWelcomed(h.ctx, second.ID(), "UERIKA", "UFINN"); err != nil {
		t.Fatal(err)
	}
	welcomed := func(p person) func() bool {
		return func() bool {
			for _, m := range p.dms() {
				if strings.Contains(m.Text, "Rapport is installed") {
					return true
				}
			}
			return false
		}
	}
	h.fake.Consent(slackfake.Consent{User: "UDAVE"})
	h.installFromBrowser(base)
	h.fake.Consent(slackfake.Consent{Team: second.ID(), User: "UGWEN"})
	h.installFromBrowser(base)
	h.wait("Dave's welcome", welcomed(h.dave))
	h.wait("Gwen's welcome", welcomed(person{second, "UGWEN"}))
	return h, second
}

// pendingIn is how many messages team's outbox still owes (-1 when Redis does not say).
func (h *harness) pendingIn(team string) int64 {
	n, err := h.store.Pending(h.ctx, team)
	if err != nil {
		return -1
	}
	return n
}

// TestOneWorkspaceThrottledHoldsUpNoOther (issue 12, fair delivery): while Slack answers 429 to a
// workspace's DMs, another workspace's referral is delivered as fast as ever; the throttled one's
// DM goes once Slack's Retry-After has passed.
func TestOneWorkspaceThrottledHoldsUpNoOther(t *testing.T) {
	h, second := startTwoWorkspaces(t)
	erika, finn := person{second, "UERIKA"}, person{second, "UFINN"}
	second.RateLimitNext("chat.postMessage", 4*time.Second, 1)
	f := hotForm()
	f.receiver = "UFINN"
	if ack := h.refer(erika, f); ack.ResponseAction != "" {
		t.Fatalf("Erika's referral refused: %s", pretty(ack))
	}
	h.wait("the second workspace throttled", func() bool { return len(second.Calls("chat.postMessage")) >= 1 })
	// The first workspace's referral goes while the second still owes its DM.
	h.referred()
	if n := h.pendingIn(second.ID()); n < 1 {
		t.Errorf("the second workspace owes %d messages once the first's were delivered; want its throttled DM still owed", n)
	}
	h.wait("the throttled DMs once Retry-After passed", func() bool {
		return len(finn.dms()) == 1 && len(erika.dms()) == 1 && h.pendingIn(second.ID()) == 0
	})
}
