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

// The member directory mirrors Slack's users.list so that validating a referral (may the receiver
// receive it?) never waits on Slack. It is one hash per workspace: user ID → JSON memberRecord.

// memberRecord is a member as the directory stores it: the member, and whether they may receive a
// referral, computed by rapport.Member.CanReceive when the record is written. The scripts read only
// that flag (canReceive in luaRules), so the rule has one home, in Go; when a script refuses a
// member it returns the record, and Go words why (refusal).
type memberRecord struct {
	rapport.Member
	CanReceive bool `json:"can_receive,omitempty"`
}

// fCanReceive is memberRecord.CanReceive's JSON name, the one the scripts look up.
const fCanReceive = "can_receive"

// PutMembers writes ms into the directory in one round trip. Members missing from ms are kept (their
// referrals still name them); a member written again is overwritten, so a refresh records who left.
func (s *Store) PutMembers(ctx context.Context, team string, ms []rapport.Member) error {
	if len(ms) == 0 {
		return nil
	}
	op := fmt.Sprintf("put %d members", len(ms))
	fields := make([]any, 0, 2*len(ms))
	for _, m := range ms {
		b, err := json.Marshal(memberRecord{Member: m, CanReceive: m.CanReceive()})
		if err != nil {
			return fail(op, fmt.Errorf("encode member %s: %w", m.ID, err))
		}
		fields = append(fields, m.ID, string(b))
	}
	if err := s.rdb.HSet(ctx, s.keys(team).members(), fields...).Err(); err != nil {
		return fail(op, err)
	}
	return nil
}

// refusalReason is why a script refused a member (refusal).
type refusalReason int

const (
	refusedUnknown     refusalReason = iota // not in the directory, or a record older than its receive flag
	refusedBot                              // a bot or Slackbot
	refusedDeactivated                      // deactivated
	refusedOther                            // a reason CanReceive has that the above do not name
)

// refusal reads the directory record (raw, "" for none) of a member a script refused and says why,
// with the member as far as the record tells.
func refusal(raw string) (refusalReason, rapport.Member) {
	var m rapport.Member
	if raw == "" || json.Unmarshal([]byte(raw), &m) != nil {
		return refusedUnknown, rapport.Member{}
	}
	switch {
	case m.IsBot || m.ID == rapport.SlackbotID:
		return refusedBot, m
	case m.Deleted:
		return refusedDeactivated, m
	case m.CanReceive():
		return refusedUnknown, m // written before the flag existed: the next refresh rewrites it
	}
	return refusedOther, m
}

// Member returns one member of the directory, or an ENOTFOUND error.
func (s *Store) Member(ctx context.Context, team, id string) (rapport.Member, error) {
	v, err := s.rdb.HGet(ctx, s.keys(team).members(), id).Result()
	if errors.Is(err, redis.Nil) {
		return rapport.Member{}, fail("get member "+id, rapport.Errorf(rapport.ENOTFOUND, "I don't know that member yet."))
	}
	if err != nil {
		return rapport.Member{}, fail("get member "+id, err)
	}
	var m rapport.Member
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return rapport.Member{}, fail("get member "+id, fmt.Errorf("decode: %w", err))
	}
	return m, nil
}

// MembersByID returns the members of the directory among ids, by ID, in one round trip (HMGET): an
// ID the directory does not know is missing from the map.
func (s *Store) MembersByID(ctx context.Context, team string, ids []string) (map[string]rapport.Member, error) {
	out := make(map[string]rapport.Member, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	op := fmt.Sprintf("get %d members", len(ids))
	vals, err := s.rdb.HMGet(ctx, s.keys(team).members(), ids...).Result()
	if err != nil {
		return nil, fail(op, err)
	}
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue // nil: not in the directory
		}
		var m rapport.Member
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fail(op, fmt.Errorf("decode member %s: %w", ids[i], err))
		}
		out[m.ID] = m
	}
	return out, nil
}

// Members returns the whole directory, ordered by user ID so callers and tests see a stable order.
func (s *Store) Members(ctx context.Context, team string) ([]rapport.Member, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys(team).members()).Result()
	if err != nil {
		return nil, fail("get members", err)
	}
	ms := make([]rapport.Member, 0, len(all))
	for id, v := range all {
		var m rapport.Member
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, fail("get members", fmt.Errorf("decode member %s: %w", id, err))
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	return ms, nil
}
