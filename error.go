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
	EUNAVAILABLE = "unavailable" // a dependency (Redis) is down; try again
	EINTERNAL    = "internal"    // anything else: logged, never shown in detail
)

// Error is a failure whose Message is written for the person who caused it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("rapport: %s: %s", e.Code, e.Message) }

// Errorf returns a user-facing error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a user-facing error in err's chain, or EINTERNAL.
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
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on Rapport's side. Nothing was changed; please try again."
}
