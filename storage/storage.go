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
)

// Open connects to the Redis of a REDIS_URL (redis:// or rediss://). It does not ping: startup
// decides whether an unreachable Redis is fatal.
//
// For now the URL names a single node (redis.ParseURL); Sentinel and Cluster come later behind the
// same UniversalClient, which is why Open returns the interface.
func Open(url string) (redis.UniversalClient, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	// Honour the caller's deadline (a Slack ack has 3 s in all), and fail fast on a dead node
	// rather than letting one request wait out long default timeouts: the person is told to try
	// again at once. A command is tried 3 times (MaxRetries) with a single dial each; go-redis's
	// default of 5 dials 100 ms apart per try would spend the whole ack budget on a refused port.
	opt.ContextTimeoutEnabled = true
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = 2 * time.Second
	opt.WriteTimeout = 2 * time.Second
	opt.MaxRetries = 2
	opt.DialerRetries = 1
	return redis.NewClient(opt), nil
}

// Store is Rapport's Redis store. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	now     func() time.Time
	deadCap int64 // dead letters kept, about (MAXLEN ~)
	zone    func(team string) *time.Location
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
