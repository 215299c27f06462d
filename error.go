package rapport

import (
	"errors"
	"fmt"
)

// Error codes separate what a person may be told from internal failures.
const (
	EINVALID     = "invalid"     // the input breaks a rule; Message says which
	ENOTFOUND    = "not_found"   // the thing asked for does not exist
	EFORBIDDEN   = "forbidden"   // the person may not do this
	ECONFLICT    = "conflict"    // the state changed under the request (a stale click); Message says how
	EUNAVAILABLE = "unavailable" // a dependency (Redis) is down: the write did not happen; try again
	EINDOUBT     = "in_doubt"    // a write was sent but its answer never came: it may have happened
	EINTERNAL    = "internal"    // anything else: logged, never shown in detail
)

// Error is a failure of a known kind. Message, when set, is written for the person who caused it;
// an error without one (a store that is unavailable) is worded by the Slack face from its Code.
// Op and Err say, for the logs, what failed and why.
type Error struct {
	Code    string
	Message string
	Op      string // what failed, e.g. "create referral"
	Err     error  // the cause, if any
}

func (e *Error) Error() string {
	s := "rapport: " + e.Code
	if e.Op != "" {
		s += ": " + e.Op
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a user-facing error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns what the person may be told about err: the Message of a user-facing error,
// or a plain apology that leaks nothing of an internal one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "Something went wrong on Rapport's side. Nothing was changed; please try again."
}
