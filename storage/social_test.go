package storage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// TestAsksOfReceivers: the asks a need is matched against are those of members who may receive a
// referral; a bot's, a deactivated member's and an unknown member's asks are left out, newest first.
func TestAsksOfReceivers(t *testing.T) {
	f := newFixture(t)
	for i, a := range []struct{ member, text string }{
		{"UROB", "Roofs"}, {"UBOT", "Everything"}, {"UGONE", "Payroll"}, {"UNOBODY", "Websites"}, {"UMAY", "Weddings"},
	} {
		if err := f.st.SetAsk(ctx(t), team, a.member, a.text, now.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.st.AsksOfReceivers(ctx(t), team)
	if err != nil {
		t.Fatal(err)
	}
	want := []rapport.Ask{{Member: "UMAY", Text: "Weddings", At: now.Add(4 * time.Minute)}, {Member: "UROB", Text: "Roofs", At: now}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AsksOfReceivers (-want +got):\n%s", diff)
	}
	if all, err := f.st.Asks(ctx(t), team); err != nil || len(all) != 5 {
		t.Errorf("Asks = %d asks, %v; want all 5", len(all), err)
	}
}
