package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bsm/redislock"
)

// WithLock runs fn while holding the lock of job for team, and reports whether it ran: when another
// replica holds the lock, WithLock returns false, nil at once. fn's context ends when the lock
// expires (after ttl), so a job that outruns its lock stops instead of running beside the next
// holder. A lock only keeps replicas from computing a job at the same time: a job that must run
// once per period also claims its period in the step that queues its messages (DESIGN.md). The
// lock's own failures are the store's errors (fail); fn's error is returned as fn returned it.
func (s *Store) WithLock(ctx context.Context, team, job string, ttl time.Duration, fn func(ctx context.Context) error) (ran bool, err error) {
	if ttl <= 0 {
		return false, fail("lock "+job, errors.New("ttl must be positive"))
	}
	deadline := time.Now().Add(ttl)
	l, err := redislock.New(s.rdb).Obtain(ctx, s.keys(team).lock(job), ttl, nil)
	if errors.Is(err, redislock.ErrNotObtained) {
		return false, nil
	}
	if err != nil {
		return false, fail("lock "+job, err)
	}
	fctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	ferr := fn(fctx)
	outran := errors.Is(fctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	// Release even when ctx is done (shutdown), so the next holder need not wait out the TTL.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer rcancel()
	if rerr := l.Release(rctx); rerr != nil && ferr == nil {
		if errors.Is(rerr, redislock.ErrLockNotHeld) {
			return true, fail("lock "+job, errors.New("expired before the job finished"))
		}
		return true, fail("unlock "+job, rerr)
	}
	if ferr == nil && outran {
		return true, fail("lock "+job, fmt.Errorf("the job outran its lock (%s)", ttl))
	}
	return true, ferr
}
