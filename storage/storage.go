// Package storage keeps Rapport's state in Redis: referrals and their indexes, the member directory,
// envelope deduplication and the outbox of messages owed to Slack.
//
// Every write a user action causes is one round trip (a Lua script or MULTI), and every key of a
// workspace carries the workspace's hash tag, so the same code runs on one node and on Redis Cluster
// (keys.go lays the keys out). The scripts take the domain's rules and the referral's field names
// from Go (lua.go), and every error leaves the package as one of the domain's kinds (errors.go).
package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport/storage/internal/redisurl"
)

// Open makes the client of the Redis that url names, in one of three forms (go-redis's own URL
// parsers read each):
//
//   - one server: redis://[user:password@]host:port/db, or rediss:// for TLS;
//   - a Redis Cluster: a node and the others as addr= parameters,
//     redis://[user:password@]host1:port1?addr=host2:port2&addr=host3:port3 (database 0 only);
//   - Sentinel, when sentinelMaster names the master: the URL lists the sentinels the same way,
//     its user and password are the sentinels', the master's are its username= and password=
//     parameters.
//
// Every form gets the same timeouts and retries (a dead node fails a command within the ack's
// budget). Open does not connect: startup decides whether an unreachable Redis is fatal. Every
// command and script of the store stays within one team's slot (keys.go), so the same code runs on
// each form.
func Open(url, sentinelMaster string) (redis.UniversalClient, error) {
	rdb, err := redisurl.Open(url, sentinelMaster)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	return rdb, nil
}

// CheckURL reports what Open would refuse in url and sentinelMaster, without making a client. Its
// error never quotes the URL, which may carry a password.
func CheckURL(url, sentinelMaster string) error {
	_, err := redisurl.Parse(url, sentinelMaster)
	return err
}

// Store is Rapport's Redis store. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	now     func() time.Time
	deadCap int64 // dead letters kept, about (MAXLEN ~)
	zone    func(team string) *time.Location
	// currency is each group's currency (SetCurrency).
	currency func(team string) string
	tokens   *Keyring // seals bot tokens (install.go); nil: no installations
}

// Option configures a Store.
type Option func(*Store)

// WithPrefix puts every key under p instead of DefaultPrefix: tests give each test its own prefix so
// that tests sharing a server never see each other's keys.
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// WithClock replaces time.Now for the times the store records itself (dead letters); the
// times of referrals come from the caller.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithZone gives the group's time zone, whose weeks, months, quarters and years the aggregates
// are kept by (aggr.go); without it they are UTC's.
func WithZone(zone func(team string) *time.Location) Option { return func(s *Store) { s.zone = zone } }

// SetZone is WithZone for a store made before the settings that know the zone.
func (s *Store) SetZone(zone func(team string) *time.Location) { s.zone = zone }

// SetCurrency gives each group's currency, the one its numbers show (counters.value); without it
// they sum every currency.
func (s *Store) SetCurrency(currency func(team string) string) { s.currency = currency }

// currencyOf is team's currency ("" when the store was told none).
func (s *Store) currencyOf(team string) string {
	if s.currency != nil {
		return s.currency(team)
	}
	return ""
}

// loc is team's zone: its aggregates' periods and days (nil: UTC).
func (s *Store) loc(team string) *time.Location {
	if s.zone != nil {
		return s.zone(team)
	}
	return nil
}

// periods are the periods that include t in team's zone, as scripts take them (periodsField).
func (s *Store) periods(team string, t time.Time) string { return periodsField(t, s.loc(team)) }

// New returns a store over rdb. The store does not own rdb: the caller closes it.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, prefix: DefaultPrefix, now: time.Now, deadCap: DefaultDeadLetterCap}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Ping reports whether Redis answers, for readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fail("ping redis", err)
	}
	return nil
}
