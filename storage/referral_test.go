package storage_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

func TestReferralNotFound(t *testing.T) {
	f := newFixture(t)
	if _, err := f.st.Referral(ctx(t), team, 42); rapport.ErrorCode(err) != rapport.ENOTFOUND {
		t.Errorf("Referral(42) error = %v, want %s", err, rapport.ENOTFOUND)
	}
}

func TestOpenReferrals(t *testing.T) {
	f := newFixture(t)
	// UGIA gives R-1…R-5 to UROB; R-3 is declined. UROB gives R-6 to UGIA; UOLA gives R-7 to UROB.
	for i := range 5 {
		f.create(t, team, draft(t, "UROB", fmt.Sprintf("p%d@prospect.example", i), ""))
	}
	if _, err := f.move(t, 3, "UROB", rapport.ActDecline); err != nil {
		t.Fatal(err)
	}
	f.create(t, team, draftFrom(t, "UROB", "UGIA", "back@prospect.example", ""))
	f.create(t, team, draftFrom(t, "UOLA", "UROB", "ola@prospect.example", ""))
	tests := []struct {
		user                string
		limit               int
		wantGiven, wantRecv []int64
	}{
		{"UGIA", 10, []int64{5, 4, 2, 1}, []int64{6}},
		{"UGIA", 2, []int64{5, 4}, []int64{6}},
		{"UROB", 3, []int64{6}, []int64{7, 5, 4}},
		{"UROB", 0, nil, nil},
		{"UOLA", 10, []int64{7}, nil},
		{"UNOBODY", 10, nil, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.user, tt.limit), func(t *testing.T) {
			given, received, err := f.st.OpenReferrals(ctx(t), team, tt.user, tt.limit)
			if err != nil {
				t.Fatalf("OpenReferrals: %v", err)
			}
			if diff := cmp.Diff(tt.wantGiven, numbers(given)); diff != "" {
				t.Errorf("given (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRecv, numbers(received)); diff != "" {
				t.Errorf("received (-want +got):\n%s", diff)
			}
		})
	}

	// The list carries whole referrals, as Referral reads them.
	given, _, err := f.st.OpenReferrals(ctx(t), team, "UGIA", 1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.st.Referral(ctx(t), team, 5)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rapport.Referral{want}, given); diff != "" {
		t.Errorf("OpenReferrals content (-want +got):\n%s", diff)
	}
}

func numbers(rs []rapport.Referral) []int64 {
	var ns []int64
	for _, r := range rs {
		ns = append(ns, r.Number)
	}
	return ns
}
