package storage

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// countScript counts one more delivery of an entry its consumer holds, in the stream's own
// delivery count (which XREADGROUP starts at 1 and every claim raises), so a message that keeps
// failing is counted across retries, restarts and replicas alike.
//
// KEYS: 1 outbox. ARGV: 1 group, 2 consumer, 3 entry id.
// Returns the count before this one, or 0 when the consumer does not hold the entry.
var countScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p ~= 1 or p[1][2] ~= ARGV[2] then return 0 end
local n = tonumber(p[1][4])
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'RETRYCOUNT', n + 1, 'JUSTID')
return n
`)

// CountDelivery records that consumer tried entry id once more and failed, and returns how many
// deliveries the stream had counted before (0: consumer no longer holds it). One round trip.
func (s *Store) CountDelivery(ctx context.Context, team, consumer, id string) (int, error) {
	n, err := countScript.Run(ctx, s.rdb, []string{s.keys(team).outbox()}, sendersGroup, consumer, id).Int()
	if isNoGroup(err) {
		return 0, nil
	}
	return n, fail("count delivery of "+id, err)
}
