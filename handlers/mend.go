package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// Mends and remarks (rule 14): the receiver's Undo and Add a note on their DM, the giver's Edit and
// Ask for an update on theirs. Undo and Ask act inside the ack, in one script each; Edit and Add a
// note open a small form after it.

// Callback IDs of the mend forms.
const (
	callbackNote = "note"
	callbackEdit = "edit"
)

func (h *Handlers) registerMends(mux *bot.Mux) {
	mux.Action(notify.ActionID(rapport.ActUndo), h.fromHome(h.undo))
	mux.Action(notify.ActionID(rapport.ActAsk), h.fromHome(h.askUpdate))
	mux.Action(notify.ActionID(rapport.ActNote), h.fromHome(h.noteClick))
	mux.Action(notify.ActionID(rapport.ActEdit), h.fromHome(h.editClick))
	mux.View(callbackNote, h.submitNote)
	mux.View(callbackEdit, h.submitEdit)
}

// clicked reads a lifecycle button's referral number and who clicked.
func clicked(r *bot.Request) (int64, string, error) {
	act := r.Interaction.ActionCallback.BlockActions[0]
	n, ok := rapport.ParseID(act.Value)
	if !ok {
		return 0, "", fmt.Errorf("button %s with value %q", act.ActionID, act.Value)
	}
	return n, r.Interaction.User.ID, nil
}

// mendMove is m with its time and the messages it owes.
func (h *Handlers) mendMove(m rapport.Move) rapport.Move {
	m.Now = h.now()
	m.Notify = notify.Notices(notify.Change{Move: &m, Settings: h.settings.Snapshot()})
	return m
}

// undo takes back the receiver's last step. Past the window it is refused, and their DM is redrawn
// without Undo.
func (h *Handlers) undo(ctx context.Context, r *bot.Request) (any, error) {
	n, user, err := clicked(r)
	if err != nil {
		return nil, err
	}
	m := h.mendMove(rapport.Move{Team: r.Team, Ref: n, Actor: user, Action: rapport.ActUndo, Role: rapport.RoleReceiver})
	moved, err := h.store.Undo(ctx, m, []rapport.Notice{notify.ReceiverUpdate.Notice(rapport.RoleReceiver)})
	var refused *rapport.Refused
	if errors.As(err, &refused) {
		return nil, mendRefusal(refused, rapport.ActUndo)
	}
	if err != nil {
		return nil, err
	}
	h.log.Info("step undone", zap.String("referral", rapport.FormatID(n)), zap.String("user", user),
		zap.String("from", string(moved.From)), zap.String("to", string(moved.Referral.Status)))
	return nil, nil
}

// askUpdate passes the giver's ask for an update to the receiver, once every rapport.AskEvery.
func (h *Handlers) askUpdate(ctx context.Context, r *bot.Request) (any, error) {
	n, user, err := clicked(r)
	if err != nil {
		return nil, err
	}
	m := h.mendMove(rapport.Move{Team: r.Team, Ref: n, Actor: user, Action: rapport.ActAsk, Role: rapport.RoleGiver})
	_, err = h.store.Remark(ctx, m)
	var refused *rapport.Refused
	if errors.As(err, &refused) {
		return nil, mendRefusal(refused, rapport.ActAsk)
	}
	if err != nil {
		return nil, err
	}
	h.log.Info("update asked", zap.String("referral", rapport.FormatID(n)), zap.String("user", user))
	return nil, nil
}

// mendRefusal words a refused mend or remark for the person who clicked.
func mendRefusal(r *rapport.Refused, a rapport.Action) error {
	id := rapport.FormatID(r.Ref)
	switch r.Reason {
	case "forbidden":
		if a.Actor() == rapport.RoleGiver {
			return rapport.Errorf(rapport.EFORBIDDEN, "Only %s, who gave %s, can %s it.", kit.Mention(r.Giver), id, strings.ToLower(a.Label()))
		}
		return rapport.Errorf(rapport.EFORBIDDEN, "Only %s can update %s.", kit.Mention(r.Receiver), id)
	case "late":
		return rapport.Errorf(rapport.EINVALID, "Too late to undo: a step can be undone within %d minutes of it. %s stays *%s*: tap the step that is true now, or *Add a note* for %s.",
			int(rapport.UndoWindow.Minutes()), id, r.Status.Label(), kit.Mention(r.Giver))
	case "nothing":
		return rapport.Errorf(rapport.EINVALID, "There is no step of yours on %s to undo. Nothing changed.", id)
	case "passed":
		return rapport.Errorf(rapport.EINVALID, "You passed %s on: the new receiver has it now, so it can't be undone. Nothing changed; if it should come back to you, ask them or %s.", id, kit.Mention(r.Giver))
	case "soon":
		return rapport.Errorf(rapport.EINVALID, "You asked %s about %s less than %s ago. You can ask again from %s.",
			kit.Mention(r.Receiver), id, kit.Duration(rapport.AskEvery), slackTime(r.Until))
	case "changed":
		return rapport.Errorf(rapport.EINVALID, "%s changed while you were editing it. Nothing was saved: close this form and press *Edit* again.", id)
	}
	switch a {
	case rapport.ActEdit:
		return rapport.Errorf(rapport.EINVALID, "%s is already *%s*, so it can no longer be edited: %s has acted on it. Nothing was changed; to correct a detail, tell %s, or add it in a note.",
			id, r.Status.Label(), kit.Mention(r.Receiver), kit.Mention(r.Receiver))
	case rapport.ActAsk:
		return rapport.Errorf(rapport.EINVALID, "%s is *%s*: there is nothing left to ask about.", id, r.Status.Label())
	case rapport.ActNote:
		return rapport.Errorf(rapport.EINVALID, "%s is *%s*: a note is for a referral you are working on.", id, r.Status.Label())
	}
	return refusal(r, a)
}

// slackTime shows a time, date and hour, in the reader's own time zone.
func slackTime(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("Jan 2 15:04 UTC"))
}

// noteClick opens the small form of a note for the giver, for the receiver after a step.
func (h *Handlers) noteClick(ctx context.Context, r *bot.Request) (any, error) {
	return h.openMendForm(ctx, r, rapport.ActNote, func(ref rapport.Referral) string { return ref.Receiver },
		rapport.NoteAllowed, noteModal)
}

// openMendForm answers a click that opens a mend's form (a note, an edit): the referral is read
// once, the click refused in words unless it is the member whose form it is (whose) and the
// status allows it, and the form is opened after the ack with the click's trigger.
func (h *Handlers) openMendForm(ctx context.Context, r *bot.Request, act rapport.Action, whose func(rapport.Referral) string,
	allowed func(rapport.Status) bool, form func(rapport.Referral) slack.ModalViewRequest) (any, error) {
	n, user, err := clicked(r)
	if err != nil {
		return nil, err
	}
	ref, err := h.store.Referral(ctx, r.Team, n)
	if err != nil {
		return nil, err
	}
	refused := &rapport.Refused{Ref: n, Status: ref.Status, Receiver: ref.Receiver, Giver: ref.Giver}
	switch {
	case user != whose(ref):
		refused.Reason = "forbidden"
	case !allowed(ref.Status):
		refused.Reason = "status"
	}
	if refused.Reason != "" {
		return nil, mendRefusal(refused, act)
	}
	trigger := r.Interaction.TriggerID
	r.After(func(ctx context.Context) error {
		if _, err := h.api.OpenViewContext(ctx, trigger, form(ref)); err != nil {
			return fmt.Errorf("views.open %s: %w", act, err)
		}
		return nil
	})
	return nil, nil
}

// noteModal is the form of a note for the giver of ref.
func noteModal(ref rapport.Referral) slack.ModalViewRequest {
	note := textInputBlock(blockNote, "Your note for the giver", rapport.MaxMoveNote)
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: callbackNote, PrivateMetadata: strconv.FormatInt(ref.Number, 10),
		Title: kit.Plain("Add a note"), Submit: kit.Plain("Send"), Close: kit.Plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			kit.Section(fmt.Sprintf("*%s*: %s. %s gets your note by DM.", ref.ID(), notify.ProspectLine(ref.Prospect), kit.Mention(ref.Giver))),
			note,
		}},
	}
}

// submitNote records the note on the timeline and sends it to the giver.
func (h *Handlers) submitNote(ctx context.Context, r *bot.Request) (any, error) {
	v := r.Interaction.View
	n, ok := rapport.ParseID(v.PrivateMetadata)
	if !ok {
		return nil, fmt.Errorf("note form without a referral (%q)", v.PrivateMetadata)
	}
	var note string
	if v.State != nil {
		note = strings.TrimSpace(v.State.Values[blockNote][InputAction].Value)
	}
	switch c := utf8.RuneCountInString(note); {
	case c == 0:
		return bot.FieldErrorsAck(rapport.FieldErrors{blockNote: "A few words, please: the giver will read them."}), nil
	case c > rapport.MaxMoveNote:
		return bot.FieldErrorsAck(rapport.FieldErrors{blockNote: fmt.Sprintf("Keep this under %d characters (it has %d).", rapport.MaxMoveNote, c)}), nil
	}
	user := r.Interaction.User.ID
	m := h.mendMove(rapport.Move{Team: r.Team, Ref: n, Actor: user, Action: rapport.ActNote, Role: rapport.RoleReceiver, Note: note})
	_, err := h.store.Remark(ctx, m)
	var refused *rapport.Refused
	if errors.As(err, &refused) {
		return bot.FieldErrorsAck(rapport.FieldErrors{blockNote: rapport.ErrorMessage(mendRefusal(refused, rapport.ActNote))}), nil
	}
	if err != nil {
		return nil, err
	}
	h.log.Info("note added", zap.String("referral", rapport.FormatID(n)), zap.String("user", user))
	return nil, nil
}

// editClick opens the referral form filled in with a new referral's details, for its giver.
func (h *Handlers) editClick(ctx context.Context, r *bot.Request) (any, error) {
	return h.openMendForm(ctx, r, rapport.ActEdit, func(ref rapport.Referral) string { return ref.Giver },
		rapport.EditAllowed, editModal)
}

// editModal is the referral form with ref's details, without what an edit does not change: the
// receiver, the qualification facts, and the note of a member who passed it on; its need input
// sends no actions, since there is no receiver to suggest. Its
// private_metadata is "<number>:<version>".
func editModal(ref rapport.Referral) slack.ModalViewRequest {
	d := ref.Draft
	d.Prospect.Phone = displayPhone(d.Prospect.Phone)
	v := referralModal(formState{draft: d})
	keep := []slack.Block{kit.Section(fmt.Sprintf("*%s* to %s. %s will be told what you change.", ref.ID(), kit.Mention(ref.Receiver), kit.Mention(ref.Receiver)))}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			switch in.BlockID {
			case rapport.FieldReceiver, rapport.FieldFacts, rapport.FieldConfirm:
				continue
			case rapport.FieldNote:
				if ref.PassedBy != "" {
					continue
				}
			case rapport.FieldNeed:
				b = quietNeed(in) // the receiver is chosen: nobody to suggest
			}
		}
		keep = append(keep, b)
	}
	v.Blocks.BlockSet = keep
	v.CallbackID = callbackEdit
	v.PrivateMetadata = strconv.FormatInt(ref.Number, 10) + ":" + strconv.FormatInt(ref.Version, 10)
	v.Title, v.Submit = kit.Plain("Edit referral"), kit.Plain("Save changes")
	return v
}

func displayPhone(e164 string) string {
	if e164 == "" {
		return ""
	}
	return rapport.DisplayPhone(e164)
}

// submitEdit saves the giver's edit while the referral is new: the same validation as the form's;
// refused with a notice once the receiver has acted.
func (h *Handlers) submitEdit(ctx context.Context, r *bot.Request) (any, error) {
	v := r.Interaction.View
	num, ver, _ := strings.Cut(v.PrivateMetadata, ":")
	n, ok := rapport.ParseID(num)
	version, err := strconv.ParseInt(ver, 10, 64)
	if !ok || err != nil {
		return nil, fmt.Errorf("edit form without a referral (%q)", v.PrivateMetadata)
	}
	user := r.Interaction.User.ID
	ref, err := h.store.Referral(ctx, r.Team, n)
	if err != nil {
		return nil, err
	}
	raw, _, _ := draftFrom(user, v.State)
	raw.Receiver, raw.Facts = ref.Receiver, ref.Facts
	if ref.PassedBy != "" {
		raw.Note = ref.Note // the note of the member who passed it on is theirs
	}
	d, errs := rapport.Validate(raw)
	if len(errs) > 0 {
		return bot.FieldErrorsAck(errs), nil
	}
	changed := rapport.Changes(ref.Draft, d)
	if len(changed) == 0 {
		return nil, nil // nothing to save, nobody to tell
	}
	e := rapport.Edit{Team: r.Team, Ref: n, Actor: user, Draft: d, Changed: changed, Version: version, Now: h.now()}
	e.Notify = notify.Notices(notify.Change{Move: &rapport.Move{Team: r.Team, Ref: n, Actor: user, Action: rapport.ActEdit, Role: rapport.RoleGiver},
		Settings: h.settings.Snapshot()})
	_, err = h.store.Edit(ctx, e)
	var refused *rapport.Refused
	if errors.As(err, &refused) {
		return nil, mendRefusal(refused, rapport.ActEdit)
	}
	var taken *rapport.ProspectTaken
	if errors.As(err, &taken) {
		// Rule 8: not a second competitor for one prospect unknowingly. An edit has no "Send
		// anyway": withdrawing and referring again has.
		field := rapport.FieldEmail // under the contact the edit changed, the email when both
		if d.Prospect.Email == "" || !slices.Contains(changed, rapport.FieldEmail) && slices.Contains(changed, rapport.FieldPhone) {
			field = rapport.FieldPhone
		}
		return bot.FieldErrorsAck(rapport.FieldErrors{field: fmt.Sprintf(
			"This contact has an open referral to another member (%s). If it is the same prospect, withdraw this one instead; if not, check the contact.",
			rapport.FormatID(taken.Number))}), nil
	}
	if err != nil {
		return nil, err
	}
	h.log.Info("referral edited", zap.String("referral", rapport.FormatID(n)), zap.String("user", user), zap.Strings("changed", changed))
	return nil, nil
}
