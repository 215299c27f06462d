package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Columns of a fact row: the referral hash fields the statistics read (rapport.Fact), in the
// order luaFactRow writes them after the referral's number. factRows reads them back by these
// names.
const (
	colGiver = iota
	colReceiver
	colSpoke
	colMayShare
	colExpects
	colStatus
	colCreated
	colFirstAction
	colFirstContact
	colWonAt
	colValue
	colCurrency
	colPassedBy
	colCreditElse
	factCols // how many
)

// factFields is the hash field of each fact-row column.
var factFields = [factCols]string{
	colGiver: fGiver, colReceiver: fReceiver, colSpoke: fSpoke, colMayShare: fMayShare, colExpects: fExpects,
	colStatus: fStatus, colCreated: fCreated, colFirstAction: fFirstAction, colFirstContact: fFirstContact,
	colWonAt: fWonAt, colValue: fValue, colCurrency: fCurrency, colPassedBy: fPassedBy, colCreditElse: fCreditElse,
}

// luaFactRow is the one place a script turns a referral into a fact row: its number and the
// statistics' fields, tab-separated in one string (none of them can hold a tab), so 100,000
// referrals cross the wire as 100,000 values. factRows reads it back. factRow(n) also returns the
// fields, which a script reads by column: f[FACT.status]. It needs luaKeys (refKey).
var luaFactRow = buildLuaFactRow()

func buildLuaFactRow() string {
	var names, cols []string
	lua := map[string]string{}
	for _, f := range referralFields {
		lua[f.name] = f.lua
	}
	for i, f := range factFields {
		if lua[f] == "" {
			panic("storage: fact column " + strconv.Itoa(i) + " is not a referral field")
		}
		names = append(names, luaQuote(f))
		cols = append(cols, lua[f]+" = "+strconv.Itoa(i+1))
	}
	var b strings.Builder
	luaTable(&b, "FACT_FIELDS", names)
	luaTable(&b, "FACT", cols)
	b.WriteString(`local function factRow(n)
  local f = redis.call('HMGET', refKey(n), unpack(FACT_FIELDS))
  for i = 1, #FACT_FIELDS do f[i] = f[i] or '' end
  return n .. '\t' .. table.concat(f, '\t'), f
end
`)
	return b.String()
}

// factsScript reads the fact row of every referral in the given indexes within a score range, in
// one round trip, each referral once.
//
// KEYS: zset indexes (all, won, given:<U>, received:<U>). ARGV: 1 team base ("…{T}:"), 2 min, 3 max.
var factsScript = redis.NewScript(luaKeys + luaFactRow + `
local seen, out = {}, {}
for _, key in ipairs(KEYS) do
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', key, ARGV[2], ARGV[3])) do
    if not seen[n] then
      seen[n] = true
      out[#out + 1] = factRow(n)
    end
  end
end
return out
`)

// Facts returns the referrals created or closed in [from, to), for leaderboards and digests.
func (s *Store) Facts(ctx context.Context, team string, from, to time.Time) ([]rapport.Fact, error) {
	k := s.keys(team)
	facts, err := s.facts(ctx, k, []string{k.all(), k.won()}, strconv.FormatInt(from.UnixMilli(), 10), "("+strconv.FormatInt(to.UnixMilli(), 10))
	return facts, fail("read facts", err)
}

func (s *Store) facts(ctx context.Context, k keys, indexes []string, min, max string) ([]rapport.Fact, error) {
	rows, err := factsScript.Run(ctx, s.rdb, indexes, k.base, min, max).StringSlice()
	if err != nil {
		return nil, err
	}
	return factRows(rows), nil
}

// factRows reads fact rows as luaFactRow writes them.
func factRows(rows []string) []rapport.Fact {
	out := make([]rapport.Fact, 0, len(rows))
	var v [factCols]string
	for _, line := range rows {
		num, line, _ := strings.Cut(line, "\t")
		for i := range v {
			v[i], line, _ = strings.Cut(line, "\t")
		}
		n, _ := strconv.ParseInt(num, 10, 64)
		out = append(out, factFromCols(n, v))
	}
	return out
}

// factFromCols is referral n's fact from its factFields' values (empty: not stored).
func factFromCols(n int64, v [factCols]string) rapport.Fact {
	val, _ := strconv.ParseInt(v[colValue], 10, 64)
	return rapport.Fact{
		Ref: n, Giver: v[colGiver], Receiver: v[colReceiver],
		Temperature:     rapport.Facts{Spoke: v[colSpoke] == "1", MayShare: v[colMayShare] == "1", Expects: v[colExpects] == "1"}.Temperature(),
		Status:          rapport.Status(v[colStatus]),
		Created:         msTime(v[colCreated]),
		FirstAction:     msTime(v[colFirstAction]),
		FirstContact:    msTime(v[colFirstContact]),
		Won:             msTime(v[colWonAt]),
		Value:           val,
		Currency:        v[colCurrency],
		PassedBy:        v[colPassedBy],
		CreditElsewhere: v[colCreditElse] == "1",
	}
}

// factList reads a list of fact rows from a script's reply.
func factList(v any) ([]rapport.Fact, error) {
	items, ok := v.([]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("read facts: unexpected %T", v)
	}
	rows := make([]string, len(items))
	for i, it := range items {
		rows[i], _ = it.(string)
	}
	return factRows(rows), nil
}

// msTime reads a Unix-ms field; empty is the zero time.
func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s == "" {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
