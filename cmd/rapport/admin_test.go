package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// adminCommand types "/refer text" as p and returns the ack's payload.
func (h *harness) adminCommand(p person, text string) ackPayload {
	h.t.Helper()
	ack, err := p.command(h.ctx, text)
	if err != nil {
		h.t.Fatal(err)
	}
	return decodeAck(ack)
}

// adminDM is the conversation ID of the bot's DM with user, as conversations.open gives it.
func (h *harness) adminDM(user string) string {
	h.t.Helper()
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(h.fake.APIURL()), slack.OptionHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	ch, _, _, err := api.OpenConversationContext(h.ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		h.t.Fatal(err)
	}
	return ch.ID
}

// exportRows checks the export's encoding (BOM, CRLF) and returns its rows.
func exportRows(t *testing.T, f slackfake.File) [][]string {
	t.Helper()
	body, ok := bytes.CutPrefix(f.Content, []byte("\uFEFF"))
	if !ok {
		t.Error("the export has no UTF-8 byte order mark")
	}
	if n, crlf := bytes.Count(body, []byte("\n")), bytes.Count(body, []byte("\r\n")); n == 0 || n != crlf {
		t.Errorf("line ends: %d of %d are CRLF", crlf, n)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, body)
	}
	return rows
}

func TestExport(t *testing.T) {
	h := start(t)
	formula := hotForm()
	formula.name = `=HYPERLINK("http://x")`
	if ack := h.refer(h.alice, formula); ack.ResponseAction != "" {
		t.Fatalf("referral refused: %s", pretty(ack))
	}
	second := hotForm()
	second.receiver, second.name, second.company, second.phone, second.email = "UBOB", "Sam Ortiz", "Ortiz & Sons", "", "sam@ortiz.example"
	second.spoke, second.mayShare, second.expects = true, false, false
	if ack := h.refer(h.carol, second); ack.ResponseAction != "" {
		t.Fatalf("referral refused: %s", pretty(ack))
	}
	h.wait("the DMs", func() bool { return len(h.bob.dms()) == 2 && h.outboxEmpty() })
	// Bob closes R-2 for $2,500.
	var r2 slackfake.Message
	for _, m := range h.bob.dms() {
		if strings.Contains(m.Text, "R-2") {
			r2 = m
		}
	}
	h.tap(h.bob, r2, "ref:won")
	ack, err := h.bob.submitView(h.ctx, h.openedView(h.bob, 1), map[string]slack.BlockAction{"value": {Value: "2500"}, "currency": {Value: "USD"}})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("closing refused: %s, %v", ack.Payload, err)
	}
	h.wait("the close", func() bool { return h.outboxEmpty() && len(h.carol.dms()) == 2 })

	t.Run("ErrNotAdmin", func(t *testing.T) {
		if err := contains(h.adminCommand(h.carol, "export").Text, "Only the group's admins"); err != nil {
			t.Error(err)
		}
	})
	t.Run("ErrUnknownPeriod", func(t *testing.T) {
		if err := contains(h.adminCommand(h.dave, "export decade").Text, "`/refer export week`"); err != nil {
			t.Error(err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := contains(h.adminCommand(h.dave, "export").Text, "Preparing your export"); err != nil {
			t.Error(err)
		}
		h.wait("the file", func() bool { return len(h.fake.Files()) > 0 })
		files := h.fake.Files()
		if len(files) != 1 {
			t.Fatalf("%d files uploaded; want only the admin's", len(files))
		}
		f := files[0]
		if f.Channel != h.adminDM("UDAVE") || !strings.HasSuffix(f.Filename, ".csv") {
			t.Errorf("file %q went to %s; want a .csv in Dave's DM %s", f.Filename, f.Channel, h.adminDM("UDAVE"))
		}
		for _, private := range []string{"555", "dana@", "sam@", "ortiz.example", "reyesbakery"} {
			if bytes.Contains(f.Content, []byte(private)) {
				t.Errorf("the export carries a prospect's contact (%q)", private)
			}
		}
		loc := h.app.single.settings.Snapshot().TimeZone
		day := func(n int64) string {
			r, err := h.store.Referral(h.ctx, slackfake.TeamID, n)
			if err != nil {
				t.Fatal(err)
			}
			return r.Created.In(loc).Format(time.DateOnly)
		}
		rows := exportRows(t, f)
		if len(rows) != 3 {
			t.Fatalf("%d rows; want a header and 2 referrals:\n%s", len(rows), f.Content)
		}
		// The close came right after the referral: 0.0 hours to first contact.
		want := [][]string{
			{"Number", "Created", "Giver", "Receiver", "Prospect", "Company", "Temperature", "Status", "First contact", "Hours to first contact", "Closed value", "Currency"},
			{"R-1", day(1), "Alice Moreno", "Bob Chen", `'=HYPERLINK("http://x")`, "Reyes Bakery", "hot", "New", "", "", "", ""},
			{"R-2", day(2), "Carol Singh", "Bob Chen", "Sam Ortiz", "Ortiz & Sons", "warm", "Closed business", rows[2][8], "0.0", "2500.00", "USD"},
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("export (-want +got):\n%s", diff)
		}
		if rows[2][8] == "" {
			t.Error("closed business has no first contact date")
		}
	})
	t.Run("SlackFailsFirst", func(t *testing.T) {
		// The upload is owed like any message: Slack's errors delay it, they do not lose it.
		before, tries := len(h.fake.Files()), len(h.fake.Calls("files.getUploadURLExternal"))
		h.fake.FailNext("files.getUploadURLExternal", "internal_error", 2)
		if err := contains(h.adminCommand(h.dave, "export week").Text, "Preparing your export"); err != nil {
			t.Fatal(err)
		}
		h.wait("the file, after Slack's errors", func() bool { return len(h.fake.Files()) == before+1 && h.outboxEmpty() })
		if n := len(h.fake.Calls("files.getUploadURLExternal")) - tries; n != 3 {
			t.Errorf("%d upload tries; want 3: two refused, then the one that went", n)
		}
		if f := h.fake.Files()[before]; f.Channel != h.adminDM("UDAVE") || len(exportRows(t, f)) != 3 {
			t.Errorf("export after Slack's errors: %s in %s:\n%s", f.Filename, f.Channel, f.Content)
		}
	})
	t.Run("WorkspaceAdmin", func(t *testing.T) {
		before := len(h.fake.Files())
		h.fake.AddUser(slack.User{ID: "UERIN", Name: "erin", RealName: "Erin Owner", TZ: "America/Phoenix", IsOwner: true,
			Profile: slack.UserProfile{RealName: "Erin Owner", DisplayName: "Erin Owner"}})
		if err := h.app.single.handlers.SyncMembers(h.ctx); err != nil {
			t.Fatal(err)
		}
		erin := person{h.fake.Workspace(slackfake.TeamID), "UERIN"}
		if err := contains(h.adminCommand(erin, "export all").Text, "Preparing your export"); err != nil {
			t.Fatal(err)
		}
		h.wait("Erin's file", func() bool { return len(h.fake.Files()) == before+1 })
		f := h.fake.Files()[before]
		if f.Channel != h.adminDM("UERIN") || len(exportRows(t, f)) != 3 {
			t.Errorf("Erin's export: %s in %s:\n%s", f.Filename, f.Channel, f.Content)
		}
	})
}

// settingsInputs reads the blocks of the settings modal by block_id.
func settingsInputs(t *testing.T, v slackfake.View) (ids []string, initial map[string]string) {
	t.Helper()
	var view slack.View
	if err := json.Unmarshal(v.View, &view); err != nil {
		t.Fatal(err)
	}
	initial = map[string]string{}
	for _, b := range view.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		ids = append(ids, in.BlockID)
		switch el := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			initial[in.BlockID] = el.InitialValue
		case *slack.NumberInputBlockElement:
			initial[in.BlockID] = el.InitialValue
		case *slack.RadioButtonsBlockElement:
			initial[in.BlockID] = el.InitialOption.Value
		case *slack.SelectBlockElement:
			initial[in.BlockID] = el.InitialConversation
			if el.InitialOption != nil {
				initial[in.BlockID] = el.InitialOption.Value
			}
		case *slack.TimePickerBlockElement:
			initial[in.BlockID] = el.InitialTime
		}
	}
	return ids, initial
}

// digestTime and pairingTime are the blocks of the digest's and the pairing's time in the settings
// form (each day is under its setting).
const (
	digestTime  = "digest_time"
	pairingTime = "pairing_time"
)

// settingsSubmission is the submission of the settings form with initial's values, changed by edits.
func settingsSubmission(initial map[string]string, edits map[string]string) map[string]slack.BlockAction {
	out := map[string]slack.BlockAction{}
	for name, v := range initial {
		if e, ok := edits[name]; ok {
			v = e
		}
		switch name {
		case rapport.SetRecognitionChannel:
			out[name] = slack.BlockAction{Type: "conversations_select", SelectedConversation: v}
		case rapport.SetPublicValues, rapport.SetAnnounceHot, rapport.SetNudgeWeekends:
			out[name] = slack.BlockAction{Type: "radio_buttons", SelectedOption: slack.OptionBlockObject{Value: v}}
		case rapport.SetInactivityWeeks, rapport.SetFollowUpSLA, rapport.SetReportBackAfter, rapport.SetExpireAfter:
			out[name] = slack.BlockAction{Type: "number_input", Value: v}
		case rapport.SetDigestSchedule, rapport.SetPairingSchedule:
			out[name] = slack.BlockAction{Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: v}}
		case digestTime, pairingTime:
			out[name] = slack.BlockAction{Type: "timepicker", SelectedTime: v}
		default:
			out[name] = slack.BlockAction{Type: "plain_text_input", Value: v}
		}
	}
	return out
}

func TestSettings(t *testing.T) {
	h := start(t)
	t.Run("ErrNotAdmin", func(t *testing.T) {
		if err := contains(h.adminCommand(h.carol, "settings").Text, "Only the group's admins"); err != nil {
			t.Error(err)
		}
	})

	if ack := h.adminCommand(h.dave, "settings"); ack.Text != "" {
		t.Errorf("the admin's /refer settings answered %q; want the form alone", ack.Text)
	}
	view := h.openedView(h.dave, 1)
	ids, initial := settingsInputs(t, view)
	var wantIDs []string
	for _, name := range rapport.SettingNames {
		wantIDs = append(wantIDs, name)
		switch name {
		case rapport.SetDigestSchedule:
			wantIDs = append(wantIDs, digestTime)
		case rapport.SetPairingSchedule:
			wantIDs = append(wantIDs, pairingTime)
		}
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("the form's inputs (-want +got):\n%s", diff)
	}
	// The settings in force (the harness's environment, nothing saved yet), as the form asks for
	// them: hours, days, a day and a time of the week; never a Go duration or a cron spec.
	if want := h.app.single.settings.Snapshot().Values(); want[rapport.SetFollowUpSLA] != "24h" || want[rapport.SetPublicValues] != "false" ||
		want[rapport.SetDigestSchedule] != "0 9 * * 1" || want[rapport.SetExpireAfter] != "2160h" {
		t.Fatalf("the harness's defaults changed: %v", want)
	}
	for name, want := range map[string]string{
		rapport.SetFollowUpSLA: "24", rapport.SetReportBackAfter: "7", rapport.SetExpireAfter: "90",
		rapport.SetDigestSchedule: "1", digestTime: "09:00", rapport.SetNudgeWeekends: "true", rapport.SetPublicValues: "false",
		rapport.SetTimeZone: "UTC", rapport.SetPairingSchedule: "", pairingTime: "",
	} {
		if initial[name] != want {
			t.Errorf("the form shows %s as %q; want %q", name, initial[name], want)
		}
	}
	if err := contains(unjson(view.View), `"text":"Follow-up window (hours)"`, `"text":"Report-back reminder (days)"`,
		`"text":"Expire open referrals after (days)"`, `"text":"Monday"`, `"type":"timepicker"`); err != nil {
		t.Error(err)
	}
	if len(h.carol.views()) != 0 {
		t.Error("a form opened for a non-admin")
	}

	t.Run("ErrBadValues", func(t *testing.T) {
		ack, err := h.dave.submitView(h.ctx, view, settingsSubmission(initial, map[string]string{
			digestTime: "", rapport.SetTimeZone: "Mars/Olympus", rapport.SetFollowUpSLA: "0", rapport.SetExpireAfter: "-3",
		}))
		if err != nil {
			t.Fatal(err)
		}
		p := decodeAck(ack)
		want := map[string]string{
			digestTime:             "Choose a time too, or clear the day to keep the current schedule.",
			rapport.SetFollowUpSLA: "Enter a number of hours from 1 to 2160.",
			rapport.SetExpireAfter: "Enter a number of days from 1 to 3650.",
		}
		if diff := cmp.Diff(want, p.Errors); p.ResponseAction != "errors" || diff != "" {
			t.Errorf("the form's own inputs refused (-want +got):\n%s", diff)
		}
		// The form reads well; what only the settings can judge (a zone) is refused next, in words.
		ack, err = h.dave.submitView(h.ctx, view, settingsSubmission(initial, map[string]string{rapport.SetTimeZone: "Mars/Olympus"}))
		if err != nil {
			t.Fatal(err)
		}
		if p := decodeAck(ack); p.ResponseAction != "errors" || len(p.Errors) != 1 ||
			!strings.Contains(p.Errors[rapport.SetTimeZone], "America/Phoenix") {
			t.Errorf("a bad zone got %s; want a field error", ack.Payload)
		}
		if sla := h.app.single.settings.Snapshot().FollowUpSLA; sla != 24*time.Hour {
			t.Errorf("a refused form changed the SLA to %v", sla)
		}
	})

	t.Run("ErrNoLongerAdmin", func(t *testing.T) {
		// Erin, a workspace owner, opens the form; she is no longer one when she saves it.
		erinUser := slack.User{ID: "UERIN", Name: "erin", RealName: "Erin Owner", TZ: "America/Phoenix", IsOwner: true,
			Profile: slack.UserProfile{RealName: "Erin Owner", DisplayName: "Erin Owner"}}
		h.fake.AddUser(erinUser)
		if err := h.app.single.handlers.SyncMembers(h.ctx); err != nil {
			t.Fatal(err)
		}
		erin := person{h.fake.Workspace(slackfake.TeamID), "UERIN"}
		h.adminCommand(erin, "settings")
		form := h.openedView(erin, 1)
		erinUser.IsOwner = false
		h.fake.AddUser(erinUser)
		if err := h.app.single.handlers.SyncMembers(h.ctx); err != nil {
			t.Fatal(err)
		}
		ack, err := erin.submitView(h.ctx, form, settingsSubmission(initial, map[string]string{rapport.SetFollowUpSLA: "1"}))
		if err != nil {
			t.Fatal(err)
		}
		if err := contains(string(ack.Payload), "Only the group's admins"); err != nil {
			t.Error(err)
		}
		if sla := h.app.single.settings.Snapshot().FollowUpSLA; sla != 24*time.Hour {
			t.Errorf("a former admin's form changed the SLA to %v", sla)
		}
	})

	t.Run("OK", func(t *testing.T) {
		// The confirmation is owed like any message: a Slack error delays it, it does not lose it.
		posts := len(h.fake.Calls("chat.postMessage"))
		h.fake.FailNext("chat.postMessage", "internal_error", 1)
		ack, err := h.dave.submitView(h.ctx, view, settingsSubmission(initial, map[string]string{
			rapport.SetFollowUpSLA: "48", rapport.SetRecognitionChannel: "C0WINS", rapport.SetPublicValues: "true",
			rapport.SetExpireAfter: "30", rapport.SetDigestSchedule: "5", digestTime: "17:30", rapport.SetNudgeWeekends: "false",
			rapport.SetPairingSchedule: "1", pairingTime: "08:00",
		}))
		if err != nil || decodeAck(ack).ResponseAction != "" {
			t.Fatalf("good values refused: %s, %v", ack.Payload, err)
		}
		h.wait("the confirmation", func() bool { return len(h.dave.dms()) == 1 })
		if n := len(h.fake.Calls("chat.postMessage")) - posts; n != 2 {
			t.Errorf("%d posts for the confirmation; want 2: one refused, then the one that went", n)
		}
		if err := contains(h.dave.dms()[0].Text, "Settings saved", "Follow-up window: 2 days (was 24 hours)", "<#C0WINS>",
			"Show closed values to every member: on (was off)", "Expire open referrals after: 30 days (was 90 days)",
			"Weekly digest schedule: Fridays at 17:30 (was Mondays at 09:00)", "Nudge on weekends: off (was on)",
			"Weekly pairing schedule: Mondays at 08:00 (was off)"); err != nil {
			t.Error(err)
		}
		// In force at once: a new referral's DM and its first reminder follow the new window.
		start := time.Now()
		h.referred()
		if err := contains(messageText(h.bob.dms()[0]), "within 2 days"); err != nil {
			t.Error(err)
		}
		due, err := h.store.DueBefore(h.ctx, slackfake.TeamID, start.Add(47*time.Hour), 10)
		if err != nil || len(due) != 0 {
			t.Errorf("reminders due within 47 h: %+v, %v; want none", due, err)
		}
		due, err = h.store.DueBefore(h.ctx, slackfake.TeamID, time.Now().Add(49*time.Hour), 10)
		if err != nil || len(due) != 1 || due[0].Ref != 1 {
			t.Errorf("reminders due within 49 h: %+v, %v; want R-1's", due, err)
		}
		// Saved in Redis: what another replica, or this one after a restart, reads.
		saved, err := h.store.Settings(h.ctx, slackfake.TeamID)
		// Kept as the environment writes them: Go durations and a cron spec.
		if diff := cmp.Diff(map[string]string{rapport.SetFollowUpSLA: "48h", rapport.SetRecognitionChannel: "C0WINS", rapport.SetPublicValues: "true",
			rapport.SetExpireAfter: "720h", rapport.SetDigestSchedule: "30 17 * * 5", rapport.SetNudgeWeekends: "false",
			rapport.SetPairingSchedule: "0 8 * * 1"}, saved); err != nil || diff != "" {
			t.Errorf("stored overrides (-want +got):\n%s%v", diff, err)
		}
	})
}

// TestUndeliverableSentAgain: the shout-out to a channel Rapport is not in is kept as undeliverable
// (the other messages go on), the admin is told how to invite Rapport, `/refer outbox` lists it
// with its reason, and "Send again" delivers it, once, after the invitation.
func TestUndeliverableSentAgain(t *testing.T) {
	h := start(t)
	h.referred()
	h.fake.RemoveBot(slackfake.GeneralChannelID)
	h.tap(h.bob, h.bob.dms()[0], "ref:won")
	ack, err := h.bob.submitView(h.ctx, h.openedView(h.bob, 1), map[string]slack.BlockAction{
		"value": {Value: "1800"}, "currency": {Value: "USD"}, "note": {Value: "Thank you!"},
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("closing: %s, %v", ack.Payload, err)
	}
	h.wait("the report to Alice and the admin's alert", func() bool {
		return len(h.alice.dms()) == 2 && len(h.dave.dms()) == 1 && h.outboxEmpty()
	})
	if err := contains(messageText(h.dave.dms()[0]), "<#"+slackfake.GeneralChannelID+">", "/invite @Rapport"); err != nil {
		t.Error(err)
	}
	if n := len(h.public()); n != 0 {
		t.Fatalf("%d public posts in a channel Rapport is not in", n)
	}

	if p := h.adminCommand(h.bob, "outbox"); !strings.Contains(p.Text, "Only the group's admins") {
		t.Errorf("a member sees the outbox: %q", p.Text)
	}
	p := h.adminCommand(h.dave, "outbox")
	listing := unjson(mustJSON(t, p))
	if err := contains(listing, "1 that Slack refused", "not_in_channel", "the thank-you for closed business", "Send again"); err != nil {
		t.Fatal(err)
	}
	id := buttonValue(t, p, "outbox:resend")

	h.fake.InviteBot(slackfake.GeneralChannelID)
	click := h.fake.BlockAction("UDAVE", slack.BlockAction{ActionID: "outbox:resend", Value: id, Type: "button"},
		slackfake.InMessage(slackfake.GeneralChannelID, "1.000001"))
	for range 2 { // a double click sends it once
		if _, err := h.fake.Send(h.ctx, "interactive", click); err != nil {
			t.Fatal(err)
		}
	}
	h.wait("the shout-out", func() bool { return len(h.public()) == 1 && h.outboxEmpty() })
	if err := contains(messageText(h.public()[0]), "Closed business", "<@UBOB>", "<@UALICE>"); err != nil {
		t.Error(err)
	}
	h.wait("Dave told it is queued again, and that the second click found nothing", func() bool {
		var texts []string
		for _, m := range h.ephemerals("UDAVE") {
			texts = append(texts, m.Text)
		}
		all := strings.Join(texts, "\n")
		return strings.Contains(all, "1 message is queued again") && strings.Contains(all, "Nothing to send again")
	})
	if p := h.adminCommand(h.dave, "outbox"); !strings.Contains(p.Text, "0 that Slack refused") {
		t.Errorf("after sending it again: %q", p.Text)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buttonValue is the value of the first button with actionID in an ack's blocks.
func buttonValue(t *testing.T, p ackPayload, actionID string) string {
	t.Helper()
	for _, b := range p.Blocks.BlockSet {
		if s, ok := b.(*slack.SectionBlock); ok && s.Accessory != nil && s.Accessory.ButtonElement != nil &&
			s.Accessory.ButtonElement.ActionID == actionID {
			return s.Accessory.ButtonElement.Value
		}
	}
	t.Fatalf("no %s button in %s", actionID, mustJSON(t, p.Blocks))
	return ""
}

// TestUndeliverableSentAgainByReason: "Send all again" puts every dead letter of one reason back in
// the outbox (read after the ack, however many there are), and each is delivered once.
func TestUndeliverableSentAgainByReason(t *testing.T) {
	h := start(t)
	h.fake.RemoveBot(slackfake.GeneralChannelID)
	second := hotForm()
	second.name, second.company, second.phone, second.email = "Sam Ortiz", "Ortiz & Sons", "(480) 555-0199", "sam@ortiz.example"
	for i, f := range []form{hotForm(), second} {
		if ack := h.refer(h.alice, f); ack.ResponseAction != "" {
			t.Fatalf("referral %d refused: %s", i+1, pretty(ack))
		}
		h.wait("Bob's DM", func() bool { return len(h.bob.dms()) == i+1 })
		h.tap(h.bob, h.bob.dms()[i], "ref:won")
		ack, err := h.bob.submitView(h.ctx, h.openedView(h.bob, i+1), map[string]slack.BlockAction{
			"value": {Value: "900"}, "currency": {Value: "USD"},
		})
		if err != nil || decodeAck(ack).ResponseAction != "" {
			t.Fatalf("closing R-%d: %s, %v", i+1, ack.Payload, err)
		}
	}
	h.wait("both shout-outs dead-lettered", func() bool { return h.deadLetters() == 2 && h.outboxEmpty() })

	p := h.adminCommand(h.dave, "outbox")
	if err := contains(unjson(mustJSON(t, p)), "2 that Slack refused", "*2* × `not_in_channel`", "Send all again"); err != nil {
		t.Fatal(err)
	}
	reason := buttonValue(t, p, "outbox:resend_reason")
	h.fake.InviteBot(slackfake.GeneralChannelID)
	click := h.fake.BlockAction("UDAVE", slack.BlockAction{ActionID: "outbox:resend_reason", Value: reason, Type: "button"},
		slackfake.InMessage(slackfake.GeneralChannelID, "1.000001"))
	if _, err := h.fake.Send(h.ctx, "interactive", click); err != nil {
		t.Fatal(err)
	}
	h.wait("both shout-outs, and Dave told", func() bool {
		told := false
		for _, m := range h.ephemerals("UDAVE") {
			told = told || strings.Contains(m.Text, "2 messages are queued again")
		}
		return told && len(h.public()) == 2 && h.outboxEmpty()
	})
	if n := h.deadLetters(); n != 0 {
		t.Errorf("%d dead letters left after sending all of their reason again", n)
	}
}

// TestHelpFollowsDirectory: /refer help shows its admins' section to a workspace owner the
// directory's sync found (no Redis read before the ack), and stops once a sync finds she is no
// longer one; her admin commands are still refused by the directory in Redis.
func TestHelpFollowsDirectory(t *testing.T) {
	h := start(t)
	erinUser := slack.User{ID: "UERIN", Name: "erin", RealName: "Erin Owner", TZ: "America/Phoenix", IsOwner: true,
		Profile: slack.UserProfile{RealName: "Erin Owner", DisplayName: "Erin Owner"}}
	erin := person{h.fake.Workspace(slackfake.TeamID), "UERIN"}
	help := func() string {
		t.Helper()
		ack, err := erin.command(h.ctx, "help")
		if err != nil {
			t.Fatal(err)
		}
		return unjson(ack.Payload)
	}
	if s := help(); strings.Contains(s, "For admins") {
		t.Errorf("help shows the admins' section to a person the directory does not know:\n%s", s)
	}
	h.fake.AddUser(erinUser)
	if err := h.app.single.handlers.SyncMembers(h.ctx); err != nil {
		t.Fatal(err)
	}
	if err := contains(help(), "*For admins*", "/refer outbox", "/refer list"); err != nil {
		t.Errorf("a workspace owner's help: %v", err)
	}
	erinUser.IsOwner = false
	h.fake.AddUser(erinUser)
	if err := h.app.single.handlers.SyncMembers(h.ctx); err != nil {
		t.Fatal(err)
	}
	if s := help(); strings.Contains(s, "For admins") {
		t.Errorf("help still shows the admins' section after the sync demoted her:\n%s", s)
	}
	ack, err := erin.command(h.ctx, "outbox")
	if err != nil {
		t.Fatal(err)
	}
	if err := contains(string(ack.Payload), "Only the group's admins"); err != nil {
		t.Error(err)
	}
}

// An admin cannot correct a referral to passed on: only a pass on makes one, with the new
// receiver's referral; a correction would count a pass on nobody could undo.
func TestCorrectionToPassedRefused(t *testing.T) {
	h := start(t)
	h.referred()
	reply := h.say(h.dave, "set R-1 passed oops")
	if err := contains(reply, "passed on by its receiver", "Nothing changed."); err != nil {
		t.Error(err)
	}
	if ref, err := h.store.Referral(h.ctx, slackfake.TeamID, 1); err != nil || ref.Status != rapport.StatusNew {
		t.Errorf("R-1 after the refused correction: %v, %v; want it still new", ref.Status, err)
	}
	if err := contains(h.say(h.bob, "stats"), "Passed on to a better-placed member: *0*"); err != nil {
		t.Error(err)
	}
}

// A settings form whose save was sent but whose reply never came (Redis slow) is not called "not
// saved": the admin is told it may have been; submitting the same form again saves the same
// values and confirms once.
func TestSettingsSaveInDoubt(t *testing.T) {
	h := startBehindProxy(t)
	h.adminCommand(h.dave, "settings")
	view := h.openedView(h.dave, 1)
	_, initial := settingsInputs(t, view)
	submission := settingsSubmission(initial, map[string]string{rapport.SetFollowUpSLA: "48"})
	h.proxy.HoldReplies(3 * time.Second) // past the handler's 2 s deadline
	ack, err := h.dave.submitView(h.ctx, view, submission)
	h.proxy.HoldReplies(0)
	if err != nil {
		t.Fatal(err)
	}
	said := strings.ToLower(unjson(ack.Payload))
	if !strings.Contains(said, "may have been saved") || strings.Contains(said, "not saved") {
		t.Errorf("ack = %s; want it said the settings may have been saved, never not saved", ack.Payload)
	}
	h.wait("the held save to land", func() bool {
		s, err := h.store.Settings(h.ctx, slackfake.TeamID)
		return err == nil && s[rapport.SetFollowUpSLA] == "48h"
	})
	if ack, err := h.dave.submitView(h.ctx, view, submission); err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("the same form again: %s, %v; want it closed, saved", ack.Payload, err)
	}
	h.wait("the outbox to drain", h.outboxEmpty)
	confirmations := 0
	for _, m := range h.dave.dms() {
		if strings.Contains(messageText(m), "Settings saved") && strings.Contains(messageText(m), "Follow-up window: 2 days") {
			confirmations++
		}
	}
	if confirmations != 1 {
		t.Errorf("Dave got %d confirmations of one change; want 1", confirmations)
	}
}
