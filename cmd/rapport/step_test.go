package main

import (
	"maps"
	"strings"
	"testing"

	"github.com/rapportbot/rapport/bot/slackfake"
)

// stepInputs are the inputs of a run of the Workflow Builder step "Record a referral" that
// records hotForm's referral, from Alice to Bob.
func stepInputs() map[string]any {
	return map[string]any{"giver": "UALICE", "receiver": "UBOB", "prospect": "Dana Reyes",
		"contact": "(480) 555-0142", "need": "A new roof before the monsoon", "spoke": true, "may_share": true, "expects": true,
		"company": "Reyes & Sons", "best_time": "Mornings, by phone", "note": "She expects your call *today*"}
}

// runStep sends the function_executed event of a new run of the step with inputs, and returns
// the run's ID and the event.
func (h *harness) runStep(inputs map[string]any) (string, map[string]any) {
	h.t.Helper()
	ev := h.fake.FunctionExecuted("record_referral", inputs)
	if _, err := h.fake.Send(h.ctx, "events_api", ev); err != nil {
		h.t.Fatal(err)
	}
	return slackfake.FunctionExecutionID(ev), ev
}

// completion is how the run was completed, once it was.
func (h *harness) completion(run string) (slackfake.Completion, bool) {
	for _, c := range h.fake.Completions() {
		if c.ExecutionID == run {
			return c, true
		}
	}
	return slackfake.Completion{}, false
}

// TestWorkflowStepRecordsReferral: a run of the step saves a referral as the form does (the
// receiver's DM with the contact, the giver's confirmation) and completes with its number; Slack
// delivering the run again, as the same event or another, saves nothing more and completes nothing
// again.
func TestWorkflowStepRecordsReferral(t *testing.T) {
	h := start(t)
	run, ev := h.runStep(stepInputs())
	h.wait("the run's completion and both DMs", func() bool {
		_, done := h.completion(run)
		return done && len(h.bob.dms()) == 1 && len(h.alice.dms()) == 1 && h.outboxEmpty()
	})
	if c, _ := h.completion(run); c.Error != "" || c.Outputs["referral"] != "R-1" || len(c.Outputs) != 1 {
		t.Errorf("completion = %+v; want success with referral R-1", c)
	}
	if err := contains(messageText(h.bob.dms()[0]), "R-1", "<@UALICE>", "Dana Reyes", "+1 480-555-0142",
		"A new roof before the monsoon", "Hot referral", "Reyes &amp; Sons", "Mornings, by phone", "She expects your call *today*"); err != nil {
		t.Errorf("receiver DM: %v", err)
	}
	if err := contains(messageText(h.alice.dms()[0]), "R-1", "<@UBOB>", "Dana Reyes", "hot referral"); err != nil {
		t.Errorf("giver confirmation: %v", err)
	}

	// Redelivered: the same event (Slack's retry), then the run under another event ID.
	if _, err := h.fake.SendEnvelope(h.ctx, slackfake.Envelope{Type: "events_api", Payload: ev, RetryAttempt: 1,
		RetryReason: "timeout"}); err != nil {
		t.Fatal(err)
	}
	other := maps.Clone(ev)
	other["event_id"] = "Ev9999999999"
	if _, err := h.fake.Send(h.ctx, "events_api", other); err != nil {
		t.Fatal(err)
	}
	h.wait("the outbox to drain", h.outboxEmpty)
	if n := len(h.fake.Calls("functions.completeSuccess")) + len(h.fake.Calls("functions.completeError")); n != 1 {
		t.Errorf("%d completions sent for one run; want 1", n)
	}
	if b, a := len(h.bob.dms()), len(h.alice.dms()); b != 1 || a != 1 {
		t.Errorf("Bob got %d DMs, Alice %d; want 1 each", b, a)
	}
	given, _, err := h.store.OpenReferrals(h.ctx, slackfake.TeamID, "UALICE", 10)
	if err != nil || len(given) != 1 {
		t.Errorf("Alice has %d referrals (err %v); want 1", len(given), err)
	}

	// A second run is a second referral.
	inputs := stepInputs()
	inputs["receiver"], inputs["prospect"], inputs["contact"], inputs["may_share"] = "UCAROL", "Sam Patel", "sam@patel.example", false
	second, _ := h.runStep(inputs)
	h.wait("the second run's completion", func() bool { _, done := h.completion(second); return done })
	if c, _ := h.completion(second); c.Outputs["referral"] != "R-2" {
		t.Errorf("second run's completion = %+v; want R-2", c)
	}
}

// TestWorkflowStepRefusesBadInputs: a run whose inputs the form would refuse records nothing and
// completes with an error that names the input to fix, never its value; so does a prospect another
// member has, which the form would ask about (rule 8).
func TestWorkflowStepRefusesBadInputs(t *testing.T) {
	h := start(t)
	tests := []struct {
		name string
		edit func(map[string]any)
		says string
	}{
		{"ErrUnknownReceiver", func(in map[string]any) { in["receiver"] = "UNOBODY" }, "Receiver: I don't know that member yet"},
		{"ErrSelfReferral", func(in map[string]any) { in["receiver"] = "UALICE" }, "Receiver: The giver and the receiver are the same member"},
		{"ErrBotGiver", func(in map[string]any) { in["giver"] = slackfake.BotUserID }, "Giver: Rapport is a bot"},
		{"ErrNoGiver", func(in map[string]any) { delete(in, "giver") }, "Giver: Choose the member who gives this referral."},
		{"ErrNoProspect", func(in map[string]any) { delete(in, "prospect") }, "Prospect: Give the prospect's name."},
		{"ErrNoContact", func(in map[string]any) { in["contact"] = " " }, "Prospect's phone or email: Phone or email: give at least one"},
		{"ErrBadPhone", func(in map[string]any) { in["contact"] = "call the bakery 555-0142" }, "Prospect's phone or email: That doesn't look like a phone number"},
		{"ErrBadEmail", func(in map[string]any) { in["contact"] = "dana@@reyesbakery.example" }, "Prospect's phone or email: That doesn't look like an email address"},
		{"ErrLongNote", func(in map[string]any) { in["note"] = strings.Repeat("word ", 201) }, "Note to the receiver: "},
		{"ErrLongCompany", func(in map[string]any) { in["company"] = strings.Repeat("&", 101) }, "Company: "},
		{"ErrTwoProblems", func(in map[string]any) { delete(in, "prospect"); in["need"] = "" },
			"Prospect: Give the prospect's name. What they need: Say what the prospect needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := stepInputs()
			tt.edit(in)
			run, _ := h.runStep(in)
			h.wait("the run's completion", func() bool { _, done := h.completion(run); return done })
			c, _ := h.completion(run)
			if !strings.HasPrefix(c.Error, "Rapport did not record the referral. ") || !strings.Contains(c.Error, tt.says) || c.Outputs != nil {
				t.Errorf("completion = %+v; want an error saying %q", c, tt.says)
			}
			for _, secret := range []string{"555-0142", "dana@"} {
				if strings.Contains(c.Error, secret) {
					t.Errorf("the error carries the prospect's contact: %q", c.Error)
				}
			}
		})
	}
	h.wait("the outbox to drain", h.outboxEmpty)
	if n := len(h.fake.Calls("functions.completeSuccess")); n != 0 {
		t.Errorf("%d runs completed as recorded; want none", n)
	}
	if b, a := len(h.bob.dms()), len(h.alice.dms()); b != 0 || a != 0 {
		t.Errorf("Bob got %d DMs, Alice %d, for refused runs; want none", b, a)
	}

	t.Run("ErrProspectTaken", func(t *testing.T) {
		if ack := h.refer(h.alice, hotForm()); ack.ResponseAction != "" { // Dana to Bob, by the form
			t.Fatalf("submission refused: %s", pretty(ack))
		}
		in := stepInputs()
		in["giver"], in["receiver"] = "UDAVE", "UCAROL"
		run, _ := h.runStep(in)
		h.wait("the run's completion", func() bool { _, done := h.completion(run); return done })
		if c, _ := h.completion(run); !strings.Contains(c.Error, "another member already has an open referral for this prospect") ||
			strings.Contains(c.Error, "UBOB") {
			t.Errorf("completion = %+v; want the duplicate named, not who has it", c)
		}
		h.wait("the outbox to drain", h.outboxEmpty)
		if n := len(h.carol.dms()); n != 0 {
			t.Errorf("Carol got %d DMs for a refused run", n)
		}
	})
}

// TestWorkflowStepRedisDown: a run that arrives while Redis is out of reach is acked (Slack would
// not wait) and saved after the ack once Redis answers again, since Slack does not send an acked
// event twice; it is completed once, with its number.
func TestWorkflowStepRedisDown(t *testing.T) {
	h := startBehindProxy(t)
	h.proxy.Refuse(true)
	run, _ := h.runStep(stepInputs())
	h.proxy.Refuse(false)
	h.wait("the run's completion and the receiver's DM", func() bool {
		_, done := h.completion(run)
		return done && len(h.bob.dms()) == 1 && h.outboxEmpty()
	})
	if c, _ := h.completion(run); c.Outputs["referral"] != "R-1" {
		t.Errorf("completion = %+v; want R-1", c)
	}
	if n := len(h.fake.Completions()); n != 1 {
		t.Errorf("%d completions; want 1", n)
	}
}

// TestWorkflowStepRefusedWhileRedisDown: a run whose inputs are refused, arriving while Redis is
// out of reach, is still answered with what to fix once Redis answers again: queueing the failure
// is tried again after the ack as a save is, so the workflow does not hang.
func TestWorkflowStepRefusedWhileRedisDown(t *testing.T) {
	h := startBehindProxy(t)
	in := stepInputs()
	delete(in, "prospect")
	h.proxy.Refuse(true)
	run, _ := h.runStep(in)
	h.proxy.Refuse(false)
	h.wait("the run's completion", func() bool { _, done := h.completion(run); return done && h.outboxEmpty() })
	if c, _ := h.completion(run); !strings.Contains(c.Error, "Prospect: Give the prospect's name.") {
		t.Errorf("completion = %+v; want the error naming the prospect input", c)
	}
}
