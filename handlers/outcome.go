package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
)

// Block IDs of the outcome forms.
const (
	blockValue    = "value"
	blockCurrency = "currency"
	blockNote     = "note"
	blockLinkNote = "link_note" // a withdrawal's note to the member it refers to instead
	blockMember   = "member"
	blockFacts    = "facts"
	maxValue      = 1_000_000_000_00 // a billion, in cents: past that it is a typo
)

// outcomeForm is the small form a step that needs words opens.
type outcomeForm struct {
	title, submit, noteLabel string
	noteRequired             bool
	member                   string // label of the member picker, "" for none
	memberRequired           bool
	value                    bool
	facts                    string // label of the qualification facts asked again for the new receiver, "" for none
	// linkNote labels a note of its own to the new receiver ("" : the note is theirs too).
	linkNote string
}

var outcomeForms = map[rapport.Action]outcomeForm{
	rapport.ActWon:     {title: "Closed business", submit: "Record it", noteLabel: "A thank-you note to the giver (shown in the public shout-out)", value: true},
	rapport.ActLost:    {title: "Didn't close", submit: "Record it", noteLabel: "What happened? (the giver sees this)"},
	rapport.ActDecline: {title: "Not a fit", submit: "Send", noteLabel: "Why isn't it a fit? (the giver sees this)", noteRequired: true},
	rapport.ActPassOn:  {title: "Pass it on", submit: "Pass it on", noteLabel: "A note to the new receiver", member: "Pass it on to", memberRequired: true, facts: "What have you told the prospect about the new receiver?"},
	rapport.ActWithdraw: {title: "Withdraw referral", submit: "Withdraw", noteLabel: "A note to the receiver you withdraw it from", member: "Refer the prospect to someone else instead (optional)", facts: "If you refer them to someone else: what have you told the prospect about that member?",
		linkNote: "A note to the member you refer them to (only they read it)"},
}

// linkFactOptions ask the qualification facts again when a referral goes to a new receiver (pass
// on, withdraw and refer again): the first answers were about the first receiver (rule 12). They
// start unticked, so nothing is vouched for that the mover did not say.
var linkFactOptions = []*slack.OptionBlockObject{
	slack.NewOptionBlockObject(FactSpoke, kit.Plain("I spoke with them about the new receiver"), nil),
	slack.NewOptionBlockObject(FactMayShare, kit.Plain("They allowed me to share their contact"), nil),
	slack.NewOptionBlockObject(FactExpects, kit.Plain("They expect the new receiver's call"), nil),
}

func outcomeCallback(a rapport.Action) string { return "move:" + string(a) }

// outcomeModal is the form of action a on ref, closed values in the group's currency unless the
// receiver says otherwise; its private_metadata is the referral's number.
func outcomeModal(a rapport.Action, ref rapport.Referral, currency string) slack.ModalViewRequest {
	f := outcomeForms[a]
	blocks := []slack.Block{kit.Section(fmt.Sprintf("*%s*: %s, from %s to %s.", ref.ID(), notify.ProspectLine(ref.Prospect), kit.Mention(ref.Giver), kit.Mention(ref.Receiver)))}
	if f.value {
		amount := slack.NewPlainTextInputBlockElement(kit.Plain("e.g. 2500 or 2,500.00"), InputAction)
		amount.MaxLength = 20
		blocks = append(blocks, slack.NewInputBlock(blockValue, kit.Plain("Value of the business"), nil, amount))
		cur := slack.NewPlainTextInputBlockElement(nil, InputAction)
		cur.InitialValue, cur.MaxLength = currency, 3
		blocks = append(blocks, slack.NewInputBlock(blockCurrency, kit.Plain("Currency"), nil, cur))
	}
	if f.member != "" {
		in := slack.NewInputBlock(blockMember, kit.Plain(f.member), nil,
			slack.NewOptionsSelectBlockElement(slack.OptTypeUser, kit.Plain("Choose a member"), InputAction))
		in.Optional = !f.memberRequired
		blocks = append(blocks, in)
	}
	if f.facts != "" {
		in := slack.NewInputBlock(blockFacts, kit.Plain(f.facts),
			kit.Plain("Answer for the new receiver, not the first: all three make it a hot referral for them; none, a cold lead."),
			slack.NewCheckboxGroupsBlockElement(InputAction, linkFactOptions...))
		in.Optional = true
		blocks = append(blocks, in)
	}
	if f.linkNote != "" {
		linkNote := textInputBlock(blockLinkNote, f.linkNote, rapport.MaxMoveNote)
		linkNote.Optional = true
		blocks = append(blocks, linkNote)
	}
	note := textInputBlock(blockNote, f.noteLabel, rapport.MaxMoveNote)
	note.Optional = !f.noteRequired
	blocks = append(blocks, note)
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: outcomeCallback(a), PrivateMetadata: strconv.FormatInt(ref.Number, 10),
		Title: kit.Plain(f.title), Submit: kit.Plain(f.submit), Close: kit.Plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

func textInputBlock(blockID, label string, max int) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(nil, InputAction)
	el.Multiline, el.MaxLength = true, max
	return slack.NewInputBlock(blockID, kit.Plain(label), nil, el)
}

// submitOutcome applies the step its form was opened for; field errors keep the form open.
func (h *Handlers) submitOutcome(ctx context.Context, r *bot.Request) (any, error) {
	v := r.Interaction.View
	a := rapport.Action(strings.TrimPrefix(v.CallbackID, "move:"))
	f := outcomeForms[a]
	n, ok := rapport.ParseID(v.PrivateMetadata)
	if !ok {
		return nil, fmt.Errorf("outcome form %s without a referral (%q)", a, v.PrivateMetadata)
	}
	get := func(block string) slack.BlockAction {
		if v.State == nil {
			return slack.BlockAction{}
		}
		return v.State.Values[block][InputAction]
	}
	m := rapport.Move{Team: r.Team, Ref: n, Actor: r.Interaction.User.ID, Action: a, Role: a.Actor(),
		Note: strings.TrimSpace(get(blockNote).Value), LinkTo: get(blockMember).SelectedUser}
	m.LinkNote = m.Note // a pass on's one note is the new receiver's too
	if f.linkNote != "" {
		m.LinkNote = strings.TrimSpace(get(blockLinkNote).Value)
	}
	if f.facts != "" {
		m.LinkFacts = factsFrom(get(blockFacts).SelectedOptions)
	}
	errs := rapport.FieldErrors{}
	if f.noteRequired && m.Note == "" {
		errs[blockNote] = "A few words, please: the giver will read them."
	}
	if c := utf8.RuneCountInString(m.Note); c > rapport.MaxMoveNote {
		errs[blockNote] = fmt.Sprintf("Keep this under %d characters (it has %d).", rapport.MaxMoveNote, c)
	}
	if c := utf8.RuneCountInString(m.LinkNote); f.linkNote != "" && c > rapport.MaxMoveNote {
		errs[blockLinkNote] = fmt.Sprintf("Keep this under %d characters (it has %d).", rapport.MaxMoveNote, c)
	}
	if f.memberRequired && m.LinkTo == "" {
		errs[blockMember] = "Choose the member to pass it on to."
	}
	if f.value {
		cents, err := parseMoney(get(blockValue).Value)
		if err != nil {
			errs[blockValue] = err.Error()
		}
		cur := strings.ToUpper(strings.TrimSpace(get(blockCurrency).Value))
		if !isCurrency(cur) {
			errs[blockCurrency] = "Use a three-letter currency code, such as USD, EUR or GBP."
		}
		m.Value, m.Currency = cents, cur
	}
	if len(errs) > 0 {
		return bot.FieldErrorsAck(errs), nil
	}
	_, err := h.move(ctx, m)
	var fe rapport.FieldErrors
	if errors.As(err, &fe) {
		// The linked member cannot receive it: say so under the picker.
		return bot.FieldErrorsAck(rapport.FieldErrors{blockMember: fe[rapport.FieldReceiver]}), nil
	}
	return nil, err
}

// parseMoney reads an amount as people type it ($2,500.50) into cents.
func parseMoney(s string) (int64, error) {
	s = strings.NewReplacer(",", "", "$", "", "€", "", "£", "", " ", "").Replace(strings.TrimSpace(s))
	bad := fmt.Errorf("Type the value as a number, such as 2500 or 2,500.00.")
	if s == "" {
		return 0, fmt.Errorf("What was the business worth? A number such as 2500.")
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" && frac == "" {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(orZero(whole), 10, 64)
	c, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || c < 0 {
		return 0, bad
	}
	cents := w*100 + c
	if w > maxValue/100 {
		return 0, fmt.Errorf("That is more than a billion: check for a typo.")
	}
	return cents, nil
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
