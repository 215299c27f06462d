package storage

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage/redistest"
)

// TestLuaRulesFollowGo runs the generated prelude in a real Redis and checks that what the scripts
// see is what Go says: open statuses, who may receive, field names, the pass on's copy rule, the due
// queue's IDs.
func TestLuaRulesFollowGo(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	run := func(t *testing.T, body string, args ...any) []string {
		t.Helper()
		res, err := redis.NewScript(luaRules+body).Run(t.Context(), rdb, nil, args...).StringSlice()
		if err != nil {
			t.Fatalf("script: %v", err)
		}
		return res
	}
	sorted := func(ss []string) []string { slices.Sort(ss); return ss }

	t.Run("Open", func(t *testing.T) {
		var want []string
		for _, s := range rapport.Statuses {
			if s.Open() {
				want = append(want, string(s))
			}
		}
		got := run(t, `local out = {} for s in pairs(OPEN) do out[#out + 1] = s end return out`)
		if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
			t.Errorf("OPEN (-want +got):\n%s", diff)
		}
	})
	t.Run("Fields", func(t *testing.T) {
		var want []string
		for _, f := range referralFields {
			want = append(want, f.lua+"="+f.name)
		}
		got := run(t, `local out = {} for k, v in pairs(F) do out[#out + 1] = k .. '=' .. v end return out`)
		if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
			t.Errorf("F (-want +got):\n%s", diff)
		}
	})
	t.Run("CanReceive", func(t *testing.T) {
		members := []rapport.Member{
			{ID: "UROB", Name: "rob"}, {ID: "UBOT", IsBot: true}, {ID: "UGONE", Deleted: true}, {ID: rapport.SlackbotID},
		}
		var args []any
		var want []string
		for _, m := range members {
			b, err := json.Marshal(memberRecord{Member: m, CanReceive: m.CanReceive()})
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, string(b))
			want = append(want, m.ID+" "+bit(m.CanReceive()))
		}
		// A record written before the flag existed is refused until the directory is refreshed.
		old, _ := json.Marshal(rapport.Member{ID: "UOLD"})
		args = append(args, string(old))
		want = append(want, "UOLD 0")
		got := run(t, `local out = {}
for i = 1, #ARGV do out[i] = cjson.decode(ARGV[i]).id .. ' ' .. (canReceive(ARGV[i]) and '1' or '0') end
return out`, args...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("canReceive (-want +got):\n%s", diff)
		}
	})
	t.Run("CopiedToLinked", func(t *testing.T) {
		long := strings.Repeat("x", 3*chunkLen)
		r := rapport.Referral{
			Draft: rapport.Draft{Giver: "UGIA", Receiver: "UROB", Prospect: rapport.Prospect{Name: long, Company: "c",
				Phone: "+14805550100", Email: "pat@example.com"}, Need: long, BestTime: "b", Note: long,
				Facts: rapport.Facts{Spoke: true}},
			Status: rapport.StatusWon, Created: time.UnixMilli(1), Updated: time.UnixMilli(2), Version: 3,
			PassedBy: "UOLA", PassedOf: 1, Value: 100, Currency: "USD",
		}
		kv := encodeReferral(r)
		fields := []any{fDue, fFirstAction, fFirstContact, fWonAt, slotPrefix + "receiver", "later_field"}
		for i := 0; i < len(kv); i += 2 {
			fields = append(fields, kv[i])
		}
		linked := map[string]bool{"later_field": true} // fields of later versions travel along
		for _, f := range referralFields {
			linked[f.name] = f.linked
		}
		var want []string
		for _, f := range fields {
			name := f.(string)
			base := strings.TrimRight(name, "0123456789")
			want = append(want, name+" "+bit(linked[name] || (name != base && linked[base])))
		}
		got := run(t, `local out = {}
for i = 1, #ARGV do out[i] = ARGV[i] .. ' ' .. (copiedToLinked(ARGV[i]) and '1' or '0') end
return out`, fields...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("copiedToLinked (-want +got):\n%s", diff)
		}
	})
	t.Run("DueID", func(t *testing.T) {
		got := run(t, `return {dueID(ARGV[1], ARGV[2], ARGV[3])}`, 12, string(rapport.StageAck2), "UROB")
		if want := rapport.DueID(12, rapport.StageAck2, "UROB"); len(got) != 1 || got[0] != want {
			t.Errorf("dueID = %v, want %s", got, want)
		}
	})
}

// TestChunkedFieldsAreText keeps referralFields' text marks true to encodeReferral: a field stored
// in pieces is a text field, so the pass on's copy rule treats its pieces as it treats the field.
func TestChunkedFieldsAreText(t *testing.T) {
	long := strings.Repeat("é", chunkLen)
	kv := encodeReferral(rapport.Referral{Draft: rapport.Draft{
		Giver: long, Receiver: long, Prospect: rapport.Prospect{Name: long, Company: long, Phone: long, Email: long},
		Need: long, BestTime: long, Note: long}, PassedBy: long})
	text := map[string]bool{}
	for _, f := range referralFields {
		text[f.name] = f.text
	}
	for i := 0; i < len(kv); i += 2 {
		name := kv[i].(string)
		base := strings.TrimRight(name, "0123456789")
		if base != name && base != fProspect && !text[base] {
			t.Errorf("%s is stored in pieces, but %s is not marked text in referralFields", name, base)
		}
	}
}

func TestMemberRecordFlag(t *testing.T) {
	b, err := json.Marshal(memberRecord{Member: rapport.Member{ID: "UROB"}, CanReceive: true})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m[fCanReceive] != true || m["id"] != "UROB" {
		t.Errorf("member record %s: want the member's fields and %s true", b, fCanReceive)
	}
}

func TestNoticesRejectUnknownRoles(t *testing.T) {
	for _, ns := range [][]rapport.Notice{
		{{Kind: "referral.update", To: rapport.RoleAdmin}},
		{{Kind: "referral.update", To: ""}},
		{{To: rapport.RoleGiver}},
	} {
		if _, err := notices(ns); err == nil {
			t.Errorf("notices(%+v) succeeded; want an error", ns)
		}
	}
	if _, err := notices([]rapport.Notice{{Kind: "referral.announce", To: rapport.RoleChannel}}); err != nil {
		t.Errorf("a channel notice without its channel: %v; want it accepted (and skipped by the script)", err)
	}
}
