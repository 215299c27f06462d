package bot

import "time"

// SetRetryBase shortens, for a test, the unit of the backoff after a transient failure.
func SetRetryBase(b *Bot, d time.Duration) { b.sender.retryBase = d }

// Intake pacing's bounds (outbox_lag.go), for tests that hold an ack.
const (
	IntakeLag  = intakeLag
	IntakeWait = intakeWait
)
