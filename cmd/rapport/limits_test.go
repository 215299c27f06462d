package main

import (
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
)

// longest is n characters of what escaping lengthens most, with a channel ping in it.
func longest(n int) string {
	return string([]rune(strings.Repeat("<!channel>&<>", n/13+1))[:n])
}

// TestLongestReferralDelivered: a referral whose every typed field is as long as the form allows,
// all of it &, < and >, is accepted, and both DMs, the receiver's /refer show and /refer list
// reach Slack (the fake refuses what Slack would: nothing here passes its limits), pinging nobody.
func TestLongestReferralDelivered(t *testing.T) {
	h := start(t)
	f := hotForm()
	f.name, f.company = longest(rapport.MaxLen(rapport.FieldName)), longest(rapport.MaxLen(rapport.FieldCompany))
	f.need, f.bestTime = longest(rapport.MaxLen(rapport.FieldNeed)), longest(rapport.MaxLen(rapport.FieldBestTime))
	f.note = longest(rapport.MaxLen(rapport.FieldNote))
	if ack := h.refer(h.alice, f); ack.ResponseAction != "" {
		t.Fatalf("submission refused: %s", pretty(ack))
	}
	h.wait("the receiver's DM and the giver's confirmation", func() bool {
		return len(h.bob.dms()) >= 1 && len(h.alice.dms()) >= 1 && h.outboxEmpty()
	})
	bob := messageText(h.bob.dms()[0])
	if err := contains(bob, "R-1", "What they need", "&lt;!channel&gt;&amp;&lt;&gt;"); err != nil {
		t.Errorf("receiver DM: %v", err)
	}
	for _, m := range append(h.bob.dms(), h.alice.dms()...) {
		if strings.Contains(messageText(m), "<!channel>") {
			t.Errorf("a DM pings the channel: %s", m.Text)
		}
	}
	for _, cmd := range []string{"show R-1", "list"} {
		ack, err := h.bob.command(h.ctx, cmd)
		if err != nil {
			t.Fatalf("/refer %s: %v", cmd, err)
		}
		// The fake accepted the reply (Send fails on one Slack would refuse); it shows the referral.
		shown := strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(string(ack.Payload))
		if err := contains(shown, "R-1", "&lt;!channel&gt;"); err != nil || strings.Contains(shown, "Something went wrong") {
			t.Errorf("/refer %s replied %s (%v); want R-1 with its escaped text", cmd, ack.Payload, err)
		}
	}
}
