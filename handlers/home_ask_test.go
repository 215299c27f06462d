package handlers

import (
	"strings"
	"testing"
)

func TestAskModalFitsSlack(t *testing.T) {
	m := askModal(strings.Repeat("x", askLimit))
	for _, s := range []string{m.Title.Text, m.Submit.Text, m.Close.Text} {
		if len([]rune(s)) > 24 {
			t.Errorf("%q is over 24 characters", s)
		}
	}
	if m.CallbackID != callbackAsk {
		t.Errorf("callback_id %q", m.CallbackID)
	}
}
