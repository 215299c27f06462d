package storage_test

import (
	"errors"
	"strings"
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

	byID, err := f.st.MembersByID(ctx(t), team, []string{"UROB", "UNOBODY", directory[0].ID})
	if err != nil {
		t.Fatalf("MembersByID: %v", err)
	}
	wantByID := map[string]rapport.Member{"UROB": directory[1], directory[0].ID: directory[0]}
	if diff := cmp.Diff(wantByID, byID); diff != "" {
		t.Errorf("MembersByID (-want +got):\n%s", diff)
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

// TestDirectoryFlag: the scripts trust the receive flag PutMembers computes with
// rapport.Member.CanReceive, and a record written before the flag existed counts as unknown (a
// directory refresh rewrites it) rather than as someone who may receive.
func TestDirectoryFlag(t *testing.T) {
	f := newFixture(t)
	raw, err := f.rdb.HGet(ctx(t), f.key(team, "members"), "UROB").Result()
	if err != nil || !strings.Contains(raw, `"can_receive":true`) {
		t.Errorf("UROB's record = %s, %v; want the receive flag set", raw, err)
	}
	if raw := f.rdb.HGet(ctx(t), f.key(team, "members"), "UBOT").Val(); strings.Contains(raw, "can_receive") {
		t.Errorf("UBOT's record = %s; want no receive flag", raw)
	}
	if err := f.rdb.HSet(ctx(t), f.key(team, "members"), "UOLD", `{"id":"UOLD","name":"old"}`).Err(); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.st.CreateReferral(ctx(t), f.newReferral(team, draft(t, "UOLD", "pat@prospect.example", "")))
	var fe rapport.FieldErrors
	if !errors.As(err, &fe) || !strings.HasPrefix(fe[rapport.FieldReceiver], "I don't know that member yet") {
		t.Errorf("CreateReferral to a record without the flag: %v; want the unknown-member error", err)
	}
	if err := f.st.PutMembers(ctx(t), team, []rapport.Member{{ID: "UOLD", Name: "old"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.CreateReferral(ctx(t), f.newReferral(team, draft(t, "UOLD", "pat@prospect.example", ""))); err != nil {
		t.Errorf("CreateReferral after the refresh: %v", err)
	}
}
