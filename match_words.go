package rapport

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
)

// A term is one word of a text as matching sees it: its stem (the key two texts share) and the word
// as the member wrote it (what an explanation shows).
type term struct {
	stem string
	word string
}

var (
	// slackMarkup is what Slack puts between angle brackets in message text: mentions (<@U1>,
	// <#C1|general>, <!here>) and links (<https://…|label>). A link's label goes with it: it is a
	// name or the address again, not what someone asks for.
	slackMarkup = regexp.MustCompile(`<[^<>]*>`)
	// emojiCode is an emoji as Slack spells it in text (:wave:, :+1:, :skin-tone-2:).
	emojiCode = regexp.MustCompile(`:[a-z0-9_+'-]+:`)
	// entities are the three characters Slack escapes in message text.
	entities = strings.NewReplacer("&amp;", " ", "&lt;", " ", "&gt;", " ")
)

// referralTalk are the words people write around what they need rather than about it: asking
// ("looking for someone who can help", "introductions to …"), who it is for ("my client's small
// business", "local business owners"). English stop words come from the stemmer's own list
// (english.IsStopWord); these are the ones a referral group adds, with the contraction ends left
// over once "we're" or "I'll" is split at its apostrophe. Without them a vague need ("anyone know
// someone for a local business owner?") would match every ask that names its clients.
var referralTalk = map[string]bool{
	"look": true, "looking": true, "looks": true, "seek": true, "seeking": true,
	"need": true, "needs": true, "needed": true, "needing": true,
	"want": true, "wants": true, "wanted": true, "wanting": true,
	"someone": true, "somebody": true, "anyone": true, "anybody": true, "everyone": true,
	"person": true, "people": true,
	"refer": true, "referral": true, "referrals": true, "referring": true,
	"intro": true, "intros": true, "introduce": true, "introduction": true, "introductions": true,
	"help": true, "helps": true, "helping": true, "know": true, "knows": true,
	"please": true, "thanks": true, "thank": true, "hi": true, "hello": true, "hey": true,
	"also": true, "would": true, "could": true, "like": true, "get": true, "getting": true, "got": true,
	"good": true, "great": true, "really": true, "well": true, "etc": true, "one": true, "us": true,
	"business": true, "businesses": true, "owner": true, "owners": true, "company": true, "companies": true,
	"client": true, "clients": true, "customer": true, "customers": true,
	"small": true, "local": true, "new": true,
	"re": true, "ve": true, "ll": true,
}

// stemFix are words whose Snowball stem meets an unrelated trade's word, with the key they get
// instead: an accountant is not a bank account.
var stemFix = map[string]string{
	"accountant": "accountant", "accountants": "accountant", "accounting": "accountant",
}

// terms reads a text into its distinct terms, in the order they first appear. It drops Slack markup
// (mentions, links, :emoji:), addresses and URLs typed as plain text, numbers, one-letter words, and
// stop words; it lower-cases the rest, takes their accents off, and stems them with the Snowball
// English stemmer, so "roofing" and "roofs" meet at "roof". A short stop word written in capitals
// inside a text that has lower case is an acronym and kept: "our IT is down" keeps "it", "it is
// down" does not.
func terms(text string) []term {
	text = slackMarkup.ReplaceAllString(text, " ")
	text = emojiCode.ReplaceAllString(text, " ")
	text = entities.Replace(text)
	hasLower := strings.ContainsFunc(text, unicode.IsLower)
	var out []term
	seen := map[string]bool{}
	for _, field := range strings.Fields(text) {
		if strings.Contains(field, "://") || strings.HasPrefix(strings.ToLower(field), "www.") || strings.Contains(field, "@") {
			continue
		}
		for _, word := range strings.FieldsFunc(field, notWordRune) {
			stem := stemOf(word, hasLower)
			if stem == "" || seen[stem] {
				continue
			}
			seen[stem] = true
			out = append(out, term{stem: stem, word: word})
		}
	}
	return out
}

// notWordRune splits words: anything but a letter, a digit or a combining mark (so an apostrophe or
// a hyphen splits "neighbor's" and "e-commerce").
func notWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
}

// stemOf is the key of one word, or "" when the word does not count.
func stemOf(word string, hasLower bool) string {
	n := utf8.RuneCountInString(word)
	if n < 2 || !strings.ContainsFunc(word, unicode.IsLetter) {
		return ""
	}
	lower := fold(word)
	if n <= 3 && hasLower && english.IsStopWord(lower) && !strings.ContainsFunc(word, unicode.IsLower) {
		return lower // an acronym: "IT", "US"
	}
	if english.IsStopWord(lower) || referralTalk[lower] {
		return ""
	}
	if fix, ok := stemFix[lower]; ok {
		return fix
	}
	if strings.ContainsFunc(lower, unicode.IsDigit) {
		return lower // "401k", "b2b": no stem to find
	}
	return english.Stem(lower, true)
}

// fold lower-cases word and takes the accents off its letters, so "Zürich" meets "zurich" and "café"
// meets "cafe".
func fold(word string) string {
	if !strings.ContainsFunc(word, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return strings.ToLower(word)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(word)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
