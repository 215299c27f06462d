package storage

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Fields a dead letter adds to the entry it keeps.
const (
	deadEntry  = "entry"  // the outbox entry's ID
	deadReason = "reason" // why it was given up on
	deadTime   = "time"   // when, Unix ms
)

// resendScan bounds one read of the dead-letter stream while resending all of one reason.
const resendScan = 200

// DeadLetters returns the newest limit dead letters, newest first, and how many there are in all.
// One round trip.
func (s *Store) DeadLetters(ctx context.Context, team string, limit int) ([]rapport.DeadLetter, int64, error) {
	k := s.keys(team)
	pipe := s.rdb.Pipeline()
	rc := pipe.XRevRangeN(ctx, k.dead(), "+", "-", int64(limit))
	lc := pipe.XLen(ctx, k.dead())
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, 0, fail("read dead letters", err)
	}
	out := make([]rapport.DeadLetter, 0, len(rc.Val()))
	for _, m := range rc.Val() {
		out = append(out, deadLetterOf(m))
	}
	return out, lc.Val(), nil
}

func deadLetterOf(m redis.XMessage) rapport.DeadLetter {
	str := func(f string) string { v, _ := m.Values[f].(string); return v }
	ref, _ := strconv.ParseInt(str(entryRef), 10, 64)
	at, _ := strconv.ParseInt(str(deadTime), 10, 64)
	return rapport.DeadLetter{ID: m.ID, Kind: str(entryKind), Ref: ref, To: str(entryTo), Reason: str(deadReason),
		At: time.UnixMilli(at)}
}

// resendScript moves dead letters back into the outbox, as the entries they were (without the
// dead letter's own fields), so the sender tries them again from the start.
//
// KEYS: 1 dead, 2 outbox. ARGV: 1.. dead letter IDs. Returns how many it moved.
var resendScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV do
  local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if #e == 1 then
    local f, out = e[1][2], {}
    for j = 1, #f, 2 do
      if f[j] ~= '` + deadEntry + `' and f[j] ~= '` + deadReason + `' and f[j] ~= '` + deadTime + `' then
        out[#out + 1] = f[j]
        out[#out + 1] = f[j + 1]
      end
    end
    redis.call('XADD', KEYS[2], '*', unpack(out))
    redis.call('XDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
`)

// Resend puts the dead letters ids back in the outbox, in one step; it returns how many it found.
func (s *Store) Resend(ctx context.Context, team string, ids ...string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	k := s.keys(team)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	n, err := resendScript.Run(ctx, s.rdb, []string{k.dead(), k.outbox()}, args...).Int()
	return n, fail("resend dead letters", err)
}

// ResendReason puts every dead letter of reason back in the outbox, reading the stream a slice of
// resendScan at a time (one round trip to read and one to move each slice), so no step holds
// Redis long however many there are.
func (s *Store) ResendReason(ctx context.Context, team, reason string) (int, error) {
	k := s.keys(team)
	total, start := 0, "-"
	for {
		ms, err := s.rdb.XRangeN(ctx, k.dead(), start, "+", resendScan).Result()
		if err != nil {
			return total, fail("read dead letters", err)
		}
		var ids []string
		for _, m := range ms {
			if v, _ := m.Values[deadReason].(string); v == reason {
				ids = append(ids, m.ID)
			}
		}
		n, err := s.Resend(ctx, team, ids...)
		total += n
		if err != nil || len(ms) < resendScan {
			return total, err
		}
		start = "(" + ms[len(ms)-1].ID
	}
}
