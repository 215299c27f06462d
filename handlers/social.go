package handlers

import (
	"context"
	"time"

	"github.com/rapportbot/rapport"
)

// SocialStore keeps asks, thank-yous and recommendations, and the numbers (with the 1:1s).
type SocialStore interface {
	SetAsk(ctx context.Context, team, member, text string, now time.Time) error
	Asks(ctx context.Context, team string) ([]rapport.Ask, error)
	// AsksOfReceivers is Asks without those of members who may not receive a referral (bots,
	// the deactivated, members the directory does not know): the asks the form suggests.
	AsksOfReceivers(ctx context.Context, team string) ([]rapport.Ask, error)
	Recognize(ctx context.Context, team, envelopeID string, r rapport.Recognition, kind, to string) error
	Recognitions(ctx context.Context, team, kind string, from, to time.Time) ([]rapport.Recognition, error)
	// Board, MemberStats and Balances read the numbers from the aggregates the writes keep
	// (storage/aggr.go), each in one round trip whatever the history.
	Board(ctx context.Context, team string, p rapport.Period) (rapport.Board, error)
	MemberStats(ctx context.Context, team, member string, p rapport.Period) (rapport.MemberStats, error)
	// Balances with withSocial false leaves recommendations and 1:1s out (the Home's give and take).
	Balances(ctx context.Context, team, member string, withSocial bool) ([]rapport.Balance, error)
	Enqueue(ctx context.Context, team, envelopeID, kind, to string, fields map[string]string) error
}
