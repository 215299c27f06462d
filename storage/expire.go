package storage

import (
	"context"
	"time"
)

// StaleOpen returns the numbers of the open referrals whose last event is before until, the stalest
// first, at most limit: the referrals expiry closes (rule 15). It reads the open index, so its cost
// follows the page, not the history.
func (s *Store) StaleOpen(ctx context.Context, team string, until time.Time, limit int) ([]int64, error) {
	refs, _, err := s.OpenAll(ctx, team, until, limit)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(refs))
	for i, r := range refs {
		out[i] = r.Number
	}
	return out, nil
}
