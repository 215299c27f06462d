package kit

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unmark turns a message's text as Slack delivers it into the plain text its reader saw, for a
// plain_text input. In a message's text Slack escapes &, < and > and writes every mention, link and
// special as a <…> token; here:
//   - a member's mention <@U123> becomes @ and their name, name(id), or when name knows none ("")
//     the mention's own label, or "@someone";
//   - a link <https://x|label> becomes its label, <https://x> the URL (a mailto: without "mailto:");
//   - a channel <#C123|general> becomes #general (#channel without a label);
//   - <!channel>, <!here> and <!everyone> become @channel, @here and @everyone (Esc neutralises them
//     again when the text is drawn in mrkdwn), a user group <!subteam^S1|@team> its label, a date
//     <!date^…|Feb 18> its fallback text;
//   - &amp;, &lt; and &gt; become &, < and >.
//
// Formatting marks (*bold*, _italic_, `code`) stay as typed: drawn again in mrkdwn, they format the
// same way.
func Unmark(text string, name func(id string) string) string {
	var b strings.Builder
	for text != "" {
		open := strings.IndexByte(text, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(text[open:], '>')
		if end < 0 {
			break
		}
		b.WriteString(unescape(text[:open]))
		b.WriteString(token(text[open+1:open+end], name))
		text = text[open+end+1:]
	}
	b.WriteString(unescape(text))
	return b.String()
}

var unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace

// token is what the reader saw of one <…> token, given its inside.
func token(inside string, name func(id string) string) string {
	target, label, _ := strings.Cut(inside, "|")
	label = unescape(label)
	switch {
	case strings.HasPrefix(target, "@"):
		if n := name(target[1:]); n != "" {
			return "@" + n
		}
		if label != "" {
			return "@" + strings.TrimPrefix(label, "@")
		}
		return "@someone"
	case strings.HasPrefix(target, "#"):
		if label != "" {
			return "#" + label
		}
		return "#channel"
	case strings.HasPrefix(target, "!"):
		kind, _, _ := strings.Cut(target[1:], "^")
		switch kind {
		case "channel", "here", "everyone", "group":
			return "@" + kind
		case "subteam":
			if label != "" {
				return label
			}
			return "@group"
		}
		return label
	case label != "":
		return label
	}
	return strings.TrimPrefix(unescape(target), "mailto:")
}

// mentionToken is a member's mention in a message's text: <@U123> or <@U123|name>.
var mentionToken = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)

// Mentioned lists the members a message's text mentions, each once, in order of first mention,
// at most limit of them: the names Unmark will ask for.
func Mentioned(text string, limit int) []string {
	var ids []string
	for _, m := range mentionToken.FindAllStringSubmatch(text, -1) {
		if len(ids) == limit {
			break
		}
		if !slices.Contains(ids, m[1]) {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// ClipWords shortens plain text to at most n characters (runes), ending it with "…": after the last
// whole word that fits, unless that would drop more than half of what fits (one very long word),
// then after the last whole character. Text of n characters or fewer is returned as it is.
func ClipWords(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	// The byte offset just past the first n-1 runes: what fits beside the ellipsis.
	fit, count := 0, 0
	for i := range s {
		if count == n-1 {
			fit = i
			break
		}
		count++
	}
	cut := fit
	// A cut between two letters would split a word: go back to the last space, if not too far.
	if r, _ := utf8.DecodeRuneInString(s[fit:]); !unicode.IsSpace(r) {
		if sp := strings.LastIndexFunc(s[:fit], unicode.IsSpace); sp >= 0 && utf8.RuneCountInString(s[:sp]) >= (n-1)/2 {
			cut = sp
		}
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + Ellipsis
}
