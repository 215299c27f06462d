package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// exportScript reads every referral created within a score range of the all index, whole, in one
// round trip, so an export is one consistent snapshot rather than one read per row.
//
// KEYS: 1 all. ARGV: 1 team base ("…{T}:"), 2 min, 3 max.
// Returns a list of {number, HGETALL}, oldest first.
var exportScript = redis.NewScript(luaKeys + `
local out = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[3])) do
  out[#out + 1] = {tonumber(n), redis.call('HGETALL', refKey(n))}
end
return out
`)

// ReferralsCreated returns the referrals created in [from, to), oldest first, for the admins'
// export: each referral whole (prospect name and company included) and, at the same index of facts,
// what the statistics know of it (first contact, close time).
func (s *Store) ReferralsCreated(ctx context.Context, team string, from, to time.Time) (refs []rapport.Referral, facts []rapport.Fact, err error) {
	const op = "read referrals for export"
	k := s.keys(team)
	res, err := exportScript.Run(ctx, s.rdb, []string{k.all()}, k.base,
		strconv.FormatInt(from.UnixMilli(), 10), "("+strconv.FormatInt(to.UnixMilli(), 10)).Slice()
	if err != nil {
		return nil, nil, fail(op, err)
	}
	refs = make([]rapport.Referral, 0, len(res))
	facts = make([]rapport.Fact, 0, len(res))
	for _, it := range res {
		pair, ok := it.([]any)
		if !ok || len(pair) != 2 {
			return nil, nil, fail(op, fmt.Errorf("unexpected reply %T", it))
		}
		n, _ := pair[0].(int64)
		h, err := pairs(pair[1])
		if err != nil {
			return nil, nil, fail(op, err)
		}
		if len(h) == 0 {
			continue // indexed but gone: nothing to list
		}
		r, err := decodeReferral(n, h)
		if err != nil {
			return nil, nil, fail(op, err)
		}
		refs = append(refs, r)
		facts = append(facts, factOf(r, h))
	}
	return refs, facts, nil
}

// factOf is the statistics' view of a decoded referral and its hash.
func factOf(r rapport.Referral, h map[string]string) rapport.Fact {
	return rapport.Fact{
		Ref: r.Number, Giver: r.Giver, Receiver: r.Receiver, Temperature: r.Temperature(), Status: r.Status,
		Created: r.Created, FirstAction: msTime(h[fFirstAction]), FirstContact: msTime(h[fFirstContact]),
		Won: msTime(h[fWonAt]), Value: r.Value, Currency: r.Currency, PassedBy: r.PassedBy, CreditElsewhere: h[fCreditElse] == "1",
	}
}
