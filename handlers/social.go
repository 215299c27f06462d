package handlers

import (
	"context"
	"time"

	"github.com/rapportbot/rapport"
)

// SocialStore keeps asks, thank-yous and recommendations, and the facts the numbers are made of.
type SocialStore interface {
	SetAsk(ctx context.Context, team, member, text string, now time.Time) error
	Asks(ctx context.Context, team string) ([]rapport.Ask, error)
	Recognize(ctx context.Context, team, envelopeID string, r rapport.Recognition, kind, to string) error
	Recognitions(ctx context.Context, team, kind string, from, to time.Time) ([]rapport.Recognition, error)
	Facts(ctx context.Context, team string, from, to time.Time) ([]rapport.Fact, error)
	// MemberNumbers reads every referral member gave or received, and the recommendations naming
	// them made in [from, to) (zero times: open ends), in one round trip.
	MemberNumbers(ctx context.Context, team, member string, from, to time.Time) ([]rapport.Fact, []rapport.Recognition, error)
	Enqueue(ctx context.Context, team, envelopeID, kind, to string, fields map[string]string) error
}
