package storage

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage/redistest"
)

// TestReferralCodec writes referrals with every field set (and with optional ones empty) as the
// store encodes them, and reads them back through Referral.
func TestReferralCodec(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := New(rdb, WithPrefix(srv.Prefix(t)))
	at := time.UnixMilli(1772443800123)
	tests := []struct {
		name string
		r    rapport.Referral
	}{
		{"Full", rapport.Referral{
			Draft: rapport.Draft{
				Giver: "UGIA", Receiver: "UROB",
				Prospect: rapport.Prospect{Name: "Zoë Ünal", Company: "Ünal & Söhne GmbH", Phone: "+4930123456", Email: "zoe@unal.example"},
				Need:     strings.Repeat("Braucht eine Versicherung für das neue Büro – dringend. ", 17),
				BestTime: "Morgens",
				Note:     strings.Repeat("é", 1000),
				Facts:    rapport.Facts{Spoke: true, MayShare: true, Expects: true},
			},
			Number: 12, Status: rapport.StatusPassed, Created: at, Updated: at.Add(90 * time.Minute),
			Version: 7, PassedBy: "UOLA", PassedOf: 9,
		}},
		{"Sparse", rapport.Referral{
			Draft:  rapport.Draft{Giver: "UGIA", Receiver: "UROB", Prospect: rapport.Prospect{Name: "Pat", Phone: "+14805550100"}, Need: "x"},
			Number: 3, Status: rapport.StatusNew, Created: at, Updated: at, Version: 1,
		}},
		{"ExactlyOneChunk", rapport.Referral{
			Draft:  rapport.Draft{Giver: "UGIA", Receiver: "UROB", Prospect: rapport.Prospect{Name: "Pat"}, Need: strings.Repeat("n", chunkLen)},
			Number: 4, Status: rapport.StatusWon, Created: at, Updated: at, Version: 2,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := rdb.HSet(t.Context(), s.keys("T1").ref(tt.r.Number), encodeReferral(tt.r)...).Err(); err != nil {
				t.Fatal(err)
			}
			got, err := s.Referral(t.Context(), "T1", tt.r.Number)
			if err != nil {
				t.Fatalf("Referral: %v", err)
			}
			if diff := cmp.Diff(tt.r, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChunks(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("€", 50)} {
		pieces := chunks(s)
		for _, p := range pieces {
			if len(p) > chunkLen || !utf8.ValidString(p) {
				t.Errorf("chunks(%q…) has piece %q", s[:min(len(s), 8)], p)
			}
		}
		if got := strings.Join(pieces, ""); got != s {
			t.Errorf("chunks(%q) joins to %q", s, got)
		}
	}
}
