package bot

import "time"

// SetFaultTimings shortens the sender's waits for a test: how often auth.test re-checks a refused
// token (and a refused method rests), and the unit of the retry backoff.
func SetFaultTimings(b *Bot, authEvery, retryBase time.Duration) {
	b.sender.faults.every = authEvery
	b.sender.retryBase = retryBase
}
