package storage

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// ReferralsCreated returns the referrals created in [from, to), oldest first, for the admins'
// export: each referral whole (prospect name and company included) and, at the same index of facts,
// what the statistics know of it (first contact, close time). It reads walkSlice referrals a step
// (walk.go; see cursor for what a change made during the read does to it).
func (s *Store) ReferralsCreated(ctx context.Context, team string, from, to time.Time) (refs []rapport.Referral, facts []rapport.Fact, err error) {
	const op = "read referrals for export"
	k := s.keys(team)
	err = s.walk(ctx, k.all(), strconv.FormatInt(from.UnixMilli(), 10), "("+strconv.FormatInt(to.UnixMilli(), 10),
		func(ids []string) error {
			cmds := make([]*redis.MapStringStringCmd, len(ids))
			_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i, id := range ids {
					n, _ := strconv.ParseInt(id, 10, 64)
					cmds[i] = p.HGetAll(ctx, k.ref(n))
				}
				return nil
			})
			if err != nil {
				return err
			}
			for i, c := range cmds {
				h := c.Val()
				if len(h) == 0 {
					continue // indexed but gone: nothing to list
				}
				n, _ := strconv.ParseInt(ids[i], 10, 64)
				r, err := decodeReferral(n, h)
				if err != nil {
					return err
				}
				refs = append(refs, r)
				facts = append(facts, factOf(r, h))
			}
			return nil
		})
	if err != nil {
		return nil, nil, fail(op, err)
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
