package bot

import (
	"context"
	"sync"
	"time"
)

// Pacer shares Slack's rate limits among every replica of the bot (storage.Store, through Redis).
// A budget is a method, or a method and a channel; channel "" names the workspace-wide budget.
type Pacer interface {
	// Pace takes a slot of a budget allowing one call every `every` with bursts of burst: 0 means
	// call now; otherwise wait that long (a pause included) and ask again. every <= 0 only honours
	// pauses.
	Pace(ctx context.Context, team, method, channel string, every time.Duration, burst int) (time.Duration, error)
	// Pause holds the budget's calls on every replica for d, as a 429's Retry-After asks.
	Pause(ctx context.Context, team, method, channel string, d time.Duration) error
}

// rate is one of Slack's budgets: at most perMinute calls in any minute, bursts of burst.
type rate struct {
	perMinute  int
	burst      int
	perChannel bool // one budget per channel (chat.postMessage), not per workspace
}

// Slack's published tiers (SLACK.md "Limits"), per method per workspace.
var (
	tier2 = rate{perMinute: 20, burst: 3}
	tier3 = rate{perMinute: 50, burst: 5}
	tier4 = rate{perMinute: 100, burst: 10}
)

// slackRates is what the sender paces itself to. chat.postMessage is "about one per second per
// channel with short bursts": one a second, bursts of 3, never more than 60 in a minute. A method
// not listed gets the stricter Tier 2.
var slackRates = map[string]rate{
	"chat.postMessage":   {perMinute: 60, burst: 3, perChannel: true},
	"chat.update":        tier3,
	"chat.postEphemeral": tier4,
	"conversations.open": tier3,
	"users.info":         tier4,
	"views.open":         tier4,
	"views.update":       tier4,
	"views.publish":      tier4,

	"files.getUploadURLExternal":   tier4,
	"files.completeUploadExternal": tier4,

	"functions.completeSuccess": tier3,
	"functions.completeError":   tier3,
}

func rateOf(method string) rate {
	if r, ok := slackRates[method]; ok {
		return r
	}
	return tier2
}

// every is the spacing of calls that keeps any one-minute window within perMinute, burst included:
// a GCRA allows burst + floor(w/every) calls in a window w.
func (r rate) every() time.Duration {
	n := r.perMinute - r.burst + 1
	if n < 1 {
		n = 1
	}
	return time.Minute / time.Duration(n)
}

// budgetOf names the budget a call of method to channel draws on.
func budgetOf(method, channel string) (string, string) {
	if !rateOf(method).perChannel {
		channel = ""
	}
	return method, channel
}

// pauses is this process's copy of the 429 pauses it met, so that its own workers hold off without
// asking Redis (and do so even when pacing is off).
type pauses struct {
	mu    sync.Mutex
	until map[[2]string]time.Time
}

func (p *pauses) set(method, channel string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.until == nil {
		p.until = map[[2]string]time.Time{}
	}
	k := [2]string{method, channel}
	if until.After(p.until[k]) {
		p.until[k] = until
	}
}

// wait returns how long the budget is still paused at now (0: not paused).
func (p *pauses) wait(method, channel string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := [2]string{method, channel}
	until, ok := p.until[k]
	if !ok {
		return 0
	}
	if !until.After(now) {
		delete(p.until, k)
		return 0
	}
	return until.Sub(now)
}
