package handlers

import (
	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/slack-go/slack"
)

// callbackRefer is the callback_id of the referral modal.
const callbackRefer = "refer"

// InputAction is every input's action_id: the block_id (a rapport field name) says which input it is.
const InputAction = "value"

// Values of the form's checkboxes, as Slack echoes them back in a submission.
const (
	FactSpoke    = "spoke"
	FactMayShare = "may_share"
	FactExpects  = "expects"
	ConfirmSend  = "send_anyway"
)

var factOptions = []*slack.OptionBlockObject{
	slack.NewOptionBlockObject(FactSpoke, kit.Plain("I spoke with them about this member"), nil),
	slack.NewOptionBlockObject(FactMayShare, kit.Plain("They said I may share their contact"), nil),
	slack.NewOptionBlockObject(FactExpects, kit.Plain("They expect the call"), nil),
}

// taken, when set, is the open referral someone else has for this prospect: the form then shows who
// has it and asks the giver to confirm (rule 8).
type formState struct {
	draft rapport.Draft
	taken *rapport.ProspectTaken
}

// referralModal is the /refer form, filled in with what is known.
func referralModal(st formState) slack.ModalViewRequest {
	d := st.draft
	var blocks []slack.Block
	if st.taken != nil {
		blocks = append(blocks,
			kit.Section(":warning: *This prospect already has an open referral.* "+kit.Mention(st.taken.Receiver)+
				" has "+rapport.FormatID(st.taken.Number)+" for the same email or phone. Sending two members to one prospect can cost the group their trust."),
			confirmInput(),
			slack.NewDividerBlock(),
		)
	}
	receiver := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, kit.Plain("Choose a member"), InputAction)
	if d.Receiver != "" {
		receiver.InitialUser = d.Receiver
	}
	blocks = append(blocks,
		slack.NewInputBlock(rapport.FieldReceiver, kit.Plain("Who should receive it?"), nil, receiver),
		textInput(rapport.FieldName, "Prospect's name", d.Prospect.Name, false, false),
		textInput(rapport.FieldCompany, "Company", d.Prospect.Company, true, false),
		// Each of the two may be left empty, not both: Validate asks for one (Slack's "optional"
		// is per field), and the labels say so.
		textInput(rapport.FieldPhone, "Phone — phone or email: at least one", d.Prospect.Phone, true, false),
		textInput(rapport.FieldEmail, "Email — phone or email: at least one", d.Prospect.Email, true, false),
		needInput(d.Need),
		textInput(rapport.FieldBestTime, "Best time and way to reach them", d.BestTime, true, false),
		factsInput(d.Facts),
		textInput(rapport.FieldNote, "Note to the receiver", d.Note, true, true),
	)
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: callbackRefer,
		Title:      kit.Plain("Give a referral"),
		Submit:     kit.Plain("Send referral"),
		Close:      kit.Plain("Cancel"),
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

func textInput(field, label, value string, optional, multiline bool) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(nil, InputAction)
	el.InitialValue = value
	el.Multiline = multiline
	el.MaxLength = rapport.MaxLen(field)
	in := slack.NewInputBlock(field, kit.Plain(label), nil, el)
	in.Optional = optional
	return in
}

func factsInput(f rapport.Facts) *slack.InputBlock {
	el := slack.NewCheckboxGroupsBlockElement(InputAction, factOptions...)
	for i, on := range []bool{f.Spoke, f.MayShare, f.Expects} {
		if on {
			el.InitialOptions = append(el.InitialOptions, factOptions[i])
		}
	}
	in := slack.NewInputBlock(rapport.FieldFacts, kit.Plain("Is it qualified?"),
		kit.Plain("All three make it a hot referral; none makes it a cold lead."), el)
	in.Optional = true
	return in
}

func confirmInput() *slack.InputBlock {
	el := slack.NewCheckboxGroupsBlockElement(InputAction,
		slack.NewOptionBlockObject(ConfirmSend, kit.Plain("Send anyway"), nil))
	return slack.NewInputBlock(rapport.FieldConfirm, kit.Plain("Send it anyway?"), nil, el)
}

// draftFrom reads the submitted form. confirm reports whether the form had the "Send anyway" step
// and whether it was ticked.
func draftFrom(giver string, state *slack.ViewState) (d rapport.Draft, hasConfirm, confirmed bool) {
	get := func(field string) slack.BlockAction {
		if state == nil {
			return slack.BlockAction{}
		}
		if field == rapport.FieldNeed {
			return state.Values[field][ActionNeed]
		}
		return state.Values[field][InputAction]
	}
	d = rapport.Draft{
		Giver:    giver,
		Receiver: get(receiverBlock(state)).SelectedUser,
		Prospect: rapport.Prospect{
			Name:    get(rapport.FieldName).Value,
			Company: get(rapport.FieldCompany).Value,
			Phone:   get(rapport.FieldPhone).Value,
			Email:   get(rapport.FieldEmail).Value,
		},
		Need:     get(rapport.FieldNeed).Value,
		BestTime: get(rapport.FieldBestTime).Value,
		Note:     get(rapport.FieldNote).Value,
	}
	d.Facts = factsFrom(get(rapport.FieldFacts).SelectedOptions)
	if state != nil {
		if c, ok := state.Values[rapport.FieldConfirm]; ok {
			hasConfirm = true
			for _, o := range c[InputAction].SelectedOptions {
				confirmed = confirmed || o.Value == ConfirmSend
			}
		}
	}
	return d, hasConfirm, confirmed
}

// factsFrom reads the ticked qualification checkboxes, of the referral form or a pass-on form.
func factsFrom(ticked []slack.OptionBlockObject) rapport.Facts {
	var f rapport.Facts
	for _, o := range ticked {
		switch o.Value {
		case FactSpoke:
			f.Spoke = true
		case FactMayShare:
			f.MayShare = true
		case FactExpects:
			f.Expects = true
		}
	}
	return f
}
