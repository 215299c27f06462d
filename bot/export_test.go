package bot

import "time"

// SetRetryBase shortens, for a test, the unit of the backoff after a transient failure.
func SetRetryBase(b *Bot, d time.Duration) { b.sender.retryBase = d }
