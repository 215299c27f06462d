package slackfake

import "github.com/slack-go/slack"

// actionJSON renders a slack.BlockAction the way Slack does, rather than marshalling the struct
// (which would emit every field of every element type). In actions[] an element carries its ids
// and action_ts; in view state.values only its type and value, and an optional input left empty
// is null ([] for multi-selects), which is what handlers must cope with.
func actionJSON(a slack.BlockAction, inActions bool) map[string]any {
	out := map[string]any{"type": string(a.Type)}
	if inActions {
		out["action_id"] = a.ActionID
		out["block_id"] = a.BlockID
		out["action_ts"] = a.ActionTs
	}
	switch a.Type {
	case "button":
		out["value"] = a.Value
		if a.Text.Text != "" {
			out["text"] = textJSON(a.Text)
		}
	case "plain_text_input", "email_text_input", "number_input", "url_text_input":
		out["value"] = nullable(a.Value)
	case "static_select", "external_select", "radio_buttons", "overflow":
		if a.SelectedOption.Value == "" {
			out["selected_option"] = nil
		} else {
			out["selected_option"] = optionJSON(a.SelectedOption)
		}
	case "multi_static_select", "multi_external_select", "checkboxes":
		opts := []any{}
		for _, o := range a.SelectedOptions {
			opts = append(opts, optionJSON(o))
		}
		out["selected_options"] = opts
	case "users_select":
		out["selected_user"] = nullable(a.SelectedUser)
	case "multi_users_select":
		out["selected_users"] = nonNil(a.SelectedUsers)
	case "conversations_select":
		out["selected_conversation"] = nullable(a.SelectedConversation)
	case "channels_select":
		out["selected_channel"] = nullable(a.SelectedChannel)
	case "datepicker":
		out["selected_date"] = nullable(a.SelectedDate)
	case "timepicker":
		out["selected_time"] = nullable(a.SelectedTime)
	default:
		if a.Value != "" {
			out["value"] = a.Value
		}
	}
	return out
}

func optionJSON(o slack.OptionBlockObject) map[string]any {
	out := map[string]any{"value": o.Value}
	if o.Text != nil {
		out["text"] = textJSON(*o.Text)
	} else {
		out["text"] = map[string]any{"type": "plain_text", "text": o.Value, "emoji": true}
	}
	return out
}

func textJSON(t slack.TextBlockObject) map[string]any {
	typ := t.Type
	if typ == "" {
		typ = "plain_text"
	}
	out := map[string]any{"type": typ, "text": t.Text}
	if typ == "plain_text" {
		out["emoji"] = true
	}
	return out
}

func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
