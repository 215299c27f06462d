package metrics

import (
	"context"
	"errors"
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

// answers are Redis error replies that are no failure: the store acts on each as planned. NOSCRIPT
// has a script's Run load the script; NOGROUP has the outbox create its consumer group (a new
// team's first read), and BUSYGROUP says another replica created it first.
var answers = []string{"NOSCRIPT", "NOGROUP", "BUSYGROUP"}

// Hook counts the failed round trips of the client it is added to (rdb.AddHook): a command, or a
// pipeline or transaction once whatever number of its commands failed. redis.Nil (a missing key)
// is an answer, not a failure, and so are the answers the store acts on (answers); a command its
// caller gave up on (a cancelled context: shutdown) is not Redis's failure either, nor
// the CLIENT subcommands go-redis sends on each new connection (SETINFO, MAINT_NOTIFICATIONS) and
// whose refusal by an older Redis it ignores. Rapport sends no CLIENT command of its own.
func (m *Metrics) Hook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd) // the command's error: go-redis sets cmd.Err() only once the hooks returned
		h.count(cmd, err)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			if h.count(c, c.Err()) {
				return err
			}
		}
		if len(cmds) > 0 { // a failure of the whole round trip that no command carries
			h.count(cmds[0], err)
		}
		return err
	}
}

// count counts err, cmd's error, if it is a failure, and reports whether it was.
func (h redisHook) count(cmd redis.Cmder, err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) || strings.EqualFold(cmd.Name(), "client") {
		return false
	}
	for _, answer := range answers {
		if strings.HasPrefix(err.Error(), answer) {
			return false
		}
	}
	h.m.redisErrors.WithLabelValues(redisErrorKind(err)).Inc()
	return true
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
