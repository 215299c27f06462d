package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Kinds of Redis failure.
const (
	redisTimeout = "timeout" // no answer in time
	redisNetwork = "network" // the connection failed or broke
	redisReply   = "reply"   // Redis answered with an error (BUSY, READONLY, WRONGTYPE, …)
)

var redisErrorKinds = []string{redisTimeout, redisNetwork, redisReply, other}

// Hook counts the failed round trips of the client it is added to (rdb.AddHook): a command, or a
// pipeline or transaction once whatever number of its commands failed. redis.Nil (a missing key)
// is an answer, not a failure, and so is NOSCRIPT, which a script's Run answers by loading it; a
// command its caller gave up on (a cancelled context: shutdown) is not Redis's failure either.
func (m *Metrics) Hook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.count(cmd)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			if h.count(c) {
				break
			}
		}
		return err
	}
}

// count counts cmd's error if it is a failure, and reports whether it was.
func (h redisHook) count(cmd redis.Cmder) bool {
	err := cmd.Err()
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) || strings.HasPrefix(err.Error(), "NOSCRIPT") ||
		isSetInfo(cmd) {
		return false
	}
	h.m.redisErrors.WithLabelValues(redisErrorKind(err)).Inc()
	return true
}

// isSetInfo reports whether cmd is the CLIENT SETINFO go-redis sends on each new connection, and
// whose refusal by a Redis older than 7.2 it ignores.
func isSetInfo(cmd redis.Cmder) bool {
	args := cmd.Args()
	return len(args) > 1 && strings.EqualFold(cmd.Name(), "client") && strings.EqualFold(fmt.Sprint(args[1]), "setinfo")
}

func redisErrorKind(err error) string {
	var re redis.Error
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return redisTimeout
	case errors.As(err, &ne), errors.Is(err, redis.ErrClosed):
		return redisNetwork
	case errors.As(err, &re):
		return redisReply
	}
	return other
}
