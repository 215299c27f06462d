package rapport

import (
	"sort"
	"time"
)

// Ask is what a member wants referrals for (rule 7).
type Ask struct {
	Member string
	Text   string
	At     time.Time
}

// SortAsks orders asks newest first.
func SortAsks(as []Ask) {
	sort.Slice(as, func(i, j int) bool {
		if !as[i].At.Equal(as[j].At) {
			return as[i].At.After(as[j].At)
		}
		return as[i].Member < as[j].Member
	})
}

// Kinds of recognition, counted apart from referrals.
const (
	RecognitionThanks = "thanks"  // a public thank-you for any help (rule 4)
	RecognitionVouch  = "vouches" // a recommendation: vouching for a member with no live need (DOMAIN words)
)

// Recognition is a thank-you or a recommendation.
type Recognition struct {
	Kind string    `json:"kind"`
	From string    `json:"from"`
	To   string    `json:"to"`   // the member thanked or vouched for
	Text string    `json:"text"` // the thanks, or to whom and why they were recommended
	At   time.Time `json:"at"`
}
