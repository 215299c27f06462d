package slackfake

import (
	"math"
	"strconv"
	"time"
)

type failure struct {
	err string
	n   int
}

type rateNext struct {
	after time.Duration
	n     int
}

// sustainedLimit is a sliding one-minute window of accepted calls.
type sustainedLimit struct {
	perMinute int
	hits      map[string][]time.Time // window key → accepted call times
}

// FailNext is Workspace.FailNext of the default workspace.
func (s *Server) FailNext(method, slackError string, n int) {
	s.def.FailNext(method, slackError, n)
}

// FailNext makes the next n calls to method in the workspace answer {"ok":false,"error":slackError}
// with HTTP 200, the way Slack reports API errors. Calls with a bad token still fail on the token
// first. The default workspace's also meet apps.connections.open (the app-level token's) and
// oauth.v2.access (no token).
func (w *Workspace) FailNext(method, slackError string, n int) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.failures[method] = &failure{err: slackError, n: n}
}

// SlowNext is Workspace.SlowNext of the default workspace.
func (s *Server) SlowNext(method string, d time.Duration, n int) { s.def.SlowNext(method, d, n) }

// SlowNext makes the next n calls to method in the workspace do their work at once and answer d
// later, as Slack does when it is slow to reply to a call it has carried out (a message posted,
// its reply late).
func (w *Workspace) SlowNext(method string, d time.Duration, n int) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if w.slow == nil {
		w.slow = map[string]*rateNext{}
	}
	w.slow[method] = &rateNext{after: d, n: n}
}

// takeSlowLocked consumes one injected slow reply for method: how long its answer waits.
func (w *Workspace) takeSlowLocked(method string) time.Duration {
	sl := w.slow[method]
	if sl == nil || sl.n <= 0 {
		return 0
	}
	sl.n--
	return sl.after
}

// RefuseBotToken is Workspace.RefuseBotToken of the default workspace.
func (s *Server) RefuseBotToken(slackError string) { s.def.RefuseBotToken(slackError) }

// RefuseBotToken makes every call with the workspace's bot token (fixed or installed), auth.test
// included, answer
// {"ok":false,"error":slackError}, as Slack does for a revoked or expired token (token_revoked,
// invalid_auth, account_inactive); "" accepts the token again.
func (w *Workspace) RefuseBotToken(slackError string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.botRefused = slackError
}

// RemoveBot is Workspace.RemoveBot of the default workspace.
func (s *Server) RemoveBot(channel string) { s.def.RemoveBot(channel) }

// RemoveBot takes the bot out of channel (a private channel it was never invited to, or one it was
// removed from): chat.postMessage there answers not_in_channel until InviteBot.
func (w *Workspace) RemoveBot(channel string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if w.outside == nil {
		w.outside = map[string]bool{}
	}
	w.outside[channel] = true
}

// InviteBot is Workspace.InviteBot of the default workspace.
func (s *Server) InviteBot(channel string) { s.def.InviteBot(channel) }

// InviteBot puts the bot back in channel.
func (w *Workspace) InviteBot(channel string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	delete(w.outside, channel)
}

// RateLimitNext is Workspace.RateLimitNext of the default workspace.
func (s *Server) RateLimitNext(method string, retryAfter time.Duration, n int) {
	s.def.RateLimitNext(method, retryAfter, n)
}

// RateLimitNext makes the next n calls to method in the workspace answer HTTP 429 with Retry-After
// in whole seconds (rounded up), which slack-go turns into *slack.RateLimitedError. Slack limits
// each workspace apart: another workspace's calls go through. The default workspace's also meet
// apps.connections.open.
func (w *Workspace) RateLimitNext(method string, retryAfter time.Duration, n int) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.rateNext[method] = &rateNext{after: retryAfter, n: n}
}

// SetRateLimit is Workspace.SetRateLimit of the default workspace.
func (s *Server) SetRateLimit(method string, perMinute int) {
	s.def.SetRateLimit(method, perMinute)
}

// SetRateLimit enforces a sustained limit of perMinute accepted calls to method in any sliding
// minute; calls over it get HTTP 429 with the wait until a slot frees. chat.postMessage is
// limited per channel, as in Slack (about one per second per channel); every other method per
// workspace. Each workspace has its own limits. perMinute <= 0 removes the limit.
func (w *Workspace) SetRateLimit(method string, perMinute int) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if perMinute <= 0 {
		delete(w.limits, method)
		return
	}
	w.limits[method] = &sustainedLimit{perMinute: perMinute, hits: map[string][]time.Time{}}
}

// rateLimitedLocked reports whether r must be refused with 429 and for how long.
func (w *Workspace) rateLimitedLocked(r *request, after *time.Duration) bool {
	if rn := w.rateNext[r.method]; rn != nil && rn.n > 0 {
		rn.n--
		*after = rn.after
		return true
	}
	l := w.limits[r.method]
	if l == nil {
		return false
	}
	key := ""
	if r.method == "chat.postMessage" {
		key = r.params["channel"]
	}
	now := w.s.now()
	hits := l.hits[key]
	for len(hits) > 0 && now.Sub(hits[0]) >= time.Minute {
		hits = hits[1:]
	}
	if len(hits) >= l.perMinute {
		l.hits[key] = hits
		*after = hits[0].Add(time.Minute).Sub(now)
		return true
	}
	l.hits[key] = append(hits, now)
	return false
}

// takeFailureLocked consumes one injected failure for method, if any.
func (w *Workspace) takeFailureLocked(method string) string {
	f := w.failures[method]
	if f == nil || f.n <= 0 {
		return ""
	}
	f.n--
	return f.err
}

// retryAfterHeader renders Slack's Retry-After: whole seconds, never rounding a wait down.
func retryAfterHeader(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
