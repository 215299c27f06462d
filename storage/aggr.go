package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Aggregates: the numbers kept as referrals move (issue 11). Each period (periodsField: the
// day, week, month, quarter and year in the group's zone, and "all") has one hash, aggr:<period id>,
// of "<member>|<counter>" → a sum; each member has one hash, aggr:pair:<U>, of "<other>|<counter>"
// → a sum over all time (the ledger). A referral's contribution (luaAggr's contrib) is a function
// of its fields alone, and every script that changes a referral takes its contribution away
// before and adds it back after, in the same script: the sums are right by construction, whatever
// the move (create, a step, pass on, withdraw and refer again, undo, expiry, an admin's
// correction). A recommendation adds its own, and so does a 1:1 when its partner confirms it (it
// is never taken back: a confirmed 1:1 stays confirmed). The periods a referral counts in are fixed
// when it is created (aggr_created) and closed (aggr_won) from the group's zone then, a 1:1's when
// it is recorded (the day met); a change of zone takes effect for past referrals and 1:1s with a
// rebuild, which the app starts by itself (AggregatesBuilt).
//
// Counters (the rules of rapport.Leaderboard, StatsOf and Ledger):
//
//	in the periods of its creation   hot, warm, cold  given by the giver (rapport.Fact.Given)
//	                                 po               passed on by the receiver (status passed)
//	                                 rc, rb           received; reached the prospect (Contacted)
//	                                 f<bin>           time to first contact, by rapport.FirstContactBin
//	                                 cc, cv:<cur>     closed by the receiver: count, value per currency
//	                                 bc, bv:<cur>     business the giver's referral brought
//	in the periods of its closing    wc, wv:<cur>     closed business credited to the giver (the board)
//	in the periods of a vouch        vg, vr           recommendations given, received
//	in the periods of the day met    oo               confirmed 1:1s, for each of the two members
//	aggr:days, "<yyyymmdd>|…"        hot, warm, cold, po   the group's totals of a day (creation)
//	                                 wc, wv:<cur>     and of its closed business (closing): the chart
//	                                 oo               and its confirmed 1:1s, each once
//	aggr:pair:<U>, "<other>|…"       g, r, p          given to, received from, received and passed on
//	                                 cf:<cur>         value the other closed from U's referrals
//	                                 cr:<cur>         value U closed from the other's referrals
//	                                 vf, vb           U vouched for the other, the other for U
//	                                 m, ml            confirmed 1:1s of the two; the latest day they
//	                                                  met (yyyymmdd: a maximum, not a sum)
//
// While `rapport rebuild-aggregates` runs, aggr:rebuild holds how far it got (ref: the referral
// number, vouch: the ms of recognitions, oneone: the 1:1 number); the scripts then count only what
// it already counted.

// Suffixes of the aggregate keys, which the scripts build (luaAggr).
const (
	sfxAggr     = "aggr:"
	sfxAggrPair = "aggr:pair:"
	aggrRebuild = "aggr:rebuild"
	aggrIndex   = "aggr:keys"
	aggrDays    = "aggr:days"
	waiting     = "waiting"
)

func (k keys) aggr(period string) string   { return k.base + sfxAggr + period }
func (k keys) aggrPair(user string) string { return k.base + sfxAggrPair + user }
func (k keys) aggrRebuild() string         { return k.base + aggrRebuild }
func (k keys) aggrIndex() string           { return k.base + aggrIndex }
func (k keys) aggrDays() string            { return k.base + aggrDays }
func (k keys) waiting() string             { return k.base + waiting }

// aggrFields are the referral fields a contribution reads, in contrib's order.
var aggrFields = []string{fGiver, fReceiver, fSpoke, fMayShare, fExpects, fStatus, fCreated, fFirstContact,
	fValue, fCurrency, fPassedBy, fCreditElse, fAggrCreated, fAggrWon}

// luaAggr declares, for a script that has luaKeys and luaRules:
//
//	aggrRef(n, sign)          adds (1) or takes away (-1) referral n's contribution, and its
//	                          place in its members' open indexes
//	aggrVouch(at, from, to, periods, sign)  a recommendation's
//	aggrOneOnOne(n)           adds confirmed 1:1 n's
func buildLuaAggr() string {
	var b strings.Builder
	var names, edges []string
	for _, f := range aggrFields {
		names = append(names, luaQuote(f))
	}
	luaTable(&b, "AGGR_FIELDS", names)
	var periods []string
	for _, p := range rapport.PeriodNames {
		periods = append(periods, luaQuote(p))
	}
	luaTable(&b, "PERIOD_NAMES", periods)
	for _, e := range rapport.FirstContactBins {
		edges = append(edges, strconv.FormatInt(e.Milliseconds(), 10))
	}
	luaTable(&b, "FC_EDGES", edges)
	fmt.Fprintf(&b, "local STATUS_PASSED, STATUS_WITHDRAWN = %s, %s\n", luaQuote(string(rapport.StatusPassed)), luaQuote(string(rapport.StatusWithdrawn)))
	fmt.Fprintf(&b, "local AGGR, AGGR_PAIR, AGGR_REBUILD, AGGR_INDEX = BASE .. %s, BASE .. %s, BASE .. %s, BASE .. %s\n",
		luaQuote(sfxAggr), luaQuote(sfxAggrPair), luaQuote(aggrRebuild), luaQuote(aggrIndex))
	fmt.Fprintf(&b, "local AGGR_DAYS, WAITING = BASE .. %s, BASE .. %s\n", luaQuote(aggrDays), luaQuote(waiting))
	b.WriteString(luaAggrFuncs)
	return b.String()
}

var luaAggr = buildLuaAggr()

const luaAggrFuncs = `
local aggrIndexed = {} -- the keys this script already listed in AGGR_INDEX
local function aggrAdd(key, field, by)
  if by == 0 then return end
  if redis.call('HINCRBY', key, field, by) == 0 then redis.call('HDEL', key, field) end
  if not aggrIndexed[key] then
    redis.call('SADD', AGGR_INDEX, key)
    aggrIndexed[key] = true
  end
end

-- periodIDs reads a periods field (periodsField: the first days of PERIOD_NAMES' periods, then
-- "all"; or, as older versions wrote it, the IDs themselves) as the periods' IDs, once per field.
local periodCache = {}
local function periodIDs(periods)
  local ids = periodCache[periods]
  if ids then return ids end
  ids = {}
  local i = 0
  for tok in string.gmatch(periods, '%S+') do
    i = i + 1
    if string.find(tok, '^%d+$') and PERIOD_NAMES[i] then tok = PERIOD_NAMES[i] .. ':' .. tok end
    ids[#ids + 1] = tok
  end
  periodCache[periods] = ids
  return ids
end

local function aggrIn(periods, member, counter, by)
  if not periods or periods == '' or not member or member == '' then return end
  for _, id in ipairs(periodIDs(periods)) do aggrAdd(AGGR .. id, member .. '|' .. counter, by) end
end

-- aggrDay adds to the group's total of the day among periods (its "day:<yyyymmdd>"), in aggr:days
-- as "<yyyymmdd>|<counter>": what the digest's chart reads, a few fields a day.
local function aggrDay(periods, counter, by)
  if not periods or periods == '' then return end
  for _, id in ipairs(periodIDs(periods)) do
    local day = string.match(id, '^day:(%d+)$')
    if day then aggrAdd(AGGR_DAYS, day .. '|' .. counter, by) end
  end
end

local function aggrPair(member, other, counter, by)
  if not member or member == '' or not other or other == '' or member == other then return end
  aggrAdd(AGGR_PAIR .. member, other .. '|' .. counter, by)
end

-- aggrCounted says whether the sums include referral n: always, but while a rebuild runs only
-- what it has reached.
local function aggrCounted(field, at)
  local c = redis.call('HGET', AGGR_REBUILD, field)
  return not c or tonumber(at) <= tonumber(c)
end

-- aggrRef also keeps the members' open indexes (given-open:<U>, received-open:<U>, by created
-- ms) and the group's waiting index (referrals still new, by created ms): taken away before a
-- change, added back after while the referral is open (new).
local function aggrRef(n, sign)
  local v = redis.call('HMGET', refKey(n), unpack(AGGR_FIELDS))
  local giver, receiver, st, created, fc = v[1], v[2], v[6], tonumber(v[7]), tonumber(v[8])
  if not st then return end
  if sign < 0 then
    if giver then redis.call('ZREM', givenOpenKey(giver), n) end
    if receiver then redis.call('ZREM', receivedOpenKey(receiver), n) end
    redis.call('ZREM', WAITING, n)
  elseif OPEN[st] and created then
    if giver and giver ~= '' then redis.call('ZADD', givenOpenKey(giver), created, n) end
    if receiver and receiver ~= '' then redis.call('ZADD', receivedOpenKey(receiver), created, n) end
    if st == STATUS_NEW then redis.call('ZADD', WAITING, created, n) end
  end
  if not aggrCounted('ref', n) then return end
  local value, cur, ap, aw = sign * (tonumber(v[9]) or 0), v[10] or '', v[13], v[14]
  local given = (v[11] or '') == '' and v[12] ~= '1' and st ~= STATUS_WITHDRAWN
  local won = st == STATUS_WON
  if given then
    local facts = (v[3] == '1' and 1 or 0) + (v[4] == '1' and 1 or 0) + (v[5] == '1' and 1 or 0)
    local temp = 'warm'
    if facts == 3 then temp = 'hot' elseif facts == 0 then temp = 'cold' end
    aggrIn(ap, giver, temp, sign)
    aggrDay(ap, temp, sign)
    aggrPair(giver, receiver, 'g', sign)
  end
  if st ~= STATUS_WITHDRAWN then -- taken back by its giver: not received, as it is not given
    aggrIn(ap, receiver, 'rc', sign)
    aggrPair(receiver, giver, 'r', sign)
  end
  if st == STATUS_PASSED then
    aggrIn(ap, receiver, 'po', sign)
    aggrDay(ap, 'po', sign)
    aggrPair(receiver, giver, 'p', sign)
  end
  if fc and created then
    local d, bin = fc - created, #FC_EDGES
    for i, edge in ipairs(FC_EDGES) do
      if d < tonumber(edge) then bin = i - 1; break end
    end
    aggrIn(ap, receiver, 'rb', sign)
    aggrIn(ap, receiver, 'f' .. bin, sign)
  end
  if won then
    aggrIn(ap, receiver, 'cc', sign)
    aggrIn(ap, receiver, 'cv:' .. cur, value)
    aggrIn(ap, giver, 'bc', sign)
    aggrIn(ap, giver, 'bv:' .. cur, value)
    aggrIn(aw, giver, 'wc', sign)
    aggrIn(aw, giver, 'wv:' .. cur, value)
    aggrDay(aw, 'wc', sign)
    aggrDay(aw, 'wv:' .. cur, value)
    aggrPair(giver, receiver, 'w', sign)
    aggrPair(giver, receiver, 'cf:' .. cur, value)
    aggrPair(receiver, giver, 'cr:' .. cur, value)
  end
end

local function aggrVouch(at, from, to, periods, sign)
  if not aggrCounted('vouch', at) then return end
  aggrIn(periods, from, 'vg', sign)
  aggrIn(periods, to, 'vr', sign)
  aggrPair(from, to, 'vf', sign)
  aggrPair(to, from, 'vb', sign)
end

-- aggrLatest keeps in member's ledger the latest day (yyyymmdd) they met other.
local function aggrLatest(member, other, day)
  if not day or not tonumber(day) then return end
  local key, field = AGGR_PAIR .. member, other .. '|ml'
  if tonumber(day) > tonumber(redis.call('HGET', key, field) or '0') then redis.call('HSET', key, field, day) end
end

-- aggrOneOnOne adds confirmed 1:1 n: once for each of its two members in the periods of the day
-- they met, once in the group's total of that day, and in both ledgers (how many, and when last).
local function aggrOneOnOne(n)
  if not aggrCounted('oneone', n) then return end
  local v = redis.call('HMGET', oneOnOneKey(n), O.recorder, O.partner, O.periods, O.met)
  local a, b, ap, met = v[1], v[2], v[3], v[4]
  if not a or not b or a == '' or b == '' or a == b then return end
  aggrIn(ap, a, 'oo', 1)
  aggrIn(ap, b, 'oo', 1)
  aggrDay(ap, 'oo', 1)
  aggrPair(a, b, 'm', 1)
  aggrPair(b, a, 'm', 1)
  aggrLatest(a, b, met)
  aggrLatest(b, a, met)
end
`

// periodsField writes the periods t is in, in loc (rapport.PeriodNames), as a referral keeps them
// (aggr_created, aggr_won) and the scripts take them: each period's first day as yyyymmdd in
// PeriodNames' order, "all" as itself. Under 64 bytes, it keeps a referral's hash a listpack;
// luaAggr's periodIDs reads it back as the periods' IDs (rapport.Period.ID).
func periodsField(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	parts := make([]string, len(rapport.PeriodNames))
	for i, name := range rapport.PeriodNames {
		p, _ := rapport.PeriodOf(name, t, loc)
		if parts[i] = p.ID(); name != "all" {
			parts[i] = p.From.Format("20060102")
		}
	}
	return strings.Join(parts, " ")
}

// periodSums are one period's sums: member → counter → sum.
type periodSums map[string]map[string]int64

func readSums(h map[string]string) periodSums {
	out := periodSums{}
	for f, v := range h {
		member, counter, ok := strings.Cut(f, "|")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		m := out[member]
		if m == nil {
			m = map[string]int64{}
			out[member] = m
		}
		m[counter] = n
	}
	return out
}

// add adds o's sums to ps's.
func (ps periodSums) add(o periodSums) {
	for member, cs := range o {
		m := ps[member]
		if m == nil {
			m = map[string]int64{}
			ps[member] = m
		}
		for c, n := range cs {
			m[c] += n
		}
	}
}

// value is a counter's value in the group's currency cur ("cv:EUR"), with the values of no
// currency ("cv:"): the numbers show the group's one currency, as rapport.Fact.Value, and a deal
// closed in another currency counts as a deal but adds nothing to them (its own DMs and the digest
// show its value). cur "" (a store told no currency) sums every currency.
func (c counters) value(prefix, cur string) int64 {
	if cur != "" {
		return c[prefix] + c[prefix+cur]
	}
	var v int64
	for k, n := range c {
		if strings.HasPrefix(k, prefix) {
			v += n
		}
	}
	return v
}

type counters map[string]int64

func (c counters) int(name string) int { return int(c[name]) }

// firstContact is the median time to first contact of c's histogram.
func (c counters) firstContact() (time.Duration, int) {
	bins := map[int]int{}
	for k, n := range c {
		if strings.HasPrefix(k, "f") {
			if i, err := strconv.Atoi(k[1:]); err == nil {
				bins[i] = int(n)
			}
		}
	}
	return rapport.MedianOfBins(bins)
}

// Board returns the leaderboard of period p (rapport.PeriodOf) from its aggregates, in one round
// trip: rapport.Leaderboard's numbers, medians exact to rapport.FirstContactBins.
func (s *Store) Board(ctx context.Context, team string, p rapport.Period) (rapport.Board, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys(team).aggr(p.ID())).Result()
	if err != nil {
		return rapport.Board{}, fail("read the board of "+p.ID(), err)
	}
	return boardOf(readSums(h), s.currencyOf(team)), nil
}

func boardOf(sums periodSums, cur string) rapport.Board {
	var b rapport.Board
	for m, raw := range sums {
		c := counters(raw)
		if g := (rapport.GiverCount{Member: m, Hot: c.int("hot"), Warm: c.int("warm"), Cold: c.int("cold"), PassedOn: c.int("po")}); g.Hot+g.Warm+g.Cold+g.PassedOn > 0 {
			b.Givers = append(b.Givers, g)
		}
		if n := c.int("wc"); n > 0 {
			b.Closed = append(b.Closed, rapport.MemberValue{Member: m, Count: n, Value: c.value("wv:", cur)})
		}
		if med, n := c.firstContact(); n > 0 {
			b.Fastest = append(b.Fastest, rapport.MemberSpeed{Member: m, Median: med, Count: n})
		}
	}
	rapport.SortBoard(&b)
	return b
}

// MemberStats returns member's numbers over period p from its aggregates, in one round trip.
func (s *Store) MemberStats(ctx context.Context, team, member string, p rapport.Period) (rapport.MemberStats, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys(team).aggr(p.ID())).Result()
	if err != nil {
		return rapport.MemberStats{}, fail("read the numbers of "+member, err)
	}
	return statsOf(counters(readSums(h)[member]), s.currencyOf(team)), nil
}

func statsOf(c counters, cur string) rapport.MemberStats {
	s := rapport.MemberStats{
		Hot: c.int("hot"), Warm: c.int("warm"), Leads: c.int("cold"), PassedOn: c.int("po"), Received: c.int("rc"),
		ClosedCount: c.int("cc"), ClosedValue: c.value("cv:", cur), BroughtCount: c.int("bc"), BroughtValue: c.value("bv:", cur),
		ReportedBack: c.int("rb"), VouchesGiven: c.int("vg"), VouchesReceived: c.int("vr"), OneOnOnes: c.int("oo"),
	}
	s.Given = s.Hot + s.Warm + s.Leads
	s.MedianFirstContact, _ = c.firstContact()
	return s
}

// Balances returns member's ledger (rapport.Ledger) from its aggregates, in one round trip, with
// their confirmed 1:1s with each member. withSocial false leaves recommendations and 1:1s out, as
// the Home's balances (referrals given and received) do.
func (s *Store) Balances(ctx context.Context, team, member string, withSocial bool) ([]rapport.Balance, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys(team).aggrPair(member)).Result()
	if err != nil {
		return nil, fail("read the ledger of "+member, err)
	}
	return balancesOf(readSums(h), withSocial, s.currencyOf(team)), nil
}

// socialCounters are the ledger's counters of recommendations and 1:1s.
var socialCounters = []string{"vf", "vb", "m", "ml"}

func balancesOf(sums periodSums, withSocial bool, cur string) []rapport.Balance {
	out := make([]rapport.Balance, 0, len(sums))
	for other, raw := range sums {
		c := counters(raw)
		b := rapport.Balance{Other: other, Given: c.int("g"), Received: c.int("r"), PassedOn: c.int("p"),
			ClosedForOther: c.value("cf:", cur), ClosedFromOther: c.value("cr:", cur)}
		if withSocial {
			b.VouchedFor, b.VouchedBy, b.Met = c.int("vf"), c.int("vb"), c.int("m")
			b.LastMet, _ = rapport.ParseCompactDate(strconv.FormatInt(c["ml"], 10))
		}
		// The ledger lists whoever the member exchanged with: any counter kept (zeros are not).
		kept := len(c)
		if !withSocial {
			for _, v := range socialCounters {
				if _, ok := c[v]; ok {
					kept--
				}
			}
		}
		if kept == 0 {
			continue
		}
		out = append(out, b)
	}
	rapport.SortBalances(out)
	return out
}

// rebuildSlice bounds the referrals one rebuild script counts: each costs 80 to 180 µs of Redis time
// (some 30 commands: its six periods, pairs, open indexes and rewritten fields), so a slice stays
// well under 5 ms (a slice averaged 1.5 ms at 1,000,000 referrals).
const rebuildSlice = 10

// rebuildStartScript starts a rebuild: it marks it (aggr:rebuild, nothing counted yet) and takes
// up to 100 aggregate keys away; it is run until it returns 0 keys left.
//
// KEYS: 1 aggr:rebuild, 2 aggr:keys (the aggregates it removes are listed there). ARGV: 1 team base.
var rebuildStartScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
redis.call('HSET', KEYS[1], 'ref', 0, 'vouch', -1, 'oneone', 0)
local ks = redis.call('SPOP', KEYS[2], 100)
for _, k in ipairs(ks) do redis.call('UNLINK', k) end
return redis.call('SCARD', KEYS[2])
`)

// rebuildRefsScript counts referrals ARGV[2].. (at most rebuildSlice): for each, its number, its
// created periods and, when its won_at is still ARGV's, its won periods. It moves the rebuild's
// referral mark to ARGV[2] (the last number of the slice) and returns the last referral number.
//
// KEYS: 1 seq, 2 aggr:rebuild (and, built from the base, the referrals and their aggregates).
// ARGV: 1 team base, 2 the slice's last number, 3.. groups of 4: n, created periods, won_at, won periods.
var rebuildRefsScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
for i = 3, #ARGV, 4 do
  local n, ap, wonAt, aw = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local ref = refKey(n)
  if redis.call('EXISTS', ref) == 1 then
    redis.call('HSET', ref, F.aggr_created, ap)
    if aw ~= '' and (redis.call('HGET', ref, F.won_at) or '') == wonAt then redis.call('HSET', ref, F.aggr_won, aw) end
  end
end
redis.call('HSET', KEYS[2], 'ref', ARGV[2])
for i = 3, #ARGV, 4 do aggrRef(ARGV[i], 1) end
return tonumber(redis.call('GET', KEYS[1]) or '0')
`)

// rebuildVouchesScript counts the recommendations after the rebuild's vouch mark, at most
// rebuildSlice and all those of the last one's ms, and ends the rebuild when none are left.
//
// KEYS: 1 vouches. ARGV: 1 team base, 2.. pairs of zset member and its periods.
var rebuildVouchesScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
local last = -1
for i = 2, #ARGV, 2 do
  local at, from, to = string.match(ARGV[i], '^(%d+):([^:]*):(.*)$')
  if at then
    redis.call('HSET', AGGR_REBUILD, 'vouch', at)
    aggrVouch(at, from, to, ARGV[i + 1], 1)
  end
end
return 0
`)

// rebuildOneOnOnesScript counts 1:1s ARGV[2].. (at most rebuildSlice): for each, its number and
// the periods of the day met in the zone, which it keeps in the 1:1 (a pending one counts in them
// once confirmed). It moves the rebuild's 1:1 mark to ARGV[2] (the slice's last number), counts
// those that count (confirmed: ONEONE_COUNTS), and returns the last 1:1 number.
//
// KEYS: 1 oneone:seq, 2 aggr:rebuild. ARGV: 1 team base, 2 the slice's last number, 3.. pairs of
// n and its periods.
var rebuildOneOnOnesScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
for i = 3, #ARGV, 2 do
  local key = oneOnOneKey(ARGV[i])
  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, O.periods, ARGV[i + 1]) end
end
redis.call('HSET', KEYS[2], 'oneone', ARGV[2])
for i = 3, #ARGV, 2 do
  if ONEONE_COUNTS[redis.call('HGET', oneOnOneKey(ARGV[i]), O.status) or ''] then aggrOneOnOne(ARGV[i]) end
end
return tonumber(redis.call('GET', KEYS[1]) or '0')
`)

// rebuildEndScript ends a rebuild when it has counted every referral, recommendation and 1:1: it
// replies 0, or 1 with the referral mark when referrals came past it, 2 when recommendations did,
// or 3 with the 1:1 mark when 1:1s did.
//
// KEYS: 1 vouches, 2 oneone:seq. ARGV: 1 team base.
var rebuildEndScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
local mark = redis.call('HMGET', AGGR_REBUILD, 'ref', 'vouch', 'oneone')
if not mark[1] then return {0, 0} end
if tonumber(mark[1]) < tonumber(redis.call('GET', BASE .. 'seq') or '0') then return {1, tonumber(mark[1])} end
if #redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. mark[2], '+inf', 'LIMIT', 0, 1) > 0 then return {2, 0} end
local oneone = tonumber(mark[3] or '0')
if oneone < tonumber(redis.call('GET', KEYS[2]) or '0') then return {3, oneone} end
redis.call('DEL', AGGR_REBUILD)
return {0, 0}
`)

// aggrLockTTL is how long the rebuild's lock outlives its last renewal (every third of it): a
// replica that dies mid-rebuild frees it for the next one within that time.
const aggrLockTTL = 30 * time.Second

// ErrRebuildRunning is RebuildAggregates' answer while another process rebuilds the team's
// aggregates.
var ErrRebuildRunning = errors.New("a rebuild of the aggregates is already running")

// aggrBuiltScript says whether team's aggregates were built as ARGV[2] says (the mark
// migrated:aggr holds the layout and zone of the last complete rebuild: builtMark); a team with no
// referral, no recommendation and no 1:1 has nothing to build, and is marked at once.
//
// KEYS: 1 migrated:aggr, 2 seq, 3 vouches, 4 oneone:seq. ARGV: 1 team base, 2 builtMark.
var aggrBuiltScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[2] then return 1 end
if redis.call('EXISTS', KEYS[2], KEYS[3], KEYS[4]) == 0 then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

// aggrLayout numbers the aggregates' layout: a version that keeps more (2: the days, and the
// waiting index) or counts otherwise (3: a withdrawn referral is not received) is rebuilt once at
// its first start, like a change of zone.
const aggrLayout = "3"

// builtMark is what migrated:aggr holds once the aggregates are built in loc: the layout and the zone.
func builtMark(loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return aggrLayout + " " + loc.String()
}

// AggregatesBuilt reports, in one round trip, whether team's aggregates were built in loc: false
// after an upgrade from a version without them, and after the group's time zone changed (the
// periods are the zone's weeks, months, quarters and years), until RebuildAggregates completes.
func (s *Store) AggregatesBuilt(ctx context.Context, team string, loc *time.Location) (bool, error) {
	k := s.keys(team)
	n, err := aggrBuiltScript.Run(ctx, s.rdb, []string{k.migrated("aggr"), k.seq(), k.recognition(rapport.RecognitionVouch), k.oneOnOneSeq()},
		k.base, builtMark(loc)).Int()
	if err != nil {
		return false, fail("check the aggregates", err)
	}
	return n == 1, nil
}

// RebuildAggregates recomputes every aggregate of team from its referrals, recommendations and
// confirmed 1:1s, in scripts of at most rebuildSlice referrals (or 1:1s) each, with the periods of
// loc (the group's zone), and marks them built in loc (AggregatesBuilt). One process at a time
// rebuilds (a lock, renewed as it goes; another gets ErrRebuildRunning). The writes meanwhile
// count only what the rebuild has reached, so the sums are right at the end whatever moved during
// it; while it runs the numbers are partial. It returns how many referrals it counted.
func (s *Store) RebuildAggregates(ctx context.Context, team string, loc *time.Location) (int, error) {
	const op = "rebuild aggregates"
	k := s.keys(team)
	lock, err := redislock.New(s.rdb).Obtain(ctx, k.lock("aggregates"), aggrLockTTL, nil)
	if errors.Is(err, redislock.ErrNotObtained) {
		return 0, fail(op, ErrRebuildRunning)
	}
	if err != nil {
		return 0, fail(op, err)
	}
	lctx, cancel := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(aggrLockTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-tick.C:
				if err := lock.Refresh(lctx, aggrLockTTL, nil); err != nil {
					cancel(fmt.Errorf("the rebuild's lock was lost: %w", err))
					return
				}
			}
		}
	}()
	// Unmarked until it completes: a rebuild cut short leaves the next start one to do.
	err = s.rdb.Del(lctx, k.migrated("aggr")).Err()
	var n int
	if err == nil {
		n, err = s.rebuildAggregates(lctx, k, loc)
	}
	if err == nil {
		err = s.rdb.Set(lctx, k.migrated("aggr"), builtMark(loc), 0).Err()
	}
	if cause := context.Cause(lctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	cancel(nil)
	<-renewed
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer rcancel()
	_ = lock.Release(rctx) // expired or not, the next rebuild may go on
	return n, fail(op, err)
}

func (s *Store) rebuildAggregates(ctx context.Context, k keys, loc *time.Location) (int, error) {
	for {
		left, err := rebuildStartScript.Run(ctx, s.rdb, []string{k.aggrRebuild(), k.aggrIndex()}, k.base).Int()
		if err != nil {
			return 0, err
		}
		if left == 0 {
			break
		}
	}
	counted, err := s.rebuildRefs(ctx, k, 1, loc)
	if err != nil {
		return counted, err
	}
	if err := s.rebuildVouches(ctx, k, "-inf", loc); err != nil {
		return counted, err
	}
	if err := s.rebuildOneOnOnes(ctx, k, 1, loc); err != nil {
		return counted, err
	}
	for {
		res, err := rebuildEndScript.Run(ctx, s.rdb, []string{k.recognition(rapport.RecognitionVouch), k.oneOnOneSeq()}, k.base).Int64Slice()
		if err != nil || len(res) != 2 {
			return counted, fmt.Errorf("end: %v %v", res, err)
		}
		switch res[0] {
		case 0:
			return counted, nil
		case 1:
			c, err := s.rebuildRefs(ctx, k, res[1]+1, loc)
			counted += c
			if err != nil {
				return counted, err
			}
		case 3:
			if err := s.rebuildOneOnOnes(ctx, k, res[1]+1, loc); err != nil {
				return counted, err
			}
		default:
			mark, err := s.rdb.HGet(ctx, k.aggrRebuild(), "vouch").Result()
			if err != nil {
				return counted, err
			}
			if err := s.rebuildVouches(ctx, k, "("+mark, loc); err != nil {
				return counted, err
			}
		}
	}
}

// rebuildRefs counts referrals from number next to the last, a slice per script.
func (s *Store) rebuildRefs(ctx context.Context, k keys, next int64, loc *time.Location) (int, error) {
	counted := 0
	last, err := s.rdb.Get(ctx, k.seq()).Int64()
	if err != nil && err != redis.Nil {
		return 0, err
	}
	for next <= last {
		end := min(next+rebuildSlice-1, last)
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, 0, end-next+1)
		for n := next; n <= end; n++ {
			cmds = append(cmds, pipe.HMGet(ctx, k.ref(n), fCreated, fWonAt))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return counted, err
		}
		args := []any{k.base, end}
		for i, c := range cmds {
			v := c.Val()
			created, _ := v[0].(string)
			if created == "" {
				continue
			}
			wonAt, _ := v[1].(string)
			aw := ""
			if wonAt != "" {
				aw = periodsField(msTime(wonAt), loc)
			}
			args = append(args, next+int64(i), periodsField(msTime(created), loc), wonAt, aw)
			counted++
		}
		seq, err := rebuildRefsScript.Run(ctx, s.rdb, []string{k.seq(), k.aggrRebuild()}, args...).Int64()
		if err != nil {
			return counted, err
		}
		next, last = end+1, seq
	}
	return counted, nil
}

// rebuildVouches counts recommendations from score from on, a slice per script, each ms whole.
func (s *Store) rebuildVouches(ctx context.Context, k keys, from string, loc *time.Location) error {
	key := k.recognition(rapport.RecognitionVouch)
	for {
		vs, err := s.rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: from, Max: "+inf", Count: rebuildSlice}).Result()
		if err != nil {
			return err
		}
		full := len(vs) == rebuildSlice
		if full {
			lastAt := vs[len(vs)-1].Score
			for len(vs) > 0 && vs[len(vs)-1].Score == lastAt {
				vs = vs[:len(vs)-1]
			}
			at := strconv.FormatFloat(lastAt, 'f', 0, 64)
			more, err := s.rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: at, Max: at}).Result()
			if err != nil {
				return err
			}
			vs = append(vs, more...)
		}
		if len(vs) == 0 {
			return nil
		}
		args := []any{k.base}
		for _, v := range vs {
			m, _ := v.Member.(string)
			args = append(args, m, periodsField(time.UnixMilli(int64(v.Score)), loc))
		}
		if err := rebuildVouchesScript.Run(ctx, s.rdb, []string{key}, args...).Err(); err != nil {
			return err
		}
		if !full {
			return nil
		}
		from = "(" + strconv.FormatFloat(vs[len(vs)-1].Score, 'f', 0, 64)
	}
}

// rebuildOneOnOnes counts 1:1s from number next to the last, a slice per script.
func (s *Store) rebuildOneOnOnes(ctx context.Context, k keys, next int64, loc *time.Location) error {
	last, err := s.rdb.Get(ctx, k.oneOnOneSeq()).Int64()
	if err != nil && err != redis.Nil {
		return err
	}
	for next <= last {
		end := min(next+rebuildSlice-1, last)
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, 0, end-next+1)
		for n := next; n <= end; n++ {
			cmds = append(cmds, pipe.HGet(ctx, k.oneOnOne(n), oMet))
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return err
		}
		args := []any{k.base, end}
		for i, c := range cmds {
			if met, ok := rapport.ParseCompactDate(c.Val()); ok {
				args = append(args, next+int64(i), periodsField(met.Start(loc), loc))
			}
		}
		seq, err := rebuildOneOnOnesScript.Run(ctx, s.rdb, []string{k.oneOnOneSeq(), k.aggrRebuild()}, args...).Int64()
		if err != nil {
			return err
		}
		next, last = end+1, seq
	}
	return nil
}
