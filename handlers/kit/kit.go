// Package kit holds the Block Kit and mrkdwn pieces that the Slack face (handlers) and the message
// catalogue (handlers/notify) both draw with: escaping of user text, mentions, blocks, and the way
// numbers, amounts, dates and durations are written for people.
package kit

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Esc makes user text safe in mrkdwn: &, < and > are special to Slack, and unescaped they can
// ping a whole channel (<!channel>) or hide a link's target (<https://x|label>). A typed @channel,
// @here or @everyone (as a word: not "info@hereford.example") is neutralised too, with a word
// joiner after the @: it reads the same and pings nobody, whatever a client or a later parse=full
// makes of it.
func Esc(s string) string {
	s = escaper.Replace(s)
	if !strings.Contains(s, "@") {
		return s
	}
	return broadcast.ReplaceAllString(s, "${1}@"+wordJoiner+"${2}")
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// broadcast is a typed @channel, @here or @everyone standing as a word: at the start or after a
// character that cannot end an email's local part, and not followed by a word character.
var broadcast = regexp.MustCompile(`(?i)(^|[^\w.%+-])@(channel|here|everyone)\b`)

// wordJoiner (U+2060) is invisible and keeps "@" and "channel" from reading as one mention.
const wordJoiner = "\u2060"

// Unesc reverses Slack's escaping of slash command text (should_escape), so what a person typed is
// stored as they typed it and escaped once, on the way out.
var Unesc = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "@"+wordJoiner, "@").Replace

// Mention names a member so Slack shows (and notifies) them.
func Mention(user string) string { return "<@" + user + ">" }

// Plain is a plain_text object (labels, titles, buttons).
func Plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// MD is a mrkdwn text object; user text in it must already be escaped.
func MD(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// Section is a section block of mrkdwn text, clipped (with "…", at a safe boundary) to the 3,000
// characters a section holds: put user text last, so a long one loses its end, not the heading.
func Section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(MD(Clip(text, MaxSectionText)), nil, nil)
}

// Context is a context block (small grey text) of mrkdwn texts: at most 10, each clipped to the
// 2,000 characters an element holds.
func Context(texts ...string) *slack.ContextBlock {
	texts = First(texts, MaxContextItems)
	els := make([]slack.MixedElement, len(texts))
	for i, t := range texts {
		els[i] = MD(Clip(t, MaxContextText))
	}
	return slack.NewContextBlock("", els...)
}

// Lines is a heading and one section per line: a section holds at most 3,000 characters, and asks
// and notes make long lines. A message holds 50 blocks: past that, the last says how many more.
func Lines(heading string, lines []string) []slack.Block {
	if len(lines) > MaxMessageBlocks-1 {
		more := len(lines) - (MaxMessageBlocks - 2)
		lines = append(lines[:MaxMessageBlocks-2:MaxMessageBlocks-2], "_and "+strconv.Itoa(more)+" more_")
	}
	blocks := []slack.Block{Section(heading)}
	for _, l := range lines {
		blocks = append(blocks, Section(l))
	}
	return blocks
}

// Quote sets user text apart as a mrkdwn block quote, escaped.
func Quote(s string) string {
	lines := strings.Split(Esc(s), "\n")
	return ">" + strings.Join(lines, "\n>")
}

// OrNone joins lines, or says none in italics when there are none.
func OrNone(lines []string, none string) string {
	if len(lines) == 0 {
		return "_" + none + "_"
	}
	return strings.Join(lines, "\n")
}

// First is at most the first n of s.
func First[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Bold lists the first n of words in bold, escaped, with commas: the words a need shares with an
// ask (rapport.Match.Words), which are letters and digits only, so no word breaks the bold.
func Bold(words []string, n int) string {
	out := make([]string, 0, min(len(words), n))
	for _, w := range First(words, n) {
		out = append(out, "*"+Esc(w)+"*")
	}
	return strings.Join(out, ", ")
}

// Plural picks the word for n.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Percent writes a share (0.25) as 25%.
func Percent(f float64) string { return strconv.Itoa(int(math.Round(f*100))) + "%" }

// Money writes minor units with their currency: $2,500.00, or 2,500.00 EUR.
func Money(cents int64, currency string) string {
	whole, frac := cents/100, cents%100
	s := strconv.FormatInt(whole, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	s = fmt.Sprintf("%s.%02d", s, frac)
	if currency == "" || currency == "USD" {
		return "$" + s
	}
	return s + " " + Esc(currency)
}

// Date shows a time in the reader's own time zone.
func Date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short}|%s>", t.Unix(), t.UTC().Format("Jan 2"))
}

// Duration writes a delay as people say it: 2 days, 24 hours.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "a day"
	case d%(24*time.Hour) == 0 && d > 24*time.Hour:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// ShortDuration writes 45m, 5h, 3d.
func ShortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
