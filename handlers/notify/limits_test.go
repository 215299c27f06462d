package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/handlers/kit"
)

// hostile is n characters of what escaping makes longest, with a channel ping in it.
func hostile(n int) string {
	s := strings.Repeat("<!channel>&<>", n/13+1)
	return string([]rune(s)[:n])
}

// plain is n ordinary characters: what renderers must show whole.
func plain(n int) string { return strings.Repeat("x", n) }

// maxReferral is a referral whose every field a member types is as long as it may be, made of
// fill; its timeline is long, each step with the longest note.
func maxReferral(fill func(int) string) (rapport.Referral, []rapport.Event) {
	at := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)
	ref := rapport.Referral{
		Draft: rapport.Draft{Giver: "UALICE", Receiver: "UBOB",
			Prospect: rapport.Prospect{Name: fill(rapport.MaxLen(rapport.FieldName)), Company: fill(rapport.MaxLen(rapport.FieldCompany)),
				Phone: "+14805550142", Email: fill(rapport.MaxLen(rapport.FieldEmail))},
			Need: fill(rapport.MaxLen(rapport.FieldNeed)), BestTime: fill(rapport.MaxLen(rapport.FieldBestTime)),
			Note: fill(rapport.MaxLen(rapport.FieldNote)), Facts: rapport.Facts{Spoke: true, Expects: true}}, // the consent line shows
		Number: 12, Status: rapport.StatusContacted, Created: at, Updated: at, Version: 40,
		Value: 1_000_000_000_00, Currency: "EUR", PassedBy: "UCAROL", PassedOf: 11,
		Posted: map[string]string{SlotReceiverDM: "DBOB|1700000000.000100", SlotGiverDM: "DALICE|1700000000.000200"},
	}
	acts := []rapport.Action{rapport.ActAccept, rapport.ActContacted, rapport.ActMeeting, rapport.ActCorrect, rapport.ActPassOn, rapport.ActWon}
	var events []rapport.Event
	for i := range 40 {
		a := acts[i%len(acts)]
		events = append(events, rapport.Event{At: at.Add(time.Duration(i) * time.Hour), Actor: "UBOB", Action: a,
			From: rapport.StatusAccepted, To: rapport.StatusContacted, Note: fill(rapport.MaxMoveNote), Ref: 99, Member: "UDAVE", Facts: &rapport.Facts{}})
	}
	return ref, events
}

// maxStore is stored state at its largest: the referral above, a Home with full lists, asks and
// thank-yous at their longest.
func maxStore(fill func(int) string) *sampleStore {
	st := newSampleStore()
	st.ref, st.events = maxReferral(fill)
	var asks []rapport.Ask
	for i := range 40 {
		asks = append(asks, rapport.Ask{Member: "UM" + string(rune('A'+i%26)), Text: fill(rapport.MaxAsk), At: st.ref.Created})
	}
	st.asks = asks
	h := homeSample()
	h.Received, h.Given = nil, nil
	for i := range rapport.HomeListLimit {
		r, _ := maxReferral(fill)
		r.Number = int64(100 + i)
		r.Status = rapport.StatusNew
		h.Received = append(h.Received, r)
		r.Giver, r.Receiver = "UBOB", "UALICE"
		h.Given = append(h.Given, r)
	}
	var facts []rapport.Fact
	for i := range 60 {
		facts = append(facts, rapport.Fact{Ref: int64(200 + i), Giver: "UM" + string(rune('A'+i%26)) + string(rune('A'+i/26)),
			Receiver: "UBOB", Status: rapport.StatusNew, Temperature: rapport.Hot, Created: homeNow.Add(-time.Hour)})
	}
	withNumbers(&h, "UBOB", facts, facts)
	h.Ask = rapport.Ask{Member: "UBOB", Text: fill(rapport.MaxAsk)}
	st.home = h
	return st
}

// maxSamples are the entries of samples with the longest texts their fields can carry.
func maxSamples(t *testing.T, fill func(int) string) map[string]rapport.OutboxEntry {
	all := samples(t)
	facts, thanks, _, set, at := digestFixture()
	rec, _ := json.Marshal(rapport.Recognition{From: "UALICE", To: "UBOB", Text: fill(rapport.MaxRecognition), At: at})
	for _, k := range []string{"recognition.thanks", "recognition.vouch"} {
		all[k].Fields[rapport.EntryBody] = string(rec)
	}
	var asks []rapport.Ask
	for i := range 40 {
		asks = append(asks, rapport.Ask{Member: "UM" + string(rune('A'+i%26)), Text: fill(rapport.MaxAsk), At: at.Add(-time.Hour)})
	}
	for i := range 100 {
		thanks = append(thanks, rapport.Recognition{Kind: rapport.RecognitionThanks, From: "UM" + string(rune('A'+i%26)),
			To: "UT" + string(rune('A'+i/26)) + string(rune('A'+i%26)), At: at.Add(-24 * time.Hour)})
	}
	body, _ := json.Marshal(digestOf(facts, thanks, digestVouches(at), asks, set, at))
	all["digest.weekly"].Fields[digestFieldBody] = string(body)
	all["home"].Fields[rapport.EntryNotice] = kit.EscClip(fill(rapport.MaxMoveNote), 500)
	all["step.failed"].Fields[fieldStepError] = strings.Repeat("Contact: that doesn't look like a phone number. ", 100) // no user text
	return all
}

// sentProblems is what Slack would refuse in a delivery, checked by the fake Slack's own rules.
func sentProblems(t *testing.T, p bot.Delivery) []string {
	t.Helper()
	if c := p.Step; c != nil {
		// A step's completion is no message: what Slack checks is its outputs and its error.
		if c.Error == "" && len(c.Outputs) == 0 {
			return []string{"a completion with neither outputs nor an error"}
		}
		if n := utf8.RuneCountInString(c.Error); n > maxStepError {
			return []string{fmt.Sprintf("a step's error of %d characters; keep it under %d", n, maxStepError)}
		}
		return nil
	}
	if p.Home != nil {
		raw, err := json.Marshal(p.Home.Blocks)
		if err != nil {
			t.Fatal(err)
		}
		return slackfake.ViewBlockProblems(raw)
	}
	var raw []byte
	if p.Blocks != nil {
		var err error
		if raw, err = json.Marshal(p.Blocks); err != nil {
			t.Fatal(err)
		}
	}
	code, problems := slackfake.MessageProblems(p.Text, raw)
	if code != "" {
		return append([]string{code}, problems...)
	}
	return nil
}

// TestEveryKindWithinSlackLimits draws every kind from a referral whose every typed field is at its
// longest and made of what escaping lengthens most (&, <, >, <!channel>), with a long timeline,
// long lists and long asks, and checks what Slack would receive against Slack's limits: nothing is
// refused, and nothing pings.
func TestEveryKindWithinSlackLimits(t *testing.T) {
	all := maxSamples(t, hostile)
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			st := maxStore(hostile)
			if strings.HasPrefix(kind, "nudge.ack") {
				st.ref.Status = rapport.StatusNew
			}
			kindSample(st, kind)
			set := sampleSettings
			set.PublicValues = true
			p, owed, err := sampleCatalogue(st, set).Render(t.Context(), "T1", all[kind])
			if err != nil || !owed {
				t.Fatalf("Render = owed %v, %v; want the message", owed, err)
			}
			for _, problem := range sentProblems(t, p) {
				t.Error(problem)
			}
			if s := deliveryJSON(t, p); strings.Contains(s, "<!channel>") {
				t.Error("<!channel> reached Slack unescaped")
			}
		})
	}
}

// TestLongestPlainFieldsShownWhole: what the form accepts, a member sees whole in the receiver's
// DM when it needs no escaping: the form's limits and the DM's agree.
func TestLongestPlainFieldsShownWhole(t *testing.T) {
	ref, events := maxReferral(plain)
	p := ReceiverDM(ref, events[:1], sampleSettings.Timing(), homeNow)
	if problems := sentProblems(t, p); len(problems) > 0 {
		t.Fatal(problems)
	}
	s := deliveryJSON(t, p)
	for _, field := range []string{rapport.FieldName, rapport.FieldCompany, rapport.FieldEmail, rapport.FieldNeed, rapport.FieldBestTime, rapport.FieldNote} {
		if !strings.Contains(s, plain(rapport.MaxLen(field))) {
			t.Errorf("%s of %d characters is not shown whole", field, rapport.MaxLen(field))
		}
	}
	r := report(referralState{to: "UALICE", ref: ref, event: events[0], hasEvent: true})
	if !strings.Contains(deliveryJSON(t, r), plain(rapport.MaxMoveNote)) {
		t.Errorf("a note of %d characters is not shown whole in the report", rapport.MaxMoveNote)
	}
}

// TestLongTimelineKeepsNewest: a long history shows its newest steps and counts the rest.
func TestLongTimelineKeepsNewest(t *testing.T) {
	_, events := maxReferral(hostile)
	b := timeline(events)
	raw, _ := json.Marshal(b)
	text := unescapeHTML(string(raw))
	last := kit.Date(events[len(events)-1].At)
	if !strings.Contains(text, last) || !strings.Contains(text, " earlier steps_") {
		t.Errorf("timeline = %s; want the newest step and a count of earlier ones", text)
	}
	code, problems := slackfake.MessageProblems("x", raw)
	if code != "" {
		t.Error(problems)
	}
	if n := utf8.RuneCountInString(text); n < 1000 {
		t.Errorf("timeline of %d characters: it should use the room it has", n)
	}
}
