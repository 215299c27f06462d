package storage

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// runOnceAware runs an idempotent script (a second run finds what the first wrote and writes
// nothing) and says, when no attempt got an answer, whether any attempt may still have run it.
//
// go-redis retries a command by itself and then reports only its last attempt's error, so a first
// attempt whose reply was lost followed by a refused dial would read as "never sent". Each attempt
// here is sent at most once by go-redis (onceScripter), and this loop does the retrying, keeping
// what every attempt said. The answer is then one of:
//
//   - the script's reply;
//   - EUNAVAILABLE: no attempt reached Redis, or Redis refused it unrun (BUSY, LOADING…), so
//     nothing was written;
//   - EINDOUBT: an attempt was sent and its reply never came (a timeout or a broken connection
//     after the write): the script may have run, and running it again is safe;
//   - any other error through fail (a script error, an unexpected reply).
func (s *Store) runOnceAware(ctx context.Context, op string, script *redis.Script, keys []string, args ...any) ([]any, error) {
	const attempts = 3
	sent := false
	var err error
	for i := range attempts {
		if i > 0 && sleep(ctx, time.Duration(i)*10*time.Millisecond) != nil {
			break
		}
		var res []any
		res, err = script.Run(ctx, onceScripter{s.rdb}, keys, args...).Slice()
		if err == nil {
			return res, nil
		}
		if !unavailable(err) {
			return nil, fail(op, err) // Redis answered: the outcome is known
		}
		sent = sent || !unsent(err)
		if ctx.Err() != nil {
			break
		}
	}
	if sent {
		return nil, &rapport.Error{Code: rapport.EINDOUBT, Op: op, Err: err}
	}
	return nil, fail(op, err)
}

// unsent reports whether err, from one attempt of a command, proves the command never ran: no
// connection was made or taken from the pool, the client is closed, the request could not be
// written whole (Redis runs only complete commands), or Redis answered that it would not run it
// now. Anything else that leaves the reply missing (a read that timed out or broke, a deadline
// that passed while waiting) may come after Redis ran it.
func unsent(err error) bool {
	var op *net.OpError
	var reply redis.Error
	switch {
	case errors.As(err, &op):
		return op.Op == "dial" || op.Op == "write"
	case errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted), errors.Is(err, redis.ErrClosed):
		return true
	case errors.As(err, &reply):
		return true // an answer: BUSY, LOADING… (the script did not start)
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// onceScripter runs scripts as commands go-redis sends at most once (see runOnceAware). Script.Run
// still falls back from EVALSHA to EVAL after a NOSCRIPT, which is an answer, not a retry.
type onceScripter struct{ redis.UniversalClient }

func (c onceScripter) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return c.once(ctx, "evalsha", sha1, keys, args)
}

func (c onceScripter) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return c.once(ctx, "eval", script, keys, args)
}

func (c onceScripter) once(ctx context.Context, name, body string, keys []string, args []any) *redis.Cmd {
	a := make([]any, 0, 3+len(keys)+len(args))
	a = append(a, name, body, len(keys))
	for _, k := range keys {
		a = append(a, k)
	}
	cmd := redis.NewCmd(ctx, append(a, args...)...)
	if len(keys) > 0 {
		cmd.SetFirstKeyPos(3) // routes it by its first key on a Cluster
	}
	_ = c.Process(ctx, onceCmd{cmd})
	return cmd
}

// onceCmd is a command go-redis's own retry loop leaves alone.
type onceCmd struct{ *redis.Cmd }

func (onceCmd) NoRetry() bool { return true }
