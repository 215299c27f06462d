package rapport

// HomeListLimit is how many open referrals of each side App Home lists in full; the rest are
// counted (Slack allows 100 blocks in a Home view).
const HomeListLimit = 10

// HomeData is everything a member's App Home shows, read in one step so the Home is fast to draw
// (one Redis round trip, whatever the member's history: open indexes and aggregates).
type HomeData struct {
	Given    []Referral // open referrals the member gave, newest first, at most HomeListLimit
	Received []Referral // open referrals waiting on the member, newest first, at most HomeListLimit
	// OpenGiven and OpenReceived count the member's open referrals, so a Home that lists the newest
	// can say how many more there are.
	OpenGiven, OpenReceived int
	HasHistory              bool        // the member ever gave or received a referral
	Stats                   MemberStats // the member's numbers this month (StatsOf's rules)
	Balances                []Balance   // the member's give and take, all time, recommendations apart (Ledger)
	Board                   Board       // the group's leaderboard this month (Leaderboard)
	Ask                     Ask         // the member's current ask; Text is "" when none
	Opened                  bool        // the member has opened the Home tab (recently): only they get refreshes
	// Member is the member as the directory has them (the zero Member, ID aside, when it does not
	// yet): an admin's Home shows the group's open referrals too.
	Member Member
}
