package main

import (
	"strings"
	"testing"
)

// TestHTTPModeReferralLoop: with RAPPORT_MODE=http, Slack's signed requests drive the same loop as
// Socket Mode: the form opens and saves, both members are DMed, the close earns its thank-you,
// and no socket is ever opened. (RAPPORT_TEST_MODE=http runs every end-to-end test this way.)
func TestHTTPModeReferralLoop(t *testing.T) {
	h := startEnv(t, map[string]string{"RAPPORT_MODE": "http"})
	h.referred()
	h.closeWon(h.bob, "R-1", "2500", 0)
	h.wait("the thank-you", func() bool {
		for _, m := range h.fake.Messages() {
			if m.Channel == h.app.single.settings.Snapshot().RecognitionChannel && strings.Contains(messageText(m), "<@UALICE>") {
				return true
			}
		}
		return false
	})
	if got := h.say(h.alice, "stats"); !strings.Contains(got, "$2,500") {
		t.Errorf("/refer stats over HTTP = %s; want the closed $2,500", got)
	}
	if n := len(h.fake.Calls("apps.connections.open")); n != 0 {
		t.Errorf("HTTP mode opened %d sockets; want none", n)
	}
}
