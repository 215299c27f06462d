package handlers

import (
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
)

func TestAskModalFitsSlack(t *testing.T) {
	m := askModal(strings.Repeat("x", rapport.MaxAsk))
	for _, s := range []string{m.Title.Text, m.Submit.Text, m.Close.Text} {
		if len([]rune(s)) > 24 {
			t.Errorf("%q is over 24 characters", s)
		}
	}
	if m.CallbackID != callbackAsk {
		t.Errorf("callback_id %q", m.CallbackID)
	}
}
