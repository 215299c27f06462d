package storage

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// fail is the storage boundary for errors: every exported Store method returns its errors through
// it, so callers see the domain's kinds and never go-redis's. It keeps what a person may read as it
// is (a *rapport.Error from a script's reply, rapport.FieldErrors, *rapport.ProspectTaken,
// *rapport.Refused, *rapport.OneOnOneRefused, *rapport.PairRefused), and turns anything else into a
// *rapport.Error without a Message (the Slack face words it from the Code) whose Op says what failed and Err why:
//
//   - redis.Nil: ENOTFOUND;
//   - Redis unreachable, slow or busy (network errors, EOF, a deadline or cancellation, a pool
//     timeout, a LOADING, BUSY, MASTERDOWN, TRYAGAIN, CLUSTERDOWN or READONLY reply): EUNAVAILABLE;
//   - anything else (a script error, an unreadable value): EINTERNAL.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var (
		domain  *rapport.Error
		fields  rapport.FieldErrors
		taken   *rapport.ProspectTaken
		refused *rapport.Refused
		oneone  *rapport.OneOnOneRefused
		paired  *rapport.PairRefused
	)
	if errors.As(err, &domain) || errors.As(err, &fields) || errors.As(err, &taken) || errors.As(err, &refused) ||
		errors.As(err, &oneone) || errors.As(err, &paired) {
		return err
	}
	code := rapport.EINTERNAL
	switch {
	case errors.Is(err, redis.Nil):
		code = rapport.ENOTFOUND
	case unavailable(err):
		code = rapport.EUNAVAILABLE
	}
	return &rapport.Error{Code: code, Op: op, Err: err}
}

// unavailableReplies are the Redis error replies that mean "not now": loading its data, running a
// slow script, without a master, resharding, or a replica that cannot write.
var unavailableReplies = map[string]bool{
	"LOADING": true, "BUSY": true, "MASTERDOWN": true, "TRYAGAIN": true, "CLUSTERDOWN": true, "READONLY": true,
}

// unavailable reports whether err says Redis could not be reached or could not answer now, as
// opposed to answering that something is wrong.
func unavailable(err error) bool {
	var netErr net.Error
	var reply redis.Error
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted), errors.Is(err, redis.ErrClosed):
		return true
	case errors.As(err, &reply):
		word, _, _ := strings.Cut(reply.Error(), " ")
		return unavailableReplies[word]
	}
	return false
}
