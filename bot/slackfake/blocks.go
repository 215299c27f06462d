package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// The Block Kit limits Slack documents and the fake enforces, in characters as Slack counts them
// (after escaping: "&amp;" is five). The fake mirrors Slack, so it keeps its own figures rather
// than the app's: a renderer that exceeds them is refused here as it would be there.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxMessageText   = 40_000
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxFields        = 10
	maxContextText   = 2000 // per text element; stricter than the 3,000 of a text object
	maxContextItems  = 10
	maxHeaderText    = 150
	maxActions       = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxURL           = 3000
	maxOptionText    = 75
	maxOptionValue   = 150
	maxPlaceholder   = 150
	maxLabel         = 2000
	maxInputLength   = 3000
	maxID            = 255 // block_id, action_id
)

// MessageProblems lists what Slack would refuse in a message (chat.postMessage, chat.update,
// chat.postEphemeral, a response_url reply): its error code (msg_too_long, invalid_blocks) and,
// for blocks, Slack's "[ERROR] … [json-pointer:…]" lines. blocks is the JSON array as posted;
// nil or empty means none. An empty code means Slack takes it. Tests use it to check a drawn
// message without posting it.
func MessageProblems(text string, blocks []byte) (code string, problems []string) {
	if utf8.RuneCountInString(text) > maxMessageText {
		return "msg_too_long", []string{fmt.Sprintf("[ERROR] text must be at most %d characters", maxMessageText)}
	}
	if len(blocks) == 0 || string(blocks) == "null" {
		return "", nil
	}
	var list []any
	if json.Unmarshal(blocks, &list) != nil {
		return "invalid_blocks", []string{"[ERROR] blocks must be a JSON array [json-pointer:/blocks]"}
	}
	var c checker
	c.blocks("/blocks", list, maxMessageBlocks)
	if len(c.msgs) > 0 {
		return "invalid_blocks", c.msgs
	}
	return "", nil
}

// ViewBlockProblems lists what Slack would refuse in a modal's or the App Home's blocks (JSON),
// with pointers under /view/blocks.
func ViewBlockProblems(blocks []byte) []string {
	var list []any
	if json.Unmarshal(blocks, &list) != nil {
		return []string{"[ERROR] blocks must be a JSON array [json-pointer:/view/blocks]"}
	}
	var c checker
	c.blocks("/view/blocks", list, maxViewBlocks)
	return c.msgs
}

// checker walks decoded Block Kit JSON and collects Slack's complaints.
type checker struct{ msgs []string }

func (c *checker) fail(ptr, msg string) {
	c.msgs = append(c.msgs, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", msg, ptr))
}

// str checks a string field's length when present.
func (c *checker) str(ptr string, v any, max int) {
	if s, ok := v.(string); ok && utf8.RuneCountInString(s) > max {
		c.fail(ptr, fmt.Sprintf("must be less than %d characters", max+1))
	}
}

// text checks a text object: present text of 1 to max characters.
func (c *checker) text(ptr string, v any, max int) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	s, _ := obj["text"].(string)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		c.fail(ptr+"/text", "must be more than 0 characters")
	case n > max:
		c.fail(ptr+"/text", fmt.Sprintf("must be less than %d characters", max+1))
	}
}

func (c *checker) blocks(ptr string, list []any, max int) {
	if len(list) > max {
		c.fail(ptr, fmt.Sprintf("no more than %d items allowed", max))
	}
	for i, v := range list {
		if b, ok := v.(map[string]any); ok {
			c.block(fmt.Sprintf("%s/%d", ptr, i), b)
		}
	}
}

func (c *checker) block(ptr string, b map[string]any) {
	c.str(ptr+"/block_id", b["block_id"], maxID)
	switch b["type"] {
	case "section":
		if b["text"] == nil && b["fields"] == nil {
			c.fail(ptr, "must provide either text or fields")
		}
		c.text(ptr+"/text", b["text"], maxSectionText)
		fields, _ := b["fields"].([]any)
		if len(fields) > maxFields {
			c.fail(ptr+"/fields", fmt.Sprintf("no more than %d items allowed", maxFields))
		}
		for i, f := range fields {
			c.text(fmt.Sprintf("%s/fields/%d", ptr, i), f, maxFieldText)
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			c.element(ptr+"/accessory", acc)
		}
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > maxContextItems {
			c.fail(ptr+"/elements", fmt.Sprintf("must have 1 to %d items", maxContextItems))
		}
		for i, e := range els {
			if m, ok := e.(map[string]any); ok && (m["type"] == "mrkdwn" || m["type"] == "plain_text") {
				c.text(fmt.Sprintf("%s/elements/%d", ptr, i), m, maxContextText)
			}
		}
	case "header":
		c.text(ptr+"/text", b["text"], maxHeaderText)
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > maxActions {
			c.fail(ptr+"/elements", fmt.Sprintf("must have 1 to %d items", maxActions))
		}
		for i, e := range els {
			if m, ok := e.(map[string]any); ok {
				c.element(fmt.Sprintf("%s/elements/%d", ptr, i), m)
			}
		}
	case "input":
		c.text(ptr+"/label", b["label"], maxLabel)
		if b["hint"] != nil {
			c.text(ptr+"/hint", b["hint"], maxLabel)
		}
		if el, ok := b["element"].(map[string]any); ok {
			c.element(ptr+"/element", el)
		}
	}
}

func (c *checker) element(ptr string, e map[string]any) {
	c.str(ptr+"/action_id", e["action_id"], maxID)
	if e["placeholder"] != nil {
		c.text(ptr+"/placeholder", e["placeholder"], maxPlaceholder)
	}
	switch e["type"] {
	case "button":
		c.text(ptr+"/text", e["text"], maxButtonText)
		c.str(ptr+"/value", e["value"], maxButtonValue)
		c.str(ptr+"/url", e["url"], maxURL)
	case "plain_text_input":
		if n, ok := e["max_length"].(float64); ok && n > maxInputLength {
			c.fail(ptr+"/max_length", fmt.Sprintf("must be at most %d", maxInputLength))
		}
		c.str(ptr+"/initial_value", e["initial_value"], maxInputLength)
	}
	for _, key := range []string{"options", "initial_options"} {
		opts, _ := e[key].([]any)
		for i, o := range opts {
			if m, ok := o.(map[string]any); ok {
				p := fmt.Sprintf("%s/%s/%d", ptr, key, i)
				c.text(p+"/text", m["text"], maxOptionText)
				c.str(p+"/value", m["value"], maxOptionValue)
			}
		}
	}
}
