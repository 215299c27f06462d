package slackfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// validateView applies the view limits Slack enforces (its blocks' among them: ViewBlockProblems), answering invalid_arguments with
// response_metadata.messages in Slack's "[ERROR] … [json-pointer:…]" form, so that a view the
// real Slack would refuse is refused here too.
func validateView(v map[string]any, wantType string) (map[string]any, string) {
	var msgs []string
	fail := func(pointer, msg string) {
		msgs = append(msgs, fmt.Sprintf("[ERROR] %s [json-pointer:/view%s]", msg, pointer))
	}
	if t, _ := v["type"].(string); t != wantType {
		fail("/type", fmt.Sprintf("must be %q", wantType))
	}
	if wantType == "modal" {
		if _, ok := v["title"].(map[string]any); !ok {
			fail("/title", "must provide an object")
		}
		for _, field := range []string{"title", "submit", "close"} {
			if obj, ok := v[field].(map[string]any); ok {
				if text, _ := obj["text"].(string); utf8.RuneCountInString(text) > 24 {
					fail("/"+field+"/text", "must be less than 25 characters")
				}
			}
		}
	}
	if blocks, ok := v["blocks"]; ok {
		raw, _ := json.Marshal(blocks)
		msgs = append(msgs, ViewBlockProblems(raw)...)
	}
	if pm, _ := v["private_metadata"].(string); utf8.RuneCountInString(pm) > 3000 {
		fail("/private_metadata", "must be less than 3001 characters")
	}
	if cb, _ := v["callback_id"].(string); utf8.RuneCountInString(cb) > 255 {
		fail("/callback_id", "must be less than 256 characters")
	}
	if len(msgs) == 0 {
		return nil, ""
	}
	return map[string]any{"response_metadata": map[string]any{"messages": msgs}}, "invalid_arguments"
}

// randHex returns n random bytes as hex, for the opaque parts of ids and URLs.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
