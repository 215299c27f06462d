package handlers

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
)

// messageAction is a message_action payload in the shape Slack delivers it (as the official SDKs'
// captures show), with the message's fields filled in by the test.
func messageAction(t *testing.T, message map[string]any) slack.InteractionCallback {
	t.Helper()
	p := map[string]any{
		"type": "message_action", "token": "tok", "action_ts": "1700000100.000200",
		"team":        map[string]any{"id": "T0FAKE", "domain": "rapport-group"},
		"user":        map[string]any{"id": "UALICE", "name": "alice", "team_id": "T0FAKE"},
		"channel":     map[string]any{"id": "C0GENERAL", "name": "general"},
		"callback_id": "refer_message", "trigger_id": "1.2.abc", "message_ts": message["ts"],
		"message": message, "response_url": "https://hooks.slack.com/app/T0FAKE/1/x",
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var in slack.InteractionCallback
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

var shortcutMembers = map[string]rapport.Member{
	"UALICE": {ID: "UALICE", Name: "Alice Moreno"},
	"UBOB":   {ID: "UBOB", Name: "Bob Chen"},
	"UCAROL": {ID: "UCAROL", Name: "Carol Singh"},
	"UGONE":  {ID: "UGONE", Name: "Gone", Deleted: true},
	"UAPP":   {ID: "UAPP", Name: "Some App", IsBot: true},
}

// TestMessageDraftFromACraftedMessage: a message of 5,000 characters with mrkdwn, mentions, a
// broadcast, a hidden link and escapes fills in a need the form takes (at most the need's limit,
// cut between words) that reads as its reader saw it and holds no markup that could ping or hide a
// link once drawn.
func TestMessageDraftFromACraftedMessage(t *testing.T) {
	head := "<!channel> *Urgent:* anyone know a roofer? <@UBOB> said <https://evil.example/x|his site> " +
		"was down &amp; my &lt;b&gt;garage&lt;/b&gt; leaks. "
	text := head + strings.Repeat("Water everywhere. ", 5000/18+1)
	text = text[:5000]
	in := messageAction(t, map[string]any{"type": "message", "user": "UCAROL", "ts": "1700000000.000100",
		"text": text, "client_msg_id": "0b1c2d3e-0000-4000-8000-000000000000", "team": "T0FAKE"})
	d := messageDraft("UALICE", in, shortcutMembers)

	limit := rapport.MaxLen(rapport.FieldNeed)
	if n := utf8.RuneCountInString(d.Need); n > limit || n < limit-20 {
		t.Errorf("need has %d characters; want the most of %d that ends a word", n, limit)
	}
	if !strings.HasSuffix(d.Need, "everywhere.…") {
		t.Errorf("need ends %q; want a whole word and …", d.Need[len(d.Need)-30:])
	}
	wantStart := "@channel *Urgent:* anyone know a roofer? @Bob Chen said his site was down & my <b>garage</b> leaks. Water"
	if !strings.HasPrefix(d.Need, wantStart) {
		t.Errorf("need starts %q;\nwant %q", d.Need[:len(wantStart)], wantStart)
	}
	for _, markup := range []string{"<!", "<@", "<http", "evil.example", "&amp;", "&lt;"} {
		if strings.Contains(d.Need, markup) {
			t.Errorf("need holds %q", markup)
		}
	}
	if d.Receiver != "" {
		t.Errorf("receiver = %s; Carol asks for a roofer, she is not the one to refer to", d.Receiver)
	}
	if _, errs := rapport.Validate(rapport.Draft{Giver: "UALICE", Receiver: "UBOB", Need: d.Need, Note: d.Note,
		Prospect: rapport.Prospect{Name: "Carol", Phone: "480-555-0100"}}); errs[rapport.FieldNeed] != "" || errs[rapport.FieldNote] != "" {
		t.Errorf("the form's own check refuses the draft: %v", errs)
	}
	if want := "From Carol Singh's message in Slack: https://rapport-group.slack.com/archives/C0GENERAL/p1700000000000100"; d.Note != want {
		t.Errorf("note = %q, want %q", d.Note, want)
	}
}

func TestMessageDraftReceiver(t *testing.T) {
	const offer = "We do commercial roofing, evenings too"
	tests := []struct {
		name    string
		giver   string
		message map[string]any
		want    string
	}{
		{"AuthorOffers", "UALICE", map[string]any{"user": "UBOB", "text": offer}, "UBOB"},
		{"AuthorAsks", "UALICE", map[string]any{"user": "UBOB", "text": "Can anyone recommend a roofer?"}, ""},
		{"AuthorIsTheGiver", "UBOB", map[string]any{"user": "UBOB", "text": offer}, ""},
		{"AuthorDeactivated", "UALICE", map[string]any{"user": "UGONE", "text": offer}, ""},
		{"AuthorUnknown", "UALICE", map[string]any{"user": "UNEW", "text": offer}, ""},
		{"AppMessage", "UALICE", map[string]any{"user": "UAPP", "bot_id": "BAPP", "text": offer}, ""},
		{"BotMessageSubtype", "UALICE", map[string]any{"user": "UBOB", "subtype": "bot_message", "bot_id": "B1", "text": offer}, ""},
		{"NoDirectory", "UALICE", map[string]any{"user": "UBOB", "text": offer, "nodir": true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			members := shortcutMembers
			if tt.message["nodir"] == true {
				members = nil
				delete(tt.message, "nodir")
			}
			tt.message["type"], tt.message["ts"] = "message", "1700000000.000100"
			d := messageDraft(tt.giver, messageAction(t, tt.message), members)
			if d.Receiver != tt.want {
				t.Errorf("receiver = %q, want %q", d.Receiver, tt.want)
			}
			if d.Need != tt.message["text"] {
				t.Errorf("need = %q, want the message's text", d.Need)
			}
		})
	}
}

func TestMessageDraftNote(t *testing.T) {
	t.Run("NoText", func(t *testing.T) {
		// A message of only a file: nothing to copy, the giver says the need; the link still helps.
		d := messageDraft("UALICE", messageAction(t, map[string]any{"type": "message", "subtype": "file_share",
			"user": "UBOB", "ts": "1700000000.000100", "text": ""}), shortcutMembers)
		if d.Need != "" || !strings.Contains(d.Note, "/archives/C0GENERAL/p1700000000000100") {
			t.Errorf("draft = %+v; want no need and the link", d)
		}
	})
	t.Run("AppMessageNamesNoOne", func(t *testing.T) {
		d := messageDraft("UALICE", messageAction(t, map[string]any{"type": "message", "user": "UAPP", "bot_id": "BAPP",
			"ts": "1700000000.000100", "text": "Deploy finished"}), shortcutMembers)
		if !strings.HasPrefix(d.Note, "From a message in Slack: https://") {
			t.Errorf("note = %q", d.Note)
		}
	})
	t.Run("ThreadReply", func(t *testing.T) {
		d := messageDraft("UALICE", messageAction(t, map[string]any{"type": "message", "user": "UBOB",
			"ts": "1700000050.000300", "thread_ts": "1700000000.000100", "text": "x"}), shortcutMembers)
		want := "https://rapport-group.slack.com/archives/C0GENERAL/p1700000050000300?thread_ts=1700000000.000100&cid=C0GENERAL"
		if !strings.HasSuffix(d.Note, want) {
			t.Errorf("note = %q, want it to end %q", d.Note, want)
		}
	})
	for _, bad := range []struct{ domain, channel, ts string }{
		{"", "C0GENERAL", "1700000000.000100"},
		{"evil.example/x?", "C0GENERAL", "1700000000.000100"},
		{"rapport-group", "C0GEN/../x", "1700000000.000100"},
		{"rapport-group", "C0GENERAL", "1700000000"},
	} {
		if got := messagePermalink(bad.domain, bad.channel, bad.ts, ""); got != "" {
			t.Errorf("messagePermalink(%q, %q, %q) = %q; want no link", bad.domain, bad.channel, bad.ts, got)
		}
	}
}
