package rapport

import (
	"regexp"
	"strings"
)

// StatesNeed reports whether a message asks for help rather than offers it: "Anyone know a good
// roofer?", "My neighbour is looking for an accountant", "Can someone recommend a lawyer?". Its
// author is then the one in need, or passing a need on, and so never the member to refer it to:
// a referral made from such a message goes to someone who can help, chosen by the giver. A message
// that offers ("If you need a will, call me", "Looking for new clients in Tempe") or says anything
// else does not state a need, and its author may well be the one to refer it to.
//
// It is a small phrase check, on purpose: explainable, and wrong on the safe side. Phrases match as
// whole words, in any case, with typographic apostrophes read as straight ones; the offers are
// taken out first, then any need phrase left makes it a need. A need it misses makes the form
// suggest the author, whom the giver sees and can change; an offer it reads as a need only leaves
// the receiver for the giver to pick.
func StatesNeed(text string) bool {
	t := strings.ToLower(strings.NewReplacer("\u2019", "'", "\u2018", "'").Replace(text))
	t = offerPhrases.ReplaceAllString(t, " ")
	return needPhrases.MatchString(t)
}

// wordsOf is a regexp matching any of phrases as whole words.
func wordsOf(phrases ...string) *regexp.Regexp {
	return regexp.MustCompile(`\b(` + strings.Join(phrases, "|") + `)\b`)
}

// needPhrases are the ways a message asks for a provider. "recommend" counts only as a request
// ("recommend a", "any recommendations"): "I highly recommend Bob" vouches for a member and is no
// need.
var needPhrases = wordsOf(
	// Looking for someone.
	`looking for`, `searching for`, `in search of`, `on the hunt for`, `trying to find`, `help me find`,
	// Asking the group.
	`any ?(one|body) (know|knows|have|has|use|uses|recommend)`, `does any ?(one|body)`, `do you know`,
	`(can|could|would) (any ?(one|body)|someone|somebody|you) (recommend|suggest|help|point)`,
	`know (of )?(a|an|any|anyone|anybody|someone|somebody)`, `who (do|does|would|should|can) (you|i|we)`,
	`who's (a|an|the) (good|best)`, `who is (a|an|the) (good|best)`,
	// Needing.
	`(i|we|they|he|she) (really |urgently )?needs?`, `needs? (a|an|some|help|to find|someone|somebody)`,
	`in need of`, `could use (a|an|some|help)`,
	// Asking for a name.
	`recommend (a|an|any|someone|somebody)`, `(any|a) recommendations?`, `recommendations? (for|on)`,
	`suggestions? (for|on)`, `any suggestions?`, `referral (for|to) (a|an)`,
)

// offerPhrases are a provider's words that would read as a need: a conditional "if you need", an
// audience "anyone who needs", and a member's ask for business ("looking for new clients").
var offerPhrases = wordsOf(
	`if (you|anyone|anybody|someone|somebody|your \w+) (ever |still )?needs?`,
	`(anyone|anybody|someone|somebody|whoever|those|people|clients|friends) (who|that) (ever |still )?needs?`,
	`(do|does) (you|your \w+) need`,
	`looking for (new |more |good )?(clients|customers|introductions|intros|referrals|leads|work|projects)`,
)
