package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// The member directory mirrors Slack's users.list so that validating a referral (is the receiver a
// bot, deactivated?) never waits on Slack. It is one hash per workspace: user ID → JSON of
// rapport.Member, which the create script reads with cjson.

// PutMembers writes ms into the directory in one round trip. Members missing from ms are kept (their
// referrals still name them); a member written again is overwritten, so a refresh records who left.
func (s *Store) PutMembers(ctx context.Context, team string, ms []rapport.Member) error {
	if len(ms) == 0 {
		return nil
	}
	fields := make([]any, 0, 2*len(ms))
	for _, m := range ms {
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode member %s: %w", m.ID, err)
		}
		fields = append(fields, m.ID, string(b))
	}
	if err := s.rdb.HSet(ctx, s.keys(team).members(), fields...).Err(); err != nil {
		return fmt.Errorf("put %d members: %w", len(ms), err)
	}
	return nil
}

// Member returns one member of the directory, or an ENOTFOUND error.
func (s *Store) Member(ctx context.Context, team, id string) (rapport.Member, error) {
	v, err := s.rdb.HGet(ctx, s.keys(team).members(), id).Result()
	if errors.Is(err, redis.Nil) {
		return rapport.Member{}, rapport.Errorf(rapport.ENOTFOUND, "I don't know that member yet.")
	}
	if err != nil {
		return rapport.Member{}, fmt.Errorf("get member %s: %w", id, err)
	}
	var m rapport.Member
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return rapport.Member{}, fmt.Errorf("decode member %s: %w", id, err)
	}
	return m, nil
}

// Members returns the whole directory, ordered by user ID so callers and tests see a stable order.
func (s *Store) Members(ctx context.Context, team string) ([]rapport.Member, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys(team).members()).Result()
	if err != nil {
		return nil, fmt.Errorf("get members: %w", err)
	}
	ms := make([]rapport.Member, 0, len(all))
	for id, v := range all {
		var m rapport.Member
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, fmt.Errorf("decode member %s: %w", id, err)
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	return ms, nil
}
