package bot

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// How the sender meets Slack's failures (DESIGN.md, "Outbox"): a fault of the workspace (its
// token) or of one method (a scope) pauses sending and keeps every message; only a fault of the
// message itself dead-letters it; anything else is retried, up to maxDeliveries.
const (
	// authRecheck is how often auth.test asks whether a refused token works again, and how long a
	// method Slack refused for the whole workspace (a missing scope) rests before the next message
	// tries it again.
	authRecheck = 15 * time.Second
	// retryBase is the unit of the backoff between tries of a transient failure (n² of it, at most
	// maxRetryWait).
	retryBase    = 200 * time.Millisecond
	maxRetryWait = 30 * time.Second
	// maxDeliveries caps the tries of a message that keeps failing transiently, counted in the
	// stream (so across restarts and replicas): then it is dead-lettered, if others went meanwhile
	// (sender.transient).
	maxDeliveries = 10
	// transientPatience is how long a message that fails transiently while nothing else goes is
	// tried before it is dead-lettered all the same: longer than Slack's outages.
	transientPatience = 24 * time.Hour
	// tellAgainAfter is how long admins are not told again of a fault they were told of.
	tellAgainAfter = 24 * time.Hour
	// ReasonRetriesExhausted, followed by the last error's code, is the dead-letter reason of a
	// message that failed maxDeliveries times.
	ReasonRetriesExhausted = "retries_exhausted:"
	// MaxDeliveries is maxDeliveries, for the words that explain a dead letter to admins.
	MaxDeliveries = maxDeliveries
)

// faultClass sorts a Slack failure by what it is a fault of.
type faultClass int

const (
	faultTransient faultClass = iota // Slack or the network, for now: try again later
	faultWorkspace                   // the token: nothing can be sent until it works again
	faultMethod                      // one method (a scope): nothing of that method can be sent
	faultMessage                     // this message (its channel, its blocks): it never will be
)

var faultClasses = map[string]faultClass{
	"invalid_auth": faultWorkspace, "not_authed": faultWorkspace, "token_revoked": faultWorkspace,
	"token_expired": faultWorkspace, "account_inactive": faultWorkspace,
	"team_access_not_granted": faultWorkspace, "org_login_required": faultWorkspace, "ekm_access_denied": faultWorkspace,
	"team_added_to_org": faultWorkspace, "two_factor_setup_required": faultWorkspace, "enterprise_is_restricted": faultWorkspace,

	"missing_scope": faultMethod, "not_allowed_token_type": faultMethod, "method_deprecated": faultMethod,

	"channel_not_found": faultMessage, "user_not_found": faultMessage, "is_archived": faultMessage,
	"cannot_dm_bot": faultMessage, "user_disabled": faultMessage, "not_in_channel": faultMessage,
	"invalid_blocks": faultMessage, "msg_too_long": faultMessage, "no_text": faultMessage,
	"message_not_found": faultMessage, "cant_update_message": faultMessage, "edit_window_closed": faultMessage,
	"invalid_arguments": faultMessage, "restricted_action": faultMessage,
	// A workflow step's run that cannot be completed: gone, completed already, or its outputs refused.
	"function_execution_not_found": faultMessage, "execution_not_in_running_state": faultMessage,
	"parameter_validation_failed": faultMessage,
}

// classify sorts err, and names it for logs and dead letters: Slack's error code, or the kind of
// failure. Unknown errors are transient: retried, then capped, never lost at once.
func classify(err error) (faultClass, string) {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	var ne net.Error
	switch {
	case errors.As(err, &rl):
		return faultTransient, "ratelimited"
	case errors.As(err, &sc):
		return faultTransient, "http_" + strconv.Itoa(sc.Code)
	case errors.As(err, &se):
		return faultClasses[se.Err], se.Err // faultTransient (0) when not listed
	case errors.Is(err, context.DeadlineExceeded):
		return faultTransient, "timeout"
	case errors.As(err, &ne):
		return faultTransient, "network"
	}
	return faultTransient, "unknown"
}

// Fault is a fault of the workspace's setup that an admin can mend: a method Slack refuses for
// want of a scope, or a channel Rapport is not in. Config.OnFault hears of each.
type Fault struct {
	Method  string // e.g. "files.getUploadURLExternal"
	Code    string // Slack's error, e.g. "missing_scope"
	Channel string // for not_in_channel: the channel
}

// faults is what the sender knows of the workspace's health: whether its token is refused (all
// sending paused, /readyz down) and which methods are paused. Each is logged once when it starts
// and once when it ends, never per message.
type faults struct {
	log *zap.Logger
	now func() time.Time

	every time.Duration // authRecheck, shorter in tests

	mu        sync.Mutex
	refused   string    // Slack's code while the token is refused; "" when it works
	nextCheck time.Time // when auth.test next asks
	methods   map[string]methodPause
	told      map[Fault]time.Time // when admins were last told of each fault
	recheck   chan struct{}       // wakes the auth watcher when the token is first refused
}

// methodPause is a method Slack refuses for the workspace: its code, and when the next message
// of it may try again.
type methodPause struct {
	code  string
	until time.Time
}

func newFaults(log *zap.Logger, now func() time.Time) *faults {
	return &faults{log: log, now: now, every: authRecheck, methods: map[string]methodPause{}, told: map[Fault]time.Time{},
		recheck: make(chan struct{}, 1)}
}

// tokenRefused pauses all sending for code; the first report is logged and wakes the watcher.
func (f *faults) tokenRefused(code string) {
	f.mu.Lock()
	first := f.refused == ""
	f.refused = code
	if first {
		f.nextCheck = f.now().Add(f.every)
	}
	f.mu.Unlock()
	if first {
		f.log.Error("Slack refuses the bot token: all sending paused, every message kept; auth.test will tell when it works",
			zap.String("code", code), zap.Duration("check_every", f.every))
		select {
		case f.recheck <- struct{}{}:
		default:
		}
	}
}

// waitToken is how long sending must wait for the token; 0 when it works.
func (f *faults) waitToken() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused == "" {
		return 0
	}
	return max(f.nextCheck.Sub(f.now()), 0) + 100*time.Millisecond
}

// reason is why the workspace cannot send, for /readyz; "" when it can.
func (f *faults) reason() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused == "" {
		return ""
	}
	return "Slack refuses the bot token (" + f.refused + ")"
}

// checked records an auth.test: ok resumes sending.
func (f *faults) checked(ok bool, code string) {
	f.mu.Lock()
	was := f.refused
	if ok {
		f.refused = ""
	} else if code != "" {
		f.refused = code
	}
	f.nextCheck = f.now().Add(f.every)
	f.mu.Unlock()
	if ok && was != "" {
		f.log.Info("Slack accepts the bot token again: sending resumed", zap.String("was", was))
	}
}

// methodRefused pauses method for code until the next re-check; the first refusal is logged.
func (f *faults) methodRefused(method, code string) {
	f.mu.Lock()
	_, paused := f.methods[method]
	f.methods[method] = methodPause{code: code, until: f.now().Add(f.every)}
	f.mu.Unlock()
	if !paused {
		f.log.Error("Slack refuses a method for the whole workspace: its messages wait, admins are told",
			zap.String("method", method), zap.String("code", code))
	}
}

// waitMethod is how long messages of method must wait for its pause; 0 when it may be tried.
func (f *faults) waitMethod(method string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.methods[method]
	if !ok {
		return 0
	}
	return max(p.until.Sub(f.now()), 0)
}

// methodWorks ends a method's pause after a call of it succeeded.
func (f *faults) methodWorks(method string) {
	f.mu.Lock()
	was, paused := f.methods[method]
	delete(f.methods, method)
	f.mu.Unlock()
	if paused {
		f.log.Info("Slack accepts the method again: its messages resume", zap.String("method", method), zap.String("was", was.code))
	}
}

// news reports whether admins have not been told of fault by this process for a day (the outbox
// keeps the same rule across replicas), and from now on counts it as told.
func (f *faults) news(fault Fault) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if at, ok := f.told[fault]; ok && now.Sub(at) < tellAgainAfter {
		return false
	}
	f.told[fault] = now
	return true
}

// untold forgets that admins were told of fault: telling them failed, so its next occurrence tries
// again rather than wait tellAgainAfter.
func (f *faults) untold(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.told, fault)
}

// watchAuth asks auth.test every authRecheck while the token is refused, until stop.
func (s *sender) watchAuth(stop context.Context) {
	t := time.NewTicker(s.faults.every)
	defer t.Stop()
	for {
		select {
		case <-stop.Done():
			return
		case <-t.C:
		case <-s.faults.recheck:
			t.Reset(s.faults.every)
			continue
		}
		if s.faults.reason() == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(stop, slackTimeout)
		_, err := s.api.AuthTestContext(ctx)
		cancel()
		code := ""
		if err != nil {
			if class, c := classify(err); class == faultWorkspace {
				code = c
			}
		}
		s.faults.checked(err == nil, code)
	}
}
