package notify

import (
	"context"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/kit"
)

// Asks matched to needs (issue 13): when the giver chose a receiver whose ask does not fit the need
// and another member's ask fits it strongly (rapport.Matcher.Better), the giver's confirmation names
// that member and their ask, while the referral is new: worth a second referral, or a pass on.
// It is drawn from the asks as they are when the message is drawn, as everything in the catalogue.

// betterAskShown is how much of the member's ask the confirmation shows, in characters after
// escaping.
const betterAskShown = 200

// readGiver reads what the giver's confirmation is drawn from: the referral, and while it is new the
// member whose ask fits its need better than the receiver's. An unread asks leaves that out rather
// than hold the confirmation back.
func readGiver(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (referralState, error) {
	s, err := readReferral(ctx, c, team, e)
	if err != nil || s.ref.Status != rapport.StatusNew {
		return s, err
	}
	asks, err := c.store.AsksOfReceivers(ctx, team)
	if err != nil {
		c.log.Warn("asks not read: the confirmation names no better ask", zap.String("referral", s.ref.ID()), zap.Error(err))
		return s, nil
	}
	if m, ok := c.matchers.Matcher(asks).Better(s.ref.Need, s.ref.Giver, s.ref.Receiver); ok {
		s.better = m
	}
	return s, nil
}

// betterAsk is the line that names a member whose ask fits the need: their ask (escaped, cut) and
// the words it shares with the need, in bold.
func betterAsk(m rapport.Match) string {
	return ":bulb: " + kit.Mention(m.Member) + "’s ask fits this need: “" + kit.EscClip(m.Ask, betterAskShown) + "” (" +
		kit.Bold(m.Words, 5) + "). Worth a referral to them too?"
}
