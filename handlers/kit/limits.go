package kit

import (
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's Block Kit limits, in characters as Slack counts them: after escaping, so "&" costs five
// (&amp;). Every renderer measures against these; bot/slackfake refuses what exceeds them, as
// Slack does (invalid_blocks, msg_too_long, invalid_arguments).
const (
	MaxMessageBlocks = 50     // blocks in one message (chat.postMessage, chat.update, an ephemeral reply)
	MaxViewBlocks    = 100    // blocks in a modal or the App Home
	MaxMessageText   = 40_000 // the top-level text of a message
	MaxSectionText   = 3000   // a section's text
	MaxFieldText     = 2000   // each of a section's fields
	MaxFields        = 10     // fields in one section
	MaxContextText   = 2000   // each text element of a context block
	MaxContextItems  = 10     // elements in one context block
	MaxHeaderText    = 150    // a header block's plain text
	MaxButtonText    = 75     // a button's label
	MaxButtonValue   = 2000   // a button's value
)

// Ellipsis ends text that was cut.
const Ellipsis = "…"

// Clip shortens text to at most n characters, ending it with "…", for places with a hard Slack
// limit. It cuts only between whole units: never inside an escape (&amp;, &lt;, &gt;) nor inside
// a <…> token (a mention <@U123>, a channel, a date, a link), so what remains is still what Slack
// would show, and a half mention never pings or breaks the layout.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	cut, count := 0, 0
	for i := 0; i < len(s); {
		j := unitEnd(s, i)
		w := utf8.RuneCountInString(s[i:j])
		if count+w > n-1 {
			break
		}
		count += w
		i, cut = j, j
	}
	return strings.TrimRight(s[:cut], " \n") + Ellipsis
}

// EscClip escapes user text for mrkdwn and clips it to n characters, measured after escaping.
func EscClip(s string, n int) string { return Clip(Esc(s), n) }

// unitEnd is where the unit that starts at s[i] ends: a whole escape, a whole <…> token on one
// line, or else one rune.
func unitEnd(s string, i int) int {
	switch s[i] {
	case '&':
		for _, e := range []string{"&amp;", "&lt;", "&gt;"} {
			if strings.HasPrefix(s[i:], e) {
				return i + len(e)
			}
		}
	case '<':
		if k := strings.IndexAny(s[i+1:], "<>\n"); k >= 0 && s[i+1+k] == '>' {
			return i + 1 + k + 1
		}
	}
	_, w := utf8.DecodeRuneInString(s[i:])
	return i + w
}

// Header is a header block; its plain text holds at most 150 characters.
func Header(text string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(Plain(Clip(text, MaxHeaderText)))
}

// Field is a section field of mrkdwn, clipped to what a field holds.
func Field(text string) *slack.TextBlockObject { return MD(Clip(text, MaxFieldText)) }
