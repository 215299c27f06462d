package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

// passedSample is R-13: Alice's hot referral R-12 to Bob, which Bob passed on to Dave without
// having told the prospect about Dave (no facts ticked), with his note.
func passedSample() (rapport.Referral, rapport.Referral, []rapport.Event) {
	at := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)
	st := newSampleStore()
	orig := st.ref
	orig.Status = rapport.StatusPassed
	linked := orig
	linked.Number, linked.Receiver, linked.PassedBy, linked.PassedOf = 13, "UDAVE", "UBOB", 12
	linked.Status, linked.Facts, linked.Note, linked.Posted = rapport.StatusNew, rapport.Facts{}, "Dave does roofs <3", nil
	pass := rapport.Event{At: at.Add(3 * time.Hour), Actor: "UBOB", Action: rapport.ActPassOn, From: rapport.StatusAccepted,
		To: rapport.StatusPassed, Note: "Dave does roofs <3", Ref: 13, Member: "UDAVE", Facts: &rapport.Facts{}}
	return orig, linked, append(st.events[:1], pass)
}

// TestPassedOnGolden: the new receiver's DM shows the passer's answers (here none: a cold lead),
// who passed it on and who gave it first, and that the prospect was not asked about sharing their
// contact; the giver's report says what the passer vouched for about the new receiver.
func TestPassedOnGolden(t *testing.T) {
	orig, linked, events := passedSample()
	dm := ReceiverDM(linked, nil, sampleSettings.Timing(), homeNow)
	golden(t, "passed_received", dm)
	s := unescapeHTML(messageJSON(t, dm))
	for _, want := range []string{
		"passed on to you by <@UBOB> (from R-12); first given by <@UALICE>",
		":snowflake: Cold lead",
		":warning: <@UBOB> has not asked Dana &lt;Reyes&gt; whether you may call: say who sent you, or ask <@UBOB> first.",
		":white_large_square: <@UBOB> spoke with them about you",
		":white_large_square: they expect your call",
		"*Note from <@UBOB>*",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the new receiver's DM lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "<@UALICE> spoke with them") || strings.Contains(s, "Hot") {
		t.Errorf("the new receiver's DM repeats the giver's facts:\n%s", s)
	}

	rep := report(referralState{to: "UALICE", ref: orig, events: events, event: events[1], hasEvent: true})
	golden(t, "passed_report", rep)
	s = unescapeHTML(messageJSON(t, rep))
	for _, want := range []string{
		"<@UBOB> passed *R-12 (Dana &lt;Reyes&gt;)* on to <@UDAVE> as *R-13*",
		"<@UBOB>'s answers about <@UDAVE> make it a :snowflake: cold lead",
		":white_large_square: <@UBOB> spoke with them about <@UDAVE>",
		":white_large_square: they expect <@UDAVE>'s call",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the giver's report lacks %q:\n%s", want, s)
		}
	}
}

// TestConsentLine: the receiver's DM says the prospect was not asked about sharing their contact
// exactly when the giver did not tick it (rule 13).
func TestConsentLine(t *testing.T) {
	for _, mayShare := range []bool{false, true} {
		ref := newSampleStore().ref
		ref.Facts.MayShare = mayShare
		s := unescapeHTML(messageJSON(t, ReceiverDM(ref, nil, sampleSettings.Timing(), homeNow)))
		const line = "<@UALICE> has not asked Dana &lt;Reyes&gt; whether you may call: say who sent you, or ask <@UALICE> first."
		if got := strings.Contains(s, line); got == mayShare {
			t.Errorf("may share %v: consent line shown %v:\n%s", mayShare, got, s)
		}
	}
}

// Rule 13 in the notice of an edit: a new phone or email the prospect did not agree to share is
// shown with the same warning as in the receiver's DM; one they agreed to, without it.
func TestEditedContactSaysConsent(t *testing.T) {
	for _, mayShare := range []bool{false, true} {
		st := newSampleStore()
		kindSample(st, "referral.edited") // the phone among what changed
		st.ref.Facts.MayShare = mayShare
		d, ok, err := sampleCatalogue(st, sampleSettings).Render(t.Context(), "T1", samples(t)["referral.edited"])
		if err != nil || !ok {
			t.Fatalf("render: %v, %v", ok, err)
		}
		s := unescapeHTML(messageJSON(t, d))
		const line = "has not asked Dana &lt;Reyes&gt; whether you may call"
		if got := strings.Contains(s, line); got == mayShare {
			t.Errorf("may share %v: the edit's notice says %q: %v; want %v\n%s", mayShare, line, got, !mayShare, s)
		}
	}
}
