package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// ActionNudge is the action_id of "Nudge now" in the leader's view; its value is the referral's
// number. The handlers route it.
const ActionNudge = "leader:nudge"

// OpenRead is how many open referrals the leader's view reads, the stalest first: far more than
// it can show, so the order (overdue first, then oldest) is drawn from nearly all of them.
const OpenRead = 300

// homeOpenTop is how many open referrals the admins' Home lists.
const homeOpenTop = 20

// OpenView is the group's open referrals as the leader's view shows them.
type OpenView struct {
	Open   []rapport.OpenReferral // as the open index has them, the stalest first
	Total  int64                  // how many referrals are open in all
	Timing rapport.Timing         // the group's follow-up window and report-back delay
	Now    time.Time
}

// openRow is one open referral and what it is late for.
type openRow struct {
	ref     rapport.OpenReferral
	stage   rapport.Stage
	overdue bool
}

// openGroup is one receiver's open referrals, overdue first, then the oldest.
type openGroup struct {
	receiver string
	rows     []openRow
	overdue  int
}

// groups orders v by receiver (rule 16): receivers with overdue referrals first, then the one whose
// oldest referral is oldest; within a receiver, the overdue first, then the oldest.
func (v OpenView) groups() (gs []openGroup, overdue int) {
	byReceiver := map[string]int{}
	for _, r := range v.Open {
		st, late := v.Timing.Overdue(r.Referral, v.Now)
		i, ok := byReceiver[r.Receiver]
		if !ok {
			i = len(gs)
			byReceiver[r.Receiver] = i
			gs = append(gs, openGroup{receiver: r.Receiver})
		}
		gs[i].rows = append(gs[i].rows, openRow{ref: r, stage: st, overdue: late})
		if late {
			gs[i].overdue++
			overdue++
		}
	}
	byRow := func(a, b openRow) int {
		if a.overdue != b.overdue {
			if a.overdue {
				return -1
			}
			return 1
		}
		return cmp.Or(a.ref.Created.Compare(b.ref.Created), cmp.Compare(a.ref.Number, b.ref.Number))
	}
	for i := range gs {
		slices.SortFunc(gs[i].rows, byRow)
	}
	slices.SortFunc(gs, func(a, b openGroup) int {
		if (a.overdue > 0) != (b.overdue > 0) {
			if a.overdue > 0 {
				return -1
			}
			return 1
		}
		return cmp.Or(byRow(a.rows[0], b.rows[0]), cmp.Compare(a.receiver, b.receiver))
	})
	return gs, overdue
}

// OpenSummary is the leader's view's first line.
func (v OpenView) OpenSummary() string {
	if v.Total == 0 {
		return "*No open referrals.* Everything given has been answered."
	}
	_, overdue := v.groups()
	return fmt.Sprintf("*%d open %s*, %d overdue: by receiver, the overdue first, then the oldest.",
		v.Total, kit.Plural(int(v.Total), "referral", "referrals"), overdue)
}

// OpenBlocks draws the group's open referrals for admins (rule 16): each receiver, then their
// referrals with number, prospect (name and company: never the contact), giver, stage, age and
// what is overdue, each with "Nudge now". It shows at most maxRefs referrals in at most maxBlocks
// blocks and, when maxBytes > 0, maxBytes of JSON (an ack frame's limit); the rest are counted in
// a last line.
func OpenBlocks(v OpenView, maxRefs, maxBlocks, maxBytes int) []slack.Block {
	gs, _ := v.groups()
	var blocks []slack.Block
	size, shown := 0, 0
	fits := func(bs ...slack.Block) bool {
		// Room is kept for the "and N more" line.
		if len(blocks)+len(bs)+1 > maxBlocks {
			return false
		}
		n := 0
		for _, b := range bs {
			n += blockSize(b)
		}
		if maxBytes > 0 && size+n+200 > maxBytes {
			return false
		}
		size += n
		return true
	}
fill:
	for _, g := range gs {
		head := kit.Section(fmt.Sprintf("*%s* · %d open", kit.Mention(g.receiver), len(g.rows)) + overdueCount(g.overdue))
		for i, row := range g.rows {
			if shown >= maxRefs {
				break fill
			}
			b := openLine(row, v.Now)
			if i == 0 {
				if !fits(head, b) {
					break fill
				}
				blocks = append(blocks, head, b)
			} else {
				if !fits(b) {
					break fill
				}
				blocks = append(blocks, b)
			}
			shown++
		}
	}
	if more := int(v.Total) - shown; more > 0 {
		blocks = append(blocks, kit.Context(fmt.Sprintf("_and %d more open %s_", more, kit.Plural(more, "referral", "referrals"))))
	}
	return blocks
}

func overdueCount(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" · *%d overdue*", n)
}

// openLine is one open referral of the leader's view, with "Nudge now".
func openLine(row openRow, now time.Time) slack.Block {
	ref := row.ref
	p := "*" + kit.EscClip(ref.Prospect.Name, 60) + "*"
	if ref.Prospect.Company != "" {
		p += ", " + kit.EscClip(ref.Prospect.Company, 60)
	}
	text := fmt.Sprintf("`%s` %s %s · from %s · *%s* · %s old", ref.ID(), TempEmoji(ref.Temperature()), p,
		kit.Mention(ref.Giver), ref.Status.Label(), kit.ShortDuration(now.Sub(ref.Created)))
	if row.overdue {
		quiet := kit.ShortDuration(now.Sub(ref.StageSince()))
		if row.stage == rapport.StageAck {
			text += "\n:red_circle: *Follow-up overdue*: no step for " + quiet
		} else {
			text += "\n:large_orange_circle: *Report overdue*: no news for " + quiet
		}
	}
	n := strconv.FormatInt(ref.Number, 10)
	btn := slack.NewButtonBlockElement(ActionNudge, n, kit.Plain("Nudge now"))
	return slack.NewSectionBlock(kit.MD(text), nil, slack.NewAccessory(btn), slack.SectionBlockOptionBlockID("open:"+n))
}

// blockSize is a block's JSON size, as an ack frame carries it.
func blockSize(b slack.Block) int {
	j, _ := json.Marshal(b)
	return len(j)
}

// homeLeader is the admins' section of the Home: the leader's view's top referrals.
func homeLeader(v OpenView) []slack.Block {
	blocks := []slack.Block{slack.NewDividerBlock(), kit.Header("Open referrals (admins)"), kit.Section(v.OpenSummary())}
	return append(blocks, OpenBlocks(v, homeOpenTop, 2*homeOpenTop+1, 0)...)
}

// readOpenView reads the leader's view for an admin's Home (the caller checked, from the
// member's record the Home read with the rest).
func (c *Catalogue) readOpenView(ctx context.Context, team string, set rapport.Settings) (OpenView, error) {
	open, total, err := c.store.OpenAll(ctx, team, time.Time{}, OpenRead)
	if err != nil {
		return OpenView{}, err
	}
	return OpenView{Open: open, Total: total, Timing: set.Timing(), Now: c.now()}, nil
}

// leaderNudge is an admin's "Nudge now": the referral, and who asked.
type leaderNudge struct {
	referralState
	by  string
	now time.Time
}

func readLeaderNudge(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (leaderNudge, error) {
	s, err := readReferral(ctx, c, team, e)
	if err != nil {
		return leaderNudge{}, err
	}
	by := e.Fields[rapport.EntryBy]
	if by == "" {
		return leaderNudge{}, unreadable(e, errNoField)
	}
	return leaderNudge{referralState: s, by: by, now: c.now()}, nil
}

// stillWaiting: the nudge is owed while the referral is open and its receiver the one addressed.
func stillWaiting(s leaderNudge) bool { return s.ref.Status.Open() && s.ref.Receiver == s.to }

// nudgeLeader asks the receiver, on an admin's behalf, to take the referral's next step.
func nudgeLeader(s leaderNudge) bot.Delivery {
	ref := s.ref
	ask := "Accept it, say you made contact, or pass it on"
	if ref.Status != rapport.StatusNew {
		ask = "Tell them how it is going"
	}
	text := fmt.Sprintf(":bell: %s asked me to check in on *%s*: %s, from %s, given %s ago, now *%s*. %s: one tap keeps %s in the loop.",
		kit.Mention(s.by), ref.ID(), ProspectLine(ref.Prospect), kit.Mention(ref.Giver), kit.ShortDuration(s.now.Sub(ref.Created)),
		ref.Status.Label(), ask, kit.Mention(ref.Giver))
	return nudgePost(ref.Receiver, text, ref, rapport.ReceiverActions(ref.Status)...)
}
