package handlers

import (
	"strings"

	"github.com/slack-go/slack"
)

// esc makes user text safe in mrkdwn: only &, < and > are special to Slack, and unescaped they can
// ping a whole channel (<!channel>) or hide a link's target (<https://x|label>).
var esc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// unesc reverses Slack's escaping of slash command text (should_escape), so what a person typed is
// stored as they typed it and escaped once, on the way out.
var unesc = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace

func mention(user string) string { return "<@" + user + ">" }

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}
func md(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func section(text string) *slack.SectionBlock { return slack.NewSectionBlock(md(text), nil, nil) }

func contextBlock(texts ...string) *slack.ContextBlock {
	els := make([]slack.MixedElement, len(texts))
	for i, t := range texts {
		els[i] = md(t)
	}
	return slack.NewContextBlock("", els...)
}

// clip shortens text to n runes for places with a hard Slack limit.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
