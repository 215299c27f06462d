package redistest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RoundTrips is a go-redis hook counting what is sent to Redis: each command, and each pipeline or
// transaction as a whole, is one round trip. A new connection's handshake (HELLO, CLIENT SETINFO),
// which go-redis makes when it opens one, is not the code's and is not counted. Add it with
// client.AddHook(&trips); read it with Load.
type RoundTrips struct{ atomic.Int64 }

func (r *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !Handshake(cmd) {
			r.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (r *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || !Handshake(cmds[0]) {
			r.Add(1)
		}
		return next(ctx, cmds)
	}
}

// Handshake reports whether cmd is part of a new connection's handshake (HELLO, CLIENT SETINFO).
func Handshake(cmd redis.Cmder) bool {
	switch strings.ToLower(cmd.Name()) {
	case "hello", "client":
		return true
	}
	return false
}

// Trace is a go-redis hook that records each round trip (a command, or a pipeline or transaction
// as a whole) with what it sent, so that a test can say where its round trips go. Calls made with a
// context from Untraced are not recorded: a test's own polling. Add it with client.AddHook(tr).
type Trace struct {
	mu    sync.Mutex
	trips []Trip
}

// Trip is one round trip: when its reply came, its commands (each as its name and arguments, the
// arguments as strings, and as go-redis ran it, reply included), and the error of the first command
// that failed (redis.Nil included).
type Trip struct {
	At     time.Time
	Cmds   [][]string
	Cmders []redis.Cmder
	Err    error
}

type untraced struct{}

// Untraced marks ctx so that the calls made with it are not recorded.
func Untraced(ctx context.Context) context.Context { return context.WithValue(ctx, untraced{}, true) }

// Since returns the trips whose reply came at or after t, oldest first.
func (tr *Trace) Since(t time.Time) []Trip {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []Trip
	for _, p := range tr.trips {
		if !p.At.Before(t) {
			out = append(out, p)
		}
	}
	return out
}

func (tr *Trace) DialHook(next redis.DialHook) redis.DialHook { return next }

func (tr *Trace) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		tr.record(ctx, []redis.Cmder{cmd})
		return err
	}
}

func (tr *Trace) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		tr.record(ctx, cmds)
		return err
	}
}

func (tr *Trace) record(ctx context.Context, cmds []redis.Cmder) {
	if ctx.Value(untraced{}) != nil {
		return
	}
	p := Trip{At: time.Now(), Cmders: cmds}
	for _, c := range cmds {
		args := make([]string, len(c.Args()))
		for i, a := range c.Args() {
			args[i] = fmt.Sprint(a)
		}
		p.Cmds = append(p.Cmds, args)
		if p.Err == nil && c.Err() != nil {
			p.Err = c.Err()
		}
	}
	tr.mu.Lock()
	tr.trips = append(tr.trips, p)
	tr.mu.Unlock()
}
