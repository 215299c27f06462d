package bot_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
)

// TestSentence: a failure becomes the person's words in one place, by its kind, and an internal
// failure never shows its detail.
func TestSentence(t *testing.T) {
	down := &rapport.Error{Code: rapport.EUNAVAILABLE, Op: "create referral", Err: errors.New("dial tcp 127.0.0.1:6379: connection refused")}
	tests := []struct {
		name      string
		err       error
		want      string
		forbidden string
	}{
		{"UserFacing", rapport.Errorf(rapport.EFORBIDDEN, "Only <@UBOB> can update R-3."), "Only <@UBOB> can update R-3.", ""},
		{"Unavailable", fmt.Errorf("save: %w", down), "Not saved.", "6379"},
		{"InDoubt", &rapport.Error{Code: rapport.EINDOUBT, Op: "create referral", Err: errors.New("read tcp 127.0.0.1:6379: i/o timeout")},
			"It may have been saved", "Not saved"},
		{"Internal", errors.New("NOSCRIPT no matching script"), "Something went wrong", "NOSCRIPT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bot.Sentence(tt.err)
			if !strings.Contains(got, tt.want) {
				t.Errorf("Sentence = %q; want it to say %q", got, tt.want)
			}
			if tt.forbidden != "" && strings.Contains(got, tt.forbidden) {
				t.Errorf("Sentence = %q shows the internal detail %q", got, tt.forbidden)
			}
		})
	}
}

// TestRespondErrorHidesTheURL: a reply that fails can be logged: its error does not carry the
// response_url's secret path.
func TestRespondErrorHidesTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the post fails with a *url.Error
	const secret = "B0SECRETPATH9"
	err = bot.Respond(t.Context(), "http://"+addr+"/actions/T0FAKE/12345/"+secret, "hello", false)
	if err == nil {
		t.Fatal("Respond to a closed port succeeded")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "12345") {
		t.Errorf("Respond's error carries the response_url: %v", err)
	}
	if !strings.Contains(err.Error(), "/actions/") {
		t.Errorf("Respond's error %q does not say where it went", err)
	}
}
