package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// The weekly pairing (issue 13): each member who opted in (/refer pairing on) gets a private
// suggestion of one member to meet one to one, chosen by rapport.SuggestPairs, with why and a
// "Book a 1:1" button; a booking tells both.

const (
	pairingJob     = "pairing"
	pairingLockTTL = time.Minute // reading the facts is two round trips, and choosing is in memory
	// pairingKeep is how long a week's pairs (and its claim) are kept: the next pairing reads the
	// latest partners from them, even after a week without one, and admins read them (/refer pairs).
	pairingKeep    = 5 * 7 * 24 * time.Hour
	pairingWords   = 3 // shared words of two asks a suggestion names
	fieldWeek      = "week"
	fieldWith      = "with" // a booking's confirmation: the member the booker will meet
	pairingHowMeet = "Once you've met, record it with `/refer 1to1 @member`: it counts for you both once the other confirms it."
)

// ActionPairingBook is the action_id of a suggestion's "Book a 1:1"; its value is BookValue's.
const ActionPairingBook = "pairing:book"

// BookValue is the value of "Book a 1:1": the week of the suggestion and the member to meet.
func BookValue(week, partner string) string { return week + "|" + partner }

// ParseBookValue reads BookValue's value; ok is false for anything else.
func ParseBookValue(v string) (week, partner string, ok bool) {
	week, partner, ok = strings.Cut(v, "|")
	return week, partner, ok && week != "" && partner != ""
}

// PairingStore is what the weekly pairing reads and writes beyond the digest's lock and numbers:
// its week's claim with its pairs and messages in one step.
type PairingStore interface {
	PairingClaimed(ctx context.Context, team, week string) (bool, error)
	// PairingFacts is what the pairs are chosen from, in a few round trips (storage/pairing.go).
	PairingFacts(ctx context.Context, team string) (rapport.PairingFacts, error)
	QueuePairs(ctx context.Context, team, week string, ttl time.Duration, pairs []rapport.Pair, msgs []rapport.OutboxEntry) (claimed bool, err error)
}

// RunPairing is the weekly pairing's scheduler job: run it after every sweep, on every replica.
// When the settings' PairingSchedule (in TimeZone; empty: off) has come due in the current ISO week
// and the week is not yet claimed, one replica chooses the pairs under the lock and queues their
// suggestions in the same Redis step that claims the week, so the cluster suggests one set; a
// later run in the same week finds the claim and does nothing.
func (c *Catalogue) RunPairing(ctx context.Context, now time.Time) error {
	return c.runWeekly(ctx, now, weeklyJob{
		name: pairingJob, lockTTL: pairingLockTTL,
		spec:    func(set rapport.Settings) string { return set.PairingSchedule },
		claimed: c.store.PairingClaimed,
		queue: func(ctx context.Context, _ rapport.Settings, at time.Time, wk string) error {
			f, err := c.store.PairingFacts(ctx, c.team)
			if err != nil {
				return err
			}
			f.Week = wk
			pairs := rapport.SuggestPairs(f)
			msgs, err := suggestions(wk, pairs)
			if err != nil {
				return err
			}
			claimed, err := c.store.QueuePairs(ctx, c.team, wk, pairingKeep, pairs, msgs)
			if err == nil && claimed {
				c.log.Info("weekly pairing queued", zap.String("week", wk), zap.Time("at", at),
					zap.Int("opted_in", len(f.Members)), zap.Int("pairs", len(pairs)))
			}
			return err
		},
	})
}

// suggestions are the messages a week's pairs owe: each member's suggestion, the pair carried as
// JSON (what it is drawn from).
func suggestions(week string, pairs []rapport.Pair) ([]rapport.OutboxEntry, error) {
	msgs := make([]rapport.OutboxEntry, 0, 2*len(pairs))
	for _, p := range pairs {
		body, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode pair: %w", err)
		}
		for _, to := range []string{p.A, p.B} {
			msgs = append(msgs, rapport.OutboxEntry{Kind: PairingSuggested.Kind, To: to,
				Fields: map[string]string{rapport.EntryBody: string(body), fieldWeek: week}})
		}
	}
	return msgs, nil
}

// BookedNotes are the messages a booked 1:1 owes, queued with the booking: the partner told that
// booker wants to meet, and the booker's confirmation.
func BookedNotes(week, booker, partner string) []rapport.OutboxEntry {
	return []rapport.OutboxEntry{
		{Kind: PairingBooked.Kind, To: partner, Fields: map[string]string{rapport.EntryBy: booker, fieldWeek: week}},
		{Kind: PairingBooking.Kind, To: booker, Fields: map[string]string{fieldWith: partner, fieldWeek: week}},
	}
}

// pairingState is a suggestion as its entry carries it: the week, the pair, and to whom.
type pairingState struct {
	to, week string
	pair     rapport.Pair
}

func readPairing(_ context.Context, _ *Catalogue, _ string, e rapport.OutboxEntry) (pairingState, error) {
	var p rapport.Pair
	if err := json.Unmarshal([]byte(e.Fields[rapport.EntryBody]), &p); err != nil {
		return pairingState{}, unreadable(e, err)
	}
	if e.Fields[fieldWeek] == "" || !p.Has(e.To) || p.A == p.B {
		return pairingState{}, unreadable(e, errNoField)
	}
	return pairingState{to: e.To, week: e.Fields[fieldWeek], pair: p}, nil
}

// suggestionPost is a member's suggestion of the week: whom to meet, why, and "Book a 1:1".
func suggestionPost(s pairingState) bot.Delivery {
	other := s.pair.Partner(s.to)
	text := fmt.Sprintf(":handshake: This week, meet %s one to one.", kit.Mention(other))
	book := slack.NewButtonBlockElement(ActionPairingBook, BookValue(s.week, other), kit.Plain("Book a 1:1"))
	book.Style = slack.StylePrimary
	var why []string
	for _, r := range PairReasons(s.pair, s.to) {
		why = append(why, "• "+r)
	}
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{
		kit.Section(fmt.Sprintf(":handshake: *This week, meet %s one to one.* A one-to-one is how members learn enough about each other to refer.",
			kit.Mention(other))),
		kit.Section(strings.Join(why, "\n")),
		slack.NewActionBlock("pairing:"+s.week, book),
		kit.Context(fmt.Sprintf("*Book a 1:1* tells %s you'd like to meet this week. %s `/refer pairing off` stops these suggestions.",
			kit.Mention(other), pairingHowMeet)),
	}}
}

// PairReasons says why me was paired with the other member of p, as me reads it, most telling
// first: a one-sided relationship, never having met, asks that match. The asks' words are
// escaped.
func PairReasons(p rapport.Pair, me string) []string {
	other := p.Partner(me)
	them, mine := p.Gave(other), p.Gave(me)
	var rs []string
	switch {
	case them > 0 && mine == 0:
		rs = append(rs, fmt.Sprintf("%s sent you %d %s you haven't returned yet: learn what they're looking for.",
			kit.Mention(other), them, kit.Plural(them, "referral", "referrals")))
	case mine > 0 && them == 0:
		rs = append(rs, fmt.Sprintf("You sent %s %d %s they haven't returned yet: tell them what you're looking for.",
			kit.Mention(other), mine, kit.Plural(mine, "referral", "referrals")))
	}
	if p.Met == 0 {
		rs = append(rs, "You two have never had a 1:1.")
	}
	if w := askWords(p.Words); w != "" {
		rs = append(rs, fmt.Sprintf("%s's ask matches yours: %s", kit.Mention(other), w))
	}
	if len(rs) == 0 {
		rs = append(rs, fmt.Sprintf("You've met %s before: catch up on what each of you is looking for now.", kit.Mention(other)))
	}
	return rs
}

// PairSummary says why p's two were paired, as an admin reads it (/refer pairs).
func PairSummary(p rapport.Pair) string {
	var rs []string
	switch {
	case p.AGave > 0 && p.BGave == 0:
		rs = append(rs, fmt.Sprintf("%s sent %s %d unreturned", kit.Mention(p.A), kit.Mention(p.B), p.AGave))
	case p.BGave > 0 && p.AGave == 0:
		rs = append(rs, fmt.Sprintf("%s sent %s %d unreturned", kit.Mention(p.B), kit.Mention(p.A), p.BGave))
	}
	if p.Met == 0 {
		rs = append(rs, "never had a 1:1")
	} else {
		rs = append(rs, fmt.Sprintf("%d %s before", p.Met, kit.Plural(p.Met, "1:1", "1:1s")))
	}
	if w := askWords(p.Words); w != "" {
		rs = append(rs, "asks match: "+w)
	}
	return strings.Join(rs, " · ")
}

// askWords writes the first words two asks share, escaped, in bold: "*payroll*, *books*".
func askWords(words []string) string {
	var out []string
	for _, w := range kit.First(words, pairingWords) {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, "*"+kit.EscClip(w, 40)+"*")
		}
	}
	return strings.Join(out, ", ")
}

// bookedState is a booked 1:1 as its entry carries it: who booked it, or whom they will meet, and
// to whom it goes.
type bookedState struct {
	to, by, with string
}

// readBooked reads the partner's notice: who booked.
func readBooked(_ context.Context, _ *Catalogue, _ string, e rapport.OutboxEntry) (bookedState, error) {
	if e.Fields[rapport.EntryBy] == "" {
		return bookedState{}, unreadable(e, errNoField)
	}
	return bookedState{to: e.To, by: e.Fields[rapport.EntryBy]}, nil
}

// readBooking reads the booker's confirmation: whom they will meet.
func readBooking(_ context.Context, _ *Catalogue, _ string, e rapport.OutboxEntry) (bookedState, error) {
	if e.Fields[fieldWith] == "" {
		return bookedState{}, unreadable(e, errNoField)
	}
	return bookedState{to: e.To, with: e.Fields[fieldWith]}, nil
}

// bookedPost tells a member the other member of their pair wants to book the 1:1.
func bookedPost(s bookedState) bot.Delivery {
	text := fmt.Sprintf(":calendar: %s wants to book a 1:1 with you this week.", kit.Mention(s.by))
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{
		kit.Section(text + " Reply to them to pick a time and a place."),
		kit.Context(pairingHowMeet),
	}}
}

// bookingPost confirms to the member who booked that the other was told.
func bookingPost(s bookedState) bot.Delivery {
	text := fmt.Sprintf(":white_check_mark: I've told %s you'd like to book a 1:1 with them this week.", kit.Mention(s.with))
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{
		kit.Section(text + " Send them a message to pick a time and a place."),
		kit.Context(pairingHowMeet),
	}}
}
