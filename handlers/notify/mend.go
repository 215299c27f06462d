package notify

import (
	"fmt"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/slack-go/slack"
)

// changedLabels names the fields an edit changed, as the receiver reads them: "phone, what they need".
func changedLabels(fields []string) string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = rapport.FieldLabel(f)
	}
	return strings.Join(out, ", ")
}

// editedValue is how long a changed field's new value may be in "what changed": the DM above has it whole.
const editedValue = 300

// edited tells the receiver the giver edited a new referral: which fields changed, with their new
// values (the receiver may see the contact details, rule 10); their DM was redrawn in place.
func edited(s referralState) bot.Delivery {
	ref, e := s.ref, s.event
	text := fmt.Sprintf(":pencil2: %s edited *%s* (%s): %s changed. Your referral message shows the new details.",
		kit.Mention(e.Actor), ref.ID(), kit.Esc(ref.Prospect.Name), changedLabels(e.Changed))
	var lines []string
	contact := false // a new phone or email shown: without consent, said beside it (rule 13)
	for _, f := range e.Changed {
		v := ref.Field(f)
		contact = contact || v != "" && (f == rapport.FieldPhone || f == rapport.FieldEmail)
		switch {
		case v == "":
			v = "_(removed)_"
		case f == rapport.FieldPhone:
			v = kit.Esc(rapport.DisplayPhone(v))
		default:
			v = kit.EscClip(v, editedValue)
		}
		lines = append(lines, "*"+strings.ToUpper(rapport.FieldLabel(f)[:1])+rapport.FieldLabel(f)[1:]+":* "+v)
	}
	blocks := []slack.Block{kit.Section(text)}
	if len(lines) > 0 {
		blocks = append(blocks, kit.Section(strings.Join(lines, "\n")))
	}
	if contact && !ref.Facts.MayShare {
		blocks = append(blocks, kit.Context(noConsentLine(ref)))
	}
	return bot.Delivery{Channel: s.to, Text: text, Blocks: blocks}
}

// asked passes the giver's ask for an update to the receiver, with the buttons that answer it.
func asked(s referralState) bot.Delivery {
	ref := s.ref
	text := fmt.Sprintf(":wave: %s asks how *%s* with %s is going. One tap tells them where it stands.",
		kit.Mention(ref.Giver), ref.ID(), ProspectLine(ref.Prospect))
	acts := rapport.ReceiverActions(ref.Status)
	if rapport.NoteAllowed(ref.Status) {
		acts = append(acts, rapport.ActNote)
	}
	return nudgePost(ref.Receiver, text, ref, acts...)
}
