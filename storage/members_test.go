package storage_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

func TestMembers(t *testing.T) {
	f := newFixture(t)
	got, err := f.st.Member(ctx(t), team, "UROB")
	if err != nil {
		t.Fatalf("Member: %v", err)
	}
	if diff := cmp.Diff(directory[1], got); diff != "" {
		t.Errorf("Member (-want +got):\n%s", diff)
	}
	if _, err := f.st.Member(ctx(t), team, "UNOBODY"); rapport.ErrorCode(err) != rapport.ENOTFOUND {
		t.Errorf("Member(UNOBODY) error = %v, want %s", err, rapport.ENOTFOUND)
	}

	// A refresh overwrites who changed and keeps who is no longer listed.
	left := rapport.Member{ID: "UROB", Name: "rob", RealName: "Rob Receiver", Deleted: true}
	if err := f.st.PutMembers(ctx(t), team, []rapport.Member{left}); err != nil {
		t.Fatalf("PutMembers: %v", err)
	}
	all, err := f.st.Members(ctx(t), team)
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	want := []rapport.Member{directory[3], directory[0], directory[4], directory[6], directory[2], left, directory[5]}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Members (-want +got):\n%s", diff)
	}
	if none, err := f.st.Members(ctx(t), "T0002"); err != nil || len(none) != 0 {
		t.Errorf("Members of another team = %v, %v; want none", none, err)
	}
}
