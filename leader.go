package rapport

import "time"

// OpenReferral is an open referral as the group's open index has it: the referral and when its
// last event happened (its creation, or its last move). The leader's view lists these.
type OpenReferral struct {
	Referral
	LastEvent time.Time
}

// NudgeEvery is how often an admin's "Nudge now" reaches a receiver about one referral: a second
// tap (or a second admin) within it nudges nobody, so a receiver hears of it once a day at most.
const NudgeEvery = 24 * time.Hour

// EntryBy is the outbox field naming the admin who asked for a nudge.
const EntryBy = "by"

// Nudged is what an admin's "Nudge now" did: the receiver it addressed, and whether it queued the
// nudge (false: one went out within NudgeEvery, at Before).
type Nudged struct {
	Receiver string
	Queued   bool
	Before   time.Time
}
