// Package notify is Rapport's message catalogue: every kind of message Rapport can owe, in one
// registry (kinds.go). Each kind is one typed entry that says
//   - who it goes to (the roles it may be addressed to: giver, receiver, passer, linked receiver,
//     channel, member; a 1:1's recorder and partner; a workflow step's run),
//   - which changes owe it (a referral saved, a move, a reminder falling due, a 1:1 recorded or
//     answered), so the scripts that write those changes queue it in the same step,
//   - the stored state it is drawn from, how it is drawn, and when it is no longer owed.
//
// The outbox holds only a reference (kind, referral or fields, recipient); the sender asks the
// catalogue to draw it when it sends (Render), so a message sent late says where things stand.
// Adding a message is adding an entry to kinds.go and its golden file.
package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
)

// Store is what the catalogue reads to draw messages, and what the weekly digest writes.
type Store interface {
	Timeline(ctx context.Context, team string, n int64) (rapport.Referral, []rapport.Event, error)
	HomeData(ctx context.Context, team, user string, month rapport.Period) (rapport.HomeData, error)
	// Snapshot reads referrals' timelines and members' Homes at once, as Timeline and HomeData do,
	// in one round trip (RenderBatch).
	Snapshot(ctx context.Context, team string, refs []int64, homes []string, month rapport.Period, asks bool) (rapport.Snapshot, error)
	// Board reads a period's leaderboard from the aggregates (storage/aggr.go).
	Board(ctx context.Context, team string, p rapport.Period) (rapport.Board, error)
	Asks(ctx context.Context, team string) ([]rapport.Ask, error)
	// AsksOfReceivers is Asks without those of members who may not receive a referral: what the
	// giver's confirmation matches the need against (better.go).
	AsksOfReceivers(ctx context.Context, team string) ([]rapport.Ask, error)
	// ReferralsCreated reads the referrals created in [from, to), whole, for an export.
	ReferralsCreated(ctx context.Context, team string, from, to time.Time) ([]rapport.Referral, []rapport.Fact, error)
	// Enqueue queues a message with its fields, once per id (an envelope, or a fault and admin).
	Enqueue(ctx context.Context, team, id, kind, to string, fields map[string]string) error
	// OpenAll reads the admins' part of the Home: the group's open referrals, the stalest first.
	OpenAll(ctx context.Context, team string, until time.Time, limit int) ([]rapport.OpenReferral, int64, error)
	// OneOnOne reads a 1:1 (ENOTFOUND when there is none).
	OneOnOne(ctx context.Context, team string, n int64) (rapport.OneOnOne, error)
	DigestStore
	PairingStore
}

// Settings gives the group's settings as they are now (handlers.Settings).
type Settings interface {
	Get(ctx context.Context) rapport.Settings
}

// The reasons an entry can never be drawn, as its dead letter keeps them.
const (
	ReasonUnknownKind = "unknown_kind"     // no kind of that name in the catalogue
	ReasonUnreadable  = "unreadable_entry" // its fields cannot be read
	ReasonNotFound    = "not_found"        // what it is about no longer exists
)

// Catalogue draws the outbox's entries: it is the sender's bot.Renderer.
type Catalogue struct {
	log      *zap.Logger
	store    Store
	settings Settings
	team     string
	admins   []string // RAPPORT_ADMINS; the workspace's admins come from the member directory
	now      func() time.Time
	// matchers keeps the Matcher of the asks the last confirmation was matched against; a pointer,
	// shared by the copies RenderBatch makes.
	matchers *rapport.MatcherCache
	turns    Turns // shared by every workspace of the process
}

// New returns the catalogue of team; admins are RAPPORT_ADMINS; now is the clock (time.Now
// outside tests); turns, shared by the catalogues of a process's workspaces, bounds their weekly
// jobs' costly work (nil: unbounded).
func New(log *zap.Logger, store Store, settings Settings, team string, admins []string, now func() time.Time, turns Turns) *Catalogue {
	return &Catalogue{log: log, store: store, settings: settings, team: team, admins: admins, now: now,
		matchers: &rapport.MatcherCache{}, turns: turns}
}

// Turns bounds the costly work of the weekly jobs across every workspace a process serves: a
// digest computed and queued, a pairing chosen, a chart drawn (40 ms of CPU). When the digests of
// many workspaces fall due in the same minute they take turns, a few at a time, and the process
// keeps its CPU for acks and DMs. A nil Turns takes none.
type Turns chan struct{}

// NewTurns lets n at a time (at least one).
func NewTurns(n int) Turns { return make(Turns, max(n, 1)) }

// take waits for a turn until ctx ends; release gives it back.
func (t Turns) take(ctx context.Context) (release func(), err error) {
	if t == nil {
		return func() {}, nil
	}
	select {
	case t <- struct{}{}:
		return func() { <-t }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Render draws entry e from the state stored now. ok is false when the message is no longer owed
// (a nudge about a referral that moved on, an update of a message never posted). An entry that can
// never be drawn (an unknown kind, unreadable fields, a referral that does not exist) is a
// *bot.Undeliverable error, which the sender dead-letters and logs; any other error is worth
// another try.
func (c *Catalogue) Render(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Delivery, bool, error) {
	k, ok := byKind[e.Kind]
	if !ok {
		return bot.Delivery{}, false, &bot.Undeliverable{Reason: ReasonUnknownKind, Err: fmt.Errorf("outbox kind %q is not in the catalogue", e.Kind)}
	}
	return k.render(ctx, c, team, e)
}

// Message is one kind of message Rapport can owe, drawn from a subject S read from stored state.
type Message[S any] struct {
	Kind string // its name in the outbox: stored, so never renamed
	// About says in a few words what it is, for admins who look at the messages Slack refused
	// (/refer outbox): the kinds' names are for the code.
	About string
	To    []rapport.Role // the roles it may be addressed to
	// Owes addresses the notices of this kind a change owes (their Kind is filled in); nil for a
	// message its own command or job queues (thanks, a shared leaderboard, the digest).
	Owes func(ch Change) []rapport.Notice
	// Read reads the subject from stored state; a *bot.Undeliverable error when it never can.
	Read func(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (S, error)
	// Owed says whether the message is still owed; nil means always.
	Owed func(s S) bool
	// Draw draws it.
	Draw func(s S) bot.Delivery
	// ReadsAsks says Read reads the asks of receivers too (readGiver): a batch reads them with the
	// rest, once.
	ReadsAsks bool
}

// Notice addresses this kind to role, for a change that queues it.
func (m *Message[S]) Notice(role rapport.Role) rapport.Notice {
	return rapport.Notice{Kind: m.Kind, To: role}
}

// NoticeTo addresses this kind to a channel or member named by target.
func (m *Message[S]) NoticeTo(role rapport.Role, target string) rapport.Notice {
	return rapport.Notice{Kind: m.Kind, To: role, Target: target}
}

func (m *Message[S]) name() string { return m.Kind }

func (m *Message[S]) about() string { return m.About }

func (m *Message[S]) roles() []rapport.Role { return m.To }

func (m *Message[S]) owes(ch Change) []rapport.Notice {
	if m.Owes == nil {
		return nil
	}
	ns := m.Owes(ch)
	for i := range ns {
		ns[i].Kind = m.Kind
	}
	return ns
}

// batched says what of the stored state drawing e reads, when a snapshot holds all of it
// (RenderBatch): its referral, or its member's Home, and whether it reads the asks besides (read
// with them, once per batch); ok false when the kind may read more.
func (m *Message[S]) batched(e rapport.OutboxEntry) (ref int64, home string, asks, ok bool) {
	switch any(*new(S)).(type) {
	case referralState:
		return e.Ref, "", m.ReadsAsks, e.Ref > 0
	case homeState:
		return 0, e.To, false, e.To != ""
	}
	return 0, "", false, false
}

func (m *Message[S]) render(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (bot.Delivery, bool, error) {
	s, err := m.Read(ctx, c, team, e)
	if err != nil {
		return bot.Delivery{}, false, err
	}
	if m.Owed != nil && !m.Owed(s) {
		return bot.Delivery{}, false, nil
	}
	return m.Draw(s), true, nil
}

// kind is a Message of any subject, as the registry holds it.
type kind interface {
	name() string
	about() string
	roles() []rapport.Role
	owes(ch Change) []rapport.Notice
	batched(e rapport.OutboxEntry) (ref int64, home string, asks, ok bool)
	render(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (bot.Delivery, bool, error)
}

// Change is something that happened and may owe messages: a referral saved (Created), a move, a
// reminder stage falling due, or a 1:1 coming to a status (recorded: pending, or answered).
type Change struct {
	Created  *rapport.Draft
	Move     *rapport.Move
	Stage    rapport.Stage
	OneOnOne rapport.OneOnOneStatus
	Settings rapport.Settings
	// Step is the Workflow Builder step's run (its function_execution_id) that recorded Created:
	// it is owed its completion.
	Step string
}

// Notices lists every message ch owes, in the catalogue's order (which is the order each recipient
// gets them in).
func Notices(ch Change) []rapport.Notice {
	var ns []rapport.Notice
	for _, k := range kinds {
		ns = append(ns, k.owes(ch)...)
	}
	return ns
}

// StageNotices lists the messages a reminder stage owes when it falls due: the scheduler's claim
// queues them.
func StageNotices(st rapport.Stage) []rapport.Notice { return Notices(Change{Stage: st}) }

// Kinds names every kind in the catalogue, in its order.
func Kinds() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name()
	}
	return out
}

// addressable reports whether kind may be addressed to role.
func addressable(kind string, role rapport.Role) bool {
	k, ok := byKind[kind]
	return ok && slices.Contains(k.roles(), role)
}

// unreadable is the verdict on an entry whose fields cannot be read.
func unreadable(e rapport.OutboxEntry, err error) error {
	return &bot.Undeliverable{Reason: ReasonUnreadable, Err: fmt.Errorf("%s entry %s: %w", e.Kind, e.ID, err)}
}

// gone turns a subject that does not exist into the verdict that it never will.
func gone(err error) error {
	if rapport.ErrorCode(err) == rapport.ENOTFOUND {
		return &bot.Undeliverable{Reason: ReasonNotFound, Err: err}
	}
	return err
}

// errNoField is an entry without a field its kind needs.
var errNoField = errors.New("missing or malformed field")
