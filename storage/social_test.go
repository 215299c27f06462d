package storage_test

import (
	"testing"

	"github.com/rapportbot/rapport"
)

func TestRecognize(t *testing.T) {
	tests := []struct{ name, to, want string }{
		{"OK", "UROB", ""},
		{"ErrUnknown", "UNOBODY", "I don't know <@UNOBODY> yet: try again in a minute."},
		{"ErrBot", "UBOT", "<@UBOT> is a bot or no longer in the workspace: thank a member."},
		{"ErrDeactivated", "UGONE", "<@UGONE> is a bot or no longer in the workspace: thank a member."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := rapport.Recognition{Kind: rapport.RecognitionThanks, From: "UGIA", To: tt.to, Text: "Thanks!", At: now}
			for range 2 { // a redelivered envelope records nothing again
				err := f.st.Recognize(ctx(t), team, "Ev1", r, "recognition.thanks", "C0RECOG")
				if got := rapport.ErrorMessage(err); (err == nil) != (tt.want == "") || (err != nil && got != tt.want) {
					t.Fatalf("Recognize = %v; want %q", err, tt.want)
				}
			}
			want := int64(1)
			if tt.want != "" {
				want = 0
			}
			if n := pending(t, f); n != want {
				t.Errorf("outbox holds %d, want %d", n, want)
			}
		})
	}
}
