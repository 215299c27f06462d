package rapport

// HomeListLimit is how many open referrals of each side App Home lists in full; the rest are
// counted (Slack allows 100 blocks in a Home view).
const HomeListLimit = 10

// HomeData is everything a member's App Home shows, read in one step so the Home is fast to draw
// (one Redis round trip, whatever the member's history).
type HomeData struct {
	Given    []Referral // open referrals the member gave, newest first, at most HomeListLimit
	Received []Referral // open referrals waiting on the member, newest first, at most HomeListLimit
	// MemberFacts are every referral the member gave or received: their numbers and balances.
	MemberFacts []Fact
	// MonthFacts are the group's referrals created or closed in the month asked for: the leaderboard.
	MonthFacts []Fact
	// Vouches are the recommendations the member made or received in the month (rule 17).
	Vouches []Recognition
	Ask     Ask  // the member's current ask; Text is "" when none
	Opened  bool // the member has opened the Home tab (recently): only they get refreshes
}

// OpenCounts is how many referrals the member gave and received are still open, counted from
// MemberFacts, so a Home that lists the newest can say how many more there are.
func (d HomeData) OpenCounts(member string) (given, received int) {
	for _, f := range d.MemberFacts {
		if !f.Status.Open() {
			continue
		}
		if f.Giver == member {
			given++
		}
		if f.Receiver == member {
			received++
		}
	}
	return given, received
}
