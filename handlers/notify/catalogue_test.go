package notify

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
)

// sampleStore is stored state as the catalogue reads it: Bob's referral R-12 from Alice (Dana of
// Reyes Bakery, with contact details that must stay in the DMs), Bob's Home, a month of facts and
// some asks. Everything else is empty.
type sampleStore struct {
	ref     rapport.Referral
	events  []rapport.Event
	home    rapport.HomeData
	facts   []rapport.Fact
	asks    []rapport.Ask
	gave    map[string]int
	members []rapport.Member
	open    []rapport.OpenReferral // the group's open referrals, the stalest first
	oneone  rapport.OneOnOne       // Alice's 1:1 with Bob, M-7
	queued  []rapport.OutboxEntry  // by Enqueue, each id once
	ids     map[string]bool
	readErr error // returned by every read when set
	// rebuilding: the aggregates are being rebuilt; digests: the weeks QueueDigest queued.
	rebuilding bool
	digests    []string
	// pairing: what the pairs are chosen from; paired: the weeks QueuePairs claimed, with their
	// pairs and messages.
	pairing rapport.PairingFacts
	paired  map[string][]rapport.Pair
	pairMsg []rapport.OutboxEntry
	// reads counts the calls of Timeline and HomeData, snapshots those of Snapshot.
	reads, snapshots int
	// receiving are the asks of members who may receive a referral (AsksOfReceivers).
	receiving []rapport.Ask
}

func newSampleStore() *sampleStore {
	at := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)
	ref := rapport.Referral{
		Draft: rapport.Draft{Giver: "UALICE", Receiver: "UBOB",
			Prospect: rapport.Prospect{Name: "Dana <Reyes>", Company: "Reyes & Sons Bakery", Phone: "+14805550142", Email: "dana@reyes.example"},
			Need:     "A new roof before the monsoon <!channel>", BestTime: "Mornings, by phone",
			Note:  "She is expecting your call",
			Facts: rapport.Facts{Spoke: true, MayShare: true, Expects: true}},
		Number: 12, Status: rapport.StatusContacted, Created: at, Updated: at.Add(2 * time.Hour), Version: 3,
		Posted: map[string]string{SlotReceiverDM: "DBOB|1700000000.000100", SlotGiverDM: "DALICE|1700000000.000200"},
	}
	events := []rapport.Event{
		{At: at.Add(time.Hour), Actor: "UBOB", Action: rapport.ActAccept, From: rapport.StatusNew, To: rapport.StatusAccepted},
		{At: at.Add(2 * time.Hour), Actor: "UBOB", Action: rapport.ActContacted, From: rapport.StatusAccepted, To: rapport.StatusContacted, Note: "Left a voicemail <3"},
	}
	oneone := rapport.OneOnOne{Number: 7, Recorder: "UALICE", Partner: "UBOB", Met: rapport.Date{Year: 2026, Month: time.March, Day: 9},
		Note: "Talked roofs & bakeries <!channel>", Status: rapport.OneOnOnePending, Created: at}
	return &sampleStore{ref: ref, events: events, home: homeSample(), facts: digestFixtureFacts(),
		asks: []rapport.Ask{{Member: "UDAVE", Text: "Families planning an estate", At: at}}, gave: map[string]int{}, oneone: oneone}
}

func digestFixtureFacts() []rapport.Fact { facts, _, _, _, _ := digestFixture(); return facts }

func (s *sampleStore) Timeline(_ context.Context, _ string, n int64) (rapport.Referral, []rapport.Event, error) {
	s.reads++
	if s.readErr != nil {
		return rapport.Referral{}, nil, s.readErr
	}
	if n != s.ref.Number {
		return rapport.Referral{}, nil, rapport.Errorf(rapport.ENOTFOUND, "There is no referral %s.", rapport.FormatID(n))
	}
	return s.ref, s.events, nil
}

func (s *sampleStore) HomeData(_ context.Context, _, user string, _ rapport.Period) (rapport.HomeData, error) {
	s.reads++
	d := s.home
	d.Member = rapport.Member{ID: user}
	for _, m := range s.members {
		if m.ID == user {
			d.Member = m
		}
	}
	return d, s.readErr
}

func (s *sampleStore) Snapshot(ctx context.Context, team string, refs []int64, homes []string, month rapport.Period, asks bool) (rapport.Snapshot, error) {
	s.snapshots++
	if s.readErr != nil {
		return rapport.Snapshot{}, s.readErr
	}
	snap := rapport.Snapshot{Timelines: map[int64]rapport.TimelineRead{}, Homes: map[string]rapport.HomeRead{}}
	for _, n := range refs {
		ref, evs, err := s.Timeline(ctx, team, n)
		snap.Timelines[n] = rapport.TimelineRead{Referral: ref, Events: evs, Err: err}
	}
	for _, u := range homes {
		d, err := s.HomeData(ctx, team, u, month)
		snap.Homes[u] = rapport.HomeRead{Data: d, Err: err}
	}
	if asks {
		snap.AsksRead = true
		snap.Asks, snap.AsksErr = s.AsksOfReceivers(ctx, team)
	}
	s.reads -= len(refs) + len(homes) // read as one
	return snap, nil
}

func (s *sampleStore) Facts(context.Context, string, time.Time, time.Time) ([]rapport.Fact, error) {
	return s.facts, s.readErr
}

// Board is the Go rules over the sample's facts: what the aggregates equal (storage's
// TestAggregatesFollowEveryMove).
func (s *sampleStore) Board(_ context.Context, _ string, p rapport.Period) (rapport.Board, error) {
	return rapport.Leaderboard(s.facts, p), s.readErr
}

// Span and DayTotals are the Go rules over the sample's facts, as Board.
func (s *sampleStore) Span(_ context.Context, _ string, from, to, waitingBy time.Time) (rapport.Span, error) {
	span := rapport.SpanOf(s.facts, nil, nil, rapport.Period{Name: "span", From: from, To: to}, waitingBy)
	span.Asks = s.asks
	return span, s.readErr
}

func (s *sampleStore) DayTotals(_ context.Context, _ string, from, to time.Time, currency string) ([]rapport.DayTotal, error) {
	return rapport.DayTotalsOf(s.facts, rapport.Days(from, to, time.UTC), currency), s.readErr
}

func (s *sampleStore) Asks(context.Context, string) ([]rapport.Ask, error) { return s.asks, s.readErr }

func (s *sampleStore) AsksOfReceivers(context.Context, string) ([]rapport.Ask, error) {
	return s.receiving, s.readErr
}

func (s *sampleStore) ReferralsCreated(context.Context, string, time.Time, time.Time) ([]rapport.Referral, []rapport.Fact, error) {
	return []rapport.Referral{s.ref}, []rapport.Fact{{}}, s.readErr
}

func (s *sampleStore) GivenCounts(context.Context, string, []string, time.Time, time.Time) (map[string]int, error) {
	return s.gave, s.readErr
}

func (s *sampleStore) WithLock(ctx context.Context, _, _ string, _ time.Duration, fn func(context.Context) error) (bool, error) {
	return true, fn(ctx)
}

func (s *sampleStore) DigestClaimed(context.Context, string, string) (bool, error) { return false, nil }

func (s *sampleStore) AggregatesBuilt(context.Context, string, *time.Location) (bool, error) {
	return !s.rebuilding, nil
}

func (s *sampleStore) QueueDigest(_ context.Context, _, week string, _ time.Duration, _ []rapport.OutboxEntry) (bool, error) {
	s.digests = append(s.digests, week)
	return true, nil
}

func (s *sampleStore) PairingClaimed(_ context.Context, _, week string) (bool, error) {
	_, ok := s.paired[week]
	return ok, s.readErr
}

func (s *sampleStore) PairingFacts(context.Context, string) (rapport.PairingFacts, error) {
	return s.pairing, s.readErr
}

func (s *sampleStore) QueuePairs(_ context.Context, _, week string, _ time.Duration, pairs []rapport.Pair, msgs []rapport.OutboxEntry) (bool, error) {
	if _, ok := s.paired[week]; ok {
		return false, nil
	}
	if s.paired == nil {
		s.paired = map[string][]rapport.Pair{}
	}
	s.paired[week] = pairs
	s.pairMsg = append(s.pairMsg, msgs...)
	return true, nil
}

func (s *sampleStore) Members(context.Context, string) ([]rapport.Member, error) {
	return s.members, s.readErr
}

func (s *sampleStore) OpenAll(_ context.Context, _ string, _ time.Time, limit int) ([]rapport.OpenReferral, int64, error) {
	return s.open[:min(limit, len(s.open))], int64(len(s.open)), s.readErr
}

func (s *sampleStore) OneOnOne(_ context.Context, _ string, n int64) (rapport.OneOnOne, error) {
	if n != s.oneone.Number {
		return rapport.OneOnOne{}, rapport.Errorf(rapport.ENOTFOUND, "That one-to-one is no longer on record.")
	}
	return s.oneone, s.readErr
}

func (s *sampleStore) Enqueue(_ context.Context, _, id, kind, to string, fields map[string]string) error {
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	if !s.ids[id] {
		s.ids[id] = true
		s.queued = append(s.queued, rapport.OutboxEntry{Kind: kind, To: to, Fields: fields})
	}
	return s.readErr
}

var sampleSettings = rapport.Settings{RecognitionChannel: "C0WINS", FollowUpSLA: 24 * time.Hour,
	ReportBackAfter: 7 * 24 * time.Hour, TimeZone: time.UTC, Currency: "USD", ExpireAfter: 90 * 24 * time.Hour}

func sampleCatalogue(st *sampleStore, set rapport.Settings) *Catalogue {
	return New(zap.NewNop(), st, fixedSettings(set), "T1", []string{"UADMIN"}, func() time.Time { return homeNow }, nil)
}

// kindSample adjusts st to the state in which kind is owed: an edit is made while the referral is
// new (the second event is the edit); a thank-you is owed for closed business; its withdrawal once
// it was posted and the business undone; the giver's confirmation as first drawn, naming an ask
// that fits the need better than the receiver's.
func kindSample(st *sampleStore, kind string) {
	switch kind {
	case "oneone.confirmed", "oneone.declined", "oneone.expired":
		st.oneone.Status = rapport.OneOnOneStatus(strings.TrimPrefix(kind, "oneone."))
		return
	case "referral.shoutout":
		st.ref.Status = rapport.StatusWon
		return
	case "referral.shoutout.withdrawn":
		st.ref.Posted = maps.Clone(st.ref.Posted)
		st.ref.Posted[SlotShoutout] = "C0WINS|1700000000.000300"
		return
	case "referral.sent":
		// As it is first drawn: new, and Carol asks for what the prospect needs.
		st.ref.Status, st.events = rapport.StatusNew, nil
		st.receiving = betterAsks
		return
	case "referral.edited":
	default:
		return
	}
	st.ref.Status = rapport.StatusNew
	st.events = append([]rapport.Event(nil), st.events...)
	st.events[1] = rapport.Event{At: st.events[1].At, Actor: "UALICE", Action: rapport.ActEdit, From: rapport.StatusNew,
		To: rapport.StatusNew, Changed: []string{rapport.FieldName, rapport.FieldPhone, rapport.FieldNeed, rapport.FieldBestTime}}
}

// samples is one outbox entry of every kind, as the scripts and jobs that queue them write it.
// A kind added to the catalogue needs one here, and its golden file (go test -update).
func samples(t *testing.T) map[string]rapport.OutboxEntry {
	t.Helper()
	body := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	_, _, _, set, at := digestFixture()
	rec := rapport.Recognition{From: "UALICE", To: "UBOB", Text: "Fixed our website in a day <!here>", At: at}
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	ref := func(kind, to string, fields map[string]string) rapport.OutboxEntry {
		return rapport.OutboxEntry{ID: "1-1", Kind: kind, Ref: 12, To: to, Fields: fields}
	}
	oneone := func(kind, to string) rapport.OutboxEntry {
		return rapport.OutboxEntry{ID: "1-1", Kind: kind, To: to, Fields: map[string]string{rapport.EntryOneOnOne: "7"}}
	}
	return map[string]rapport.OutboxEntry{
		"referral.received":           ref("referral.received", "UBOB", nil),
		"referral.sent":               ref("referral.sent", "UALICE", nil),
		"referral.announce":           ref("referral.announce", "C0WINS", nil),
		"referral.update":             ref("referral.update", "UBOB", map[string]string{rapport.EntryEvent: "1"}),
		"referral.update.giver":       ref("referral.update.giver", "UALICE", map[string]string{rapport.EntryEvent: "1"}),
		"referral.report":             ref("referral.report", "UALICE", map[string]string{rapport.EntryEvent: "1"}),
		"referral.withdrawn":          ref("referral.withdrawn", "UBOB", map[string]string{rapport.EntryEvent: "1"}),
		"referral.corrected":          ref("referral.corrected", "UALICE", map[string]string{rapport.EntryEvent: "1"}),
		"referral.expired":            ref("referral.expired", "UBOB", map[string]string{rapport.EntryEvent: "1"}),
		"referral.shoutout":           ref("referral.shoutout", "C0WINS", nil),
		"referral.shoutout.withdrawn": ref("referral.shoutout.withdrawn", "C0WINS", map[string]string{rapport.EntryEvent: "1"}),
		"referral.edited":             ref("referral.edited", "UBOB", map[string]string{rapport.EntryEvent: "1"}),
		"referral.asked":              ref("referral.asked", "UBOB", map[string]string{rapport.EntryEvent: "1"}),
		"nudge.ack":                   ref("nudge.ack", "UBOB", map[string]string{rapport.EntryStage: "ack"}),
		"nudge.ack2":                  ref("nudge.ack2", "UBOB", map[string]string{rapport.EntryStage: "ack2"}),
		"nudge.ack2.giver":            ref("nudge.ack2.giver", "UALICE", map[string]string{rapport.EntryStage: "ack2"}),
		"nudge.report":                ref("nudge.report", "UBOB", map[string]string{rapport.EntryStage: "report"}),
		"nudge.report2":               ref("nudge.report2", "UBOB", map[string]string{rapport.EntryStage: "report2"}),
		"home":                        {ID: "1-1", Kind: "home", To: "UBOB", Fields: map[string]string{rapport.EntryNotice: ":warning: R-4 is already *Accepted*."}},
		"recognition.thanks":          {ID: "1-1", Kind: "recognition.thanks", To: "C0WINS", Fields: map[string]string{rapport.EntryBody: body(rec)}},
		"recognition.vouch":           {ID: "1-1", Kind: "recognition.vouch", To: "UBOB", Fields: map[string]string{rapport.EntryBody: body(rec)}},
		"board.share":                 {ID: "1-1", Kind: "board.share", To: "C0WINS", Fields: map[string]string{FieldPeriod: "month", FieldBy: "UCAROL"}},
		"digest.weekly": {ID: "1-1", Kind: "digest.weekly", To: "C0WINS", Fields: map[string]string{
			digestFieldBody: body(fixtureDigest(set)), digestFieldWeek: "2026-W10"}},
		"admin.alert": {ID: "1-1", Kind: "admin.alert", To: "UADMIN", Fields: map[string]string{
			fieldMethod: "files.getUploadURLExternal", fieldCode: "missing_scope"}},
		"settings.saved": func() rapport.OutboxEntry {
			e := SettingsSavedNote("UADMIN", map[string]string{rapport.SetFollowUpSLA: "24h", rapport.SetCurrency: "USD"},
				map[string]string{rapport.SetFollowUpSLA: "48h", rapport.SetCurrency: "<!here>"})
			e.ID = "1-1"
			return e
		}(),
		"admin.export": func() rapport.OutboxEntry {
			e := ExportNote("UADMIN", "month", at)
			e.ID = "1-1"
			return e
		}(),
		"digest.chart":     {ID: "1-1", Kind: "digest.chart", To: "C0WINS", Fields: map[string]string{digestFieldAt: ms, digestFieldWeek: "2026-W10"}},
		"digest.inactive":  {ID: "1-1", Kind: "digest.inactive", To: "UCAROL", Fields: map[string]string{digestFieldSince: ms, digestFieldWeek: "2026-W10"}},
		"nudge.leader":     ref("nudge.leader", "UBOB", map[string]string{rapport.EntryBy: "UADMIN"}),
		"member.welcome":   {ID: "1-1", Kind: "member.welcome", To: "UERIN"},
		"oneone.ask":       oneone("oneone.ask", "UBOB"),
		"oneone.confirmed": oneone("oneone.confirmed", "UALICE"),
		"oneone.declined":  oneone("oneone.declined", "UALICE"),
		"oneone.expired":   oneone("oneone.expired", "UALICE"),
		"member.answer":    {ID: "1-1", Kind: "member.answer", To: "UERIN"},
		"install.welcome":  {ID: "1-1", Kind: "install.welcome", To: "UDAVE"},
		"step.done":        ref("step.done", "Fx0123ABCDEF", nil),
		"step.failed": func() rapport.OutboxEntry {
			e := StepFailedNote("Fx0123ABCDEF", "Receiver: choose the member who should receive this referral.")
			e.ID = "1-1"
			return e
		}(),
		"pairing.suggested": {ID: "1-1", Kind: "pairing.suggested", To: "UBOB", Fields: map[string]string{
			rapport.EntryBody: body(rapport.Pair{A: "UALICE", B: "UBOB", AGave: 3, Words: []string{"roofs", "<!here>", "bakeries & cafés", "patios"}}),
			fieldWeek:         "2026-W10"}},
		"pairing.booked":  BookedNotes("2026-W10", "UALICE", "UBOB")[0],
		"pairing.booking": BookedNotes("2026-W10", "UALICE", "UBOB")[1],
	}
}

// TestEveryKindGolden draws every kind in the catalogue through Render, from stored state, and
// compares what Slack would receive with testdata/kinds/<kind>.golden. It also checks what no message
// may carry: user text unescaped, and a prospect's contact details outside the two DMs.
func TestEveryKindGolden(t *testing.T) {
	all := samples(t)
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			e, ok := all[kind]
			if !ok {
				t.Fatalf("no sample entry for %s: add one to samples, then run go test ./handlers/notify -update", kind)
			}
			st := newSampleStore()
			if kind == "nudge.ack" || kind == "nudge.ack2" || kind == "nudge.ack2.giver" {
				st.ref.Status = rapport.StatusNew // these are owed while it waits for a first action
			}
			kindSample(st, kind)
			p, owed, err := sampleCatalogue(st, sampleSettings).Render(t.Context(), "T1", e)
			if err != nil || !owed {
				t.Fatalf("Render = owed %v, %v; want the message", owed, err)
			}
			if p.Channel == "" {
				t.Error("no recipient")
			}
			var blocks, home any // only what the delivery has
			if p.Blocks != nil {
				blocks = p.Blocks
			}
			if p.Home != nil {
				home = p.Home
			}
			golden(t, "kinds/"+kind, struct {
				Channel, TS, Text, Slot string
				Blocks                  any             `json:",omitempty"`
				Home                    any             `json:",omitempty"`
				File                    string          `json:",omitempty"`
				Step                    *bot.Completion `json:",omitempty"`
			}{p.Channel, p.TS, p.Text, p.Slot, blocks, home, fileName(p), p.Step})

			s := deliveryJSON(t, p)
			for _, raw := range []string{"<!channel>", "<!here>", "<Reyes>", "<3"} {
				if strings.Contains(s, raw) {
					t.Errorf("user text %q reached Slack unescaped", raw)
				}
			}
			if kind != "referral.received" && kind != "referral.update" {
				for _, secret := range []string{"480555", "5550142", "dana@reyes.example"} {
					if strings.Contains(s, secret) {
						t.Errorf("carries the prospect's contact %q: only the receiver's DM may", secret)
					}
				}
			}
		})
	}
}

func fileName(p bot.Delivery) string {
	if p.File == nil {
		return ""
	}
	if len(p.File.Content) == 0 {
		return p.File.Filename + " (empty)"
	}
	return p.File.Filename
}

// deliveryJSON is everything of a delivery Slack would receive, as text.
func deliveryJSON(t *testing.T, p bot.Delivery) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // so an unescaped "<!channel>" would show as such
	if err := enc.Encode(struct {
		Blocks, Home any
	}{p.Blocks, p.Home}); err != nil {
		t.Fatal(err)
	}
	if p.Step != nil {
		if err := enc.Encode(p.Step); err != nil {
			t.Fatal(err)
		}
	}
	return p.Text + "\n" + b.String()
}

// TestNoLongerOwed: an entry whose moment has passed is settled without a message.
func TestNoLongerOwed(t *testing.T) {
	all := samples(t)
	tests := []struct {
		name string
		kind string
		edit func(*sampleStore)
	}{
		{"NudgeAfterAction", "nudge.ack", func(s *sampleStore) { s.ref.Status = rapport.StatusAccepted }},
		{"SecondNudgeAfterAction", "nudge.ack2.giver", func(s *sampleStore) { s.ref.Status = rapport.StatusPassed }},
		{"ReportNudgeAfterOutcome", "nudge.report", func(s *sampleStore) { s.ref.Status = rapport.StatusWon }},
		{"UpdateBeforeOriginal", "referral.update", func(s *sampleStore) { s.ref.Posted = nil }},
		{"ReportOfNoStep", "referral.report", func(s *sampleStore) { s.events = nil }},
		{"HomeNobodyOpened", "home", func(s *sampleStore) { s.home.Opened = false }},
		{"InactiveWhoGave", "digest.inactive", func(s *sampleStore) { s.gave["UCAROL"] = 1 }},
		{"InactiveNobodyAsks", "digest.inactive", func(s *sampleStore) { s.asks = nil }},
		{"LeaderNudgeAfterClose", "nudge.leader", func(s *sampleStore) { s.ref.Status = rapport.StatusWon }},
		{"LeaderNudgeAfterPassOn", "nudge.leader", func(s *sampleStore) { s.ref.Receiver = "UCAROL" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newSampleStore()
			tt.edit(st)
			_, owed, err := sampleCatalogue(st, sampleSettings).Render(t.Context(), "T1", all[tt.kind])
			if err != nil || owed {
				t.Errorf("Render = owed %v, %v; want no longer owed, no error", owed, err)
			}
		})
	}
}

// TestUndeliverable: an entry that can never be drawn is an error the sender dead-letters with a
// reason, never a silent drop; a store that fails is an error worth another try.
func TestUndeliverable(t *testing.T) {
	all := samples(t)
	withFields := func(kind string, fields map[string]string) rapport.OutboxEntry {
		e := all[kind]
		e.Fields = fields
		return e
	}
	gone := all["referral.received"]
	gone.Ref = 99
	tests := []struct {
		name   string
		e      rapport.OutboxEntry
		reason string
	}{
		{"UnknownKind", rapport.OutboxEntry{ID: "1-1", Kind: "referral.teleported", Ref: 12, To: "UBOB"}, "unknown_kind"},
		{"UnreadableThanks", withFields("recognition.thanks", map[string]string{rapport.EntryBody: "{not json"}), "unreadable_entry"},
		{"UnreadableDigest", withFields("digest.weekly", nil), "unreadable_entry"},
		{"ChartWithoutTime", withFields("digest.chart", map[string]string{digestFieldAt: "soon"}), "unreadable_entry"},
		{"InactiveWithoutWindow", withFields("digest.inactive", nil), "unreadable_entry"},
		{"BoardOfNoPeriod", withFields("board.share", map[string]string{FieldPeriod: "fortnight"}), "unreadable_entry"},
		{"StepFailedWithoutWhy", withFields("step.failed", nil), "unreadable_entry"},
		{"SuggestionWithoutPair", withFields("pairing.suggested", map[string]string{fieldWeek: "2026-W10"}), "unreadable_entry"},
		{"SuggestionToAnother", withFields("pairing.suggested", map[string]string{fieldWeek: "2026-W10",
			rapport.EntryBody: `{"a":"UALICE","b":"UCAROL"}`}), "unreadable_entry"},
		{"BookedWithoutWho", withFields("pairing.booked", map[string]string{fieldWeek: "2026-W10"}), "unreadable_entry"},
		{"ReferralGone", gone, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, owed, err := sampleCatalogue(newSampleStore(), sampleSettings).Render(t.Context(), "T1", tt.e)
			var u *bot.Undeliverable
			if !errors.As(err, &u) || u.Reason != tt.reason || owed {
				t.Errorf("Render = owed %v, %v; want *bot.Undeliverable %s", owed, err, tt.reason)
			}
		})
	}
	t.Run("StoreDown", func(t *testing.T) {
		st := newSampleStore()
		st.readErr = &rapport.Error{Code: rapport.EUNAVAILABLE, Op: "timeline", Err: errors.New("connection refused")}
		_, _, err := sampleCatalogue(st, sampleSettings).Render(t.Context(), "T1", all["referral.received"])
		var u *bot.Undeliverable
		if err == nil || errors.As(err, &u) {
			t.Errorf("Render with Redis down = %v; want an error worth retrying", err)
		}
	})
}

// TestAlertAdmins: a fault an admin can mend reaches every admin once, whichever replica met it how
// often; a fault of chat.postMessage itself is not sent as a DM it would wait behind.
func TestAlertAdmins(t *testing.T) {
	st := newSampleStore()
	st.members = []rapport.Member{{ID: "UOWNER", Admin: true}, {ID: "UADMIN", Admin: true}, {ID: "UBOT", Admin: true, IsBot: true}, {ID: "UBOB"}}
	c := sampleCatalogue(st, sampleSettings) // RAPPORT_ADMINS: UADMIN
	scope := bot.Fault{Method: "files.getUploadURLExternal", Code: "missing_scope"}
	for range 3 {
		if err := c.AlertAdmins(t.Context(), scope); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.AlertAdmins(t.Context(), bot.Fault{Method: "chat.postMessage", Code: "missing_scope"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range st.queued {
		got = append(got, e.Kind+">"+e.To+":"+e.Fields[fieldMethod])
	}
	want := "admin.alert>UADMIN:files.getUploadURLExternal admin.alert>UOWNER:files.getUploadURLExternal"
	if strings.Join(got, " ") != want {
		t.Errorf("queued %v; want %s", got, want)
	}
	p, owed, err := c.Render(t.Context(), "T1", rapport.OutboxEntry{ID: "1-1", Kind: AdminAlert.Kind, To: "UOWNER",
		Fields: map[string]string{fieldMethod: "chat.postMessage", fieldCode: "not_in_channel", fieldChannel: "C0WINS"}})
	if err != nil || !owed || !strings.Contains(p.Text, "/invite @Rapport") || !strings.Contains(p.Text, "<#C0WINS>") {
		t.Errorf("not_in_channel alert = %q, %v, %v; want how to invite Rapport to <#C0WINS>", p.Text, owed, err)
	}
}

// TestEveryKindHasWords: admins see a refused message by what it is, never by its code name;
// an old kind still in the outbox is named as stored.
func TestEveryKindHasWords(t *testing.T) {
	for _, k := range Kinds() {
		if w := About(k); w == "" || strings.Contains(w, k) {
			t.Errorf("kind %q is shown as %q", k, w)
		}
	}
	if w := About("retired.kind"); w != "a message (retired.kind)" {
		t.Errorf("an unknown kind is shown as %q", w)
	}
}
