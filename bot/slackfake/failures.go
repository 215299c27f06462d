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

// FailNext makes the next n calls to method answer {"ok":false,"error":slackError} with HTTP 200,
// the way Slack reports API errors. Calls with a bad token still fail on the token first.
func (s *Server) FailNext(method, slackError string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = &failure{err: slackError, n: n}
}

// RefuseBotToken makes every call with the bot token, auth.test included, answer
// {"ok":false,"error":slackError}, as Slack does for a revoked or expired token (token_revoked,
// invalid_auth, account_inactive); "" accepts the token again.
func (s *Server) RefuseBotToken(slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botRefused = slackError
}

// RemoveBot takes the bot out of channel (a private channel it was never invited to, or one it was
// removed from): chat.postMessage there answers not_in_channel until InviteBot.
func (s *Server) RemoveBot(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outside == nil {
		s.outside = map[string]bool{}
	}
	s.outside[channel] = true
}

// InviteBot puts the bot back in channel.
func (s *Server) InviteBot(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.outside, channel)
}

// RateLimitNext makes the next n calls to method answer HTTP 429 with Retry-After in whole seconds
// (rounded up), which slack-go turns into *slack.RateLimitedError.
func (s *Server) RateLimitNext(method string, retryAfter time.Duration, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateNext[method] = &rateNext{after: retryAfter, n: n}
}

// SetRateLimit enforces a sustained limit of perMinute accepted calls to method in any sliding
// minute; calls over it get HTTP 429 with the wait until a slot frees. chat.postMessage is
// limited per channel, as in Slack (about one per second per channel); every other method per
// workspace. perMinute <= 0 removes the limit.
func (s *Server) SetRateLimit(method string, perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perMinute <= 0 {
		delete(s.limits, method)
		return
	}
	s.limits[method] = &sustainedLimit{perMinute: perMinute, hits: map[string][]time.Time{}}
}

// rateLimitedLocked reports whether r must be refused with 429 and for how long.
func (s *Server) rateLimitedLocked(r *request, after *time.Duration) bool {
	if rn := s.rateNext[r.method]; rn != nil && rn.n > 0 {
		rn.n--
		*after = rn.after
		return true
	}
	l := s.limits[r.method]
	if l == nil {
		return false
	}
	key := ""
	if r.method == "chat.postMessage" {
		key = r.params["channel"]
	}
	now := s.now()
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
func (s *Server) takeFailureLocked(method string) string {
	f := s.failures[method]
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
