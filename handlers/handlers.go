// Package handlers is the Slack face of Rapport's domain: the /refer command and its subcommands,
// the referral modal and its submission, the buttons of DMs and the App Home. The messages the
// outbox delivers are drawn by the message catalogue, handlers/notify.
// Handlers answer within the ack (one Redis round trip, no Slack call) and leave Slack calls to
// after-ack work or to the outbox.
package handlers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// Store is what the handlers keep in Redis: one small interface per feature, each declared beside
// the code that uses it.
type Store interface {
	ReferralStore
	SettingsStore
	SocialStore
	HomeStore
	ExportStore
	OutboxStore
	LeaderStore
	WelcomeStore
	ShortcutStore
	OneOnOneStore
	StepStore
	PairingStore
}

// ReferralStore keeps referrals, their timelines and the member directory.
type ReferralStore interface {
	CreateReferral(ctx context.Context, s rapport.Submission) (ref rapport.Referral, replayed bool, err error)
	Referral(ctx context.Context, team string, n int64) (rapport.Referral, error)
	Timeline(ctx context.Context, team string, n int64) (rapport.Referral, []rapport.Event, error)
	Move(ctx context.Context, m rapport.Move) (rapport.Moved, error)
	// Undo, Remark and Edit are the mends and remarks of mend.go; late are the messages an undo
	// refused as late owes.
	Undo(ctx context.Context, m rapport.Move, late []rapport.Notice) (rapport.Moved, error)
	Remark(ctx context.Context, m rapport.Move) (rapport.Moved, error)
	Edit(ctx context.Context, e rapport.Edit) (rapport.Moved, error)
	OpenReferrals(ctx context.Context, team, user string, limit int) (given, received []rapport.Referral, err error)
	PutMembers(ctx context.Context, team string, ms []rapport.Member) error
}

// SlackAPI is the part of the Web API the handlers call after the ack.
type SlackAPI interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (*slack.ViewResponse, error)
	GetUsersContext(ctx context.Context, options ...slack.GetUsersOption) ([]slack.User, error)
}

// Config holds the settings the handlers show or apply.
type Config struct {
	Team   string   // the workspace, from auth.test
	Admins []string // may see any referral, correct its status, export and change settings
	// BotUser is Rapport's own user (auth.test): its messages in a DM are never answered.
	BotUser string
}

// Handlers serves /refer, its forms and its buttons.
type Handlers struct {
	log      *zap.Logger
	store    Store
	api      SlackAPI
	cfg      Config
	team     string
	settings *Settings
	now      func() time.Time

	syncMu sync.Mutex
	synced time.Time // the member directory's last sync
	// missSynced is when an unknown receiver last triggered a sync (syncOnMiss).
	missSynced time.Time

	// shownAdmins is who the last sync of the directory found to be the group's admins, for what
	// /refer help shows only (helpShowsAdmins); nil until the first sync. Authorization reads the
	// directory itself (requireAdmin).
	shownAdmins atomic.Pointer[map[string]bool]
	// matchers keeps the Matcher of the asks the form's suggestions were last drawn from.
	matchers rapport.MatcherCache
	// welcomed holds "team/user" of the members this process saw welcomed (welcomeAfter): the
	// welcome is once ever, so they need no more asking.
	welcomed sync.Map
}

// New returns Handlers; now is the clock (time.Now outside tests).
func New(log *zap.Logger, store Store, api SlackAPI, cfg Config, settings *Settings, now func() time.Time) *Handlers {
	return &Handlers{log: log, store: store, api: api, cfg: cfg, team: cfg.Team, settings: settings, now: now}
}

// Register adds every route to mux.
func (h *Handlers) Register(mux *bot.Mux) {
	mux.Command(Command, h.refer)
	mux.View(callbackRefer, h.submitReferral)
	mux.View(callbackSettings, h.submitSettings)
	for _, a := range []rapport.Action{rapport.ActAccept, rapport.ActContacted, rapport.ActMeeting, rapport.ActWon,
		rapport.ActLost, rapport.ActDecline, rapport.ActPassOn, rapport.ActWithdraw} {
		mux.Action(notify.ActionID(a), h.fromHome(h.click))
	}
	mux.Action(ActionNeed, h.needTyped)
	mux.Action(actionPick, h.pick)
	mux.Action(actionShareBoard, h.shareBoard)
	mux.Action(notify.ActionOneOnOneConfirm, h.answerOneOnOne)
	mux.Action(notify.ActionOneOnOneDecline, h.answerOneOnOne)
	mux.Action(notify.ActionPairingBook, h.book)
	mux.Action(actionResend, h.resend)
	mux.Action(actionResendAll, h.resend)
	h.registerHome(mux)
	h.registerMends(mux)
	h.registerLeader(mux)
	h.registerShortcuts(mux)
	h.registerStep(mux)
	for a := range outcomeForms {
		mux.View(outcomeCallback(a), h.submitOutcome)
	}
}

// Command is the slash command Rapport answers.
const Command = "/refer"

// isUserFacing reports whether err says something to the person (a refusal, a field's error), as
// opposed to a failure the Slack face words by its kind (bot.Sentence).
func isUserFacing(err error) bool {
	var e *rapport.Error
	var fe rapport.FieldErrors
	return errors.As(err, &e) && e.Message != "" || errors.As(err, &fe)
}
