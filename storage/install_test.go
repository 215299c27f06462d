package storage_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

const retain = 720 * time.Hour

// installs is a store with a token keyring over its own prefix.
type installs struct {
	*fixture
	kr *storage.Keyring
}

func newInstalls(t *testing.T) *installs {
	t.Helper()
	f := newFixture(t)
	kr := keyring(t, keyB64(7), "")
	f.st = storage.New(f.rdb, storage.WithPrefix(f.prefix), storage.WithTokenKeys(kr))
	return &installs{fixture: f, kr: kr}
}

func installation(tm string) rapport.Installation {
	return rapport.Installation{
		Team: tm, TeamName: "Team " + tm, AppID: "A0APP", BotUserID: "UBOT" + tm,
		BotToken:  rapport.Secret("xoxb-" + tm + "-secret-token"),
		Scopes:    []string{"commands", "chat:write", "im:write"},
		Installer: "UINSTALLER", InstalledAt: now,
	}
}

func (f *installs) save(t *testing.T, in rapport.Installation) {
	t.Helper()
	if err := f.st.SaveInstallation(ctx(t), in); err != nil {
		t.Fatalf("SaveInstallation %s: %v", in.Team, err)
	}
}

func (f *installs) get(t *testing.T, tm string) rapport.Installation {
	t.Helper()
	in, err := f.st.Installation(ctx(t), tm)
	if err != nil {
		t.Fatalf("Installation %s: %v", tm, err)
	}
	return in
}

// raw is the install hash as Redis holds it.
func (f *installs) raw(t *testing.T, tm string) map[string]string {
	t.Helper()
	h, err := f.rdb.HGetAll(ctx(t), f.key(tm, "install")).Result()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestInstallationSaveGet(t *testing.T) {
	f := newInstalls(t)
	in := installation(team)
	in.Enterprise, in.EnterpriseName = "E0GRID", "Grid"
	f.save(t, in)

	if diff := cmp.Diff(in, f.get(t, team)); diff != "" {
		t.Errorf("Installation (-want +got):\n%s", diff)
	}
	for field, v := range f.raw(t, team) {
		if strings.Contains(v, "secret-token") {
			t.Errorf("Redis holds the plaintext token in field %s", field)
		}
	}
	if got := storage.SealedUnder(f.raw(t, team)["token"]); got != f.kr.CurrentID() {
		t.Errorf("token sealed under %q, want the current key %q", got, f.kr.CurrentID())
	}

	t.Run("ReinstallReplaces", func(t *testing.T) {
		again := installation(team)
		again.Installer, again.BotToken, again.Scopes = "UOTHER", "xoxb-new-token", []string{"commands"}
		f.save(t, again)
		if diff := cmp.Diff(again, f.get(t, team)); diff != "" {
			t.Errorf("after a re-install (-want +got):\n%s", diff)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := f.st.Installation(ctx(t), "T0NEVER")
		if rapport.ErrorCode(err) != rapport.ENOTFOUND {
			t.Errorf("never installed: %v, want ENOTFOUND", err)
		}
	})
	t.Run("WrongKey", func(t *testing.T) {
		other := storage.New(f.rdb, storage.WithPrefix(f.prefix), storage.WithTokenKeys(keyring(t, keyB64(8), "")))
		_, err := other.Installation(ctx(t), team)
		if !errors.Is(err, storage.ErrUnknownTokenKey) || !strings.Contains(err.Error(), storage.EnvTokenKeyOld) {
			t.Errorf("read under another key: %v, want ErrUnknownTokenKey naming %s", err, storage.EnvTokenKeyOld)
		}
	})
	t.Run("NoKeyring", func(t *testing.T) {
		plain := storage.New(f.rdb, storage.WithPrefix(f.prefix))
		if err := plain.SaveInstallation(ctx(t), installation("T0PLAIN")); err == nil || !strings.Contains(err.Error(), "RAPPORT_TOKEN_KEY") {
			t.Errorf("save without a keyring: %v, want an error naming RAPPORT_TOKEN_KEY", err)
		}
	})
	t.Run("BadTeam", func(t *testing.T) {
		bad := installation(team)
		bad.Team = "T*"
		if err := f.st.SaveInstallation(ctx(t), bad); err == nil {
			t.Error("a team ID with a glob character was saved")
		}
	})
}

func TestListInstallations(t *testing.T) {
	f := newInstalls(t)
	var want []string
	for i := range 250 {
		tm := fmt.Sprintf("T%04d", i)
		f.save(t, installation(tm))
		want = append(want, tm)
	}
	// An index entry whose save never wrote the installation, and a team uninstalled since: skipped.
	if err := f.rdb.ZAdd(ctx(t), f.prefix+":installs", redis.Z{Member: "T0050X"}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.RemoveInstallation(ctx(t), "T0100", now, retain); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(s string) bool { return s == "T0100" })

	var got []string
	after, pages := "", 0
	for {
		page, next, err := f.st.ListInstallations(ctx(t), after, 100)
		if err != nil {
			t.Fatalf("ListInstallations(%q): %v", after, err)
		}
		pages++
		for _, in := range page {
			if in.BotToken.Reveal() != "xoxb-"+in.Team+"-secret-token" {
				t.Fatalf("team %s listed without its token", in.Team)
			}
			got = append(got, in.Team)
		}
		if next == "" {
			break
		}
		after = next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("teams listed (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("%d pages of 100 for 250 entries, want 3", pages)
	}
}

func TestRemoveInstallation(t *testing.T) {
	f := newInstalls(t)
	f.save(t, installation(team))

	deadline, err := f.st.RemoveInstallation(ctx(t), team, now, retain)
	if err != nil {
		t.Fatal(err)
	}
	if !deadline.Equal(now.Add(retain)) {
		t.Errorf("purge deadline %v, want %v", deadline, now.Add(retain))
	}
	in := f.get(t, team)
	if in.Installed() || !in.UninstalledAt.Equal(now) || !in.PurgeAfter.Equal(deadline) || in.BotToken != "" {
		t.Errorf("after removal: installed %v, uninstalled %v, purge %v, token kept %v", in.Installed(), in.UninstalledAt, in.PurgeAfter, in.BotToken != "")
	}
	if _, ok := f.raw(t, team)["token"]; ok {
		t.Error("the sealed token is still in Redis after the uninstall")
	}

	// tokens_revoked after app_uninstalled: the first deadline stands.
	second, err := f.st.RemoveInstallation(ctx(t), team, now.Add(time.Hour), retain)
	if err != nil || !second.Equal(deadline) {
		t.Errorf("second removal: deadline %v, %v; want the first, %v", second, err, deadline)
	}
	page, _, err := f.st.ListInstallations(ctx(t), "", 10)
	if err != nil || len(page) != 0 {
		t.Errorf("listed after removal: %d, %v", len(page), err)
	}
}

// teamData writes n plain keys under tm's base besides what the fixture writes, so a purge needs
// many SCAN slices.
func (f *installs) teamData(t *testing.T, tm string, n int) {
	t.Helper()
	_, err := f.rdb.Pipelined(ctx(t), func(p redis.Pipeliner) error {
		for i := range n {
			p.Set(ctx(t), f.key(tm, fmt.Sprintf("filler:%d", i)), i, 0)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPurgeUninstalled(t *testing.T) {
	f := newInstalls(t)
	const other = "T0OTHER"
	if err := f.st.PutMembers(ctx(t), other, directory); err != nil {
		t.Fatal(err)
	}
	for _, tm := range []string{team, other} {
		f.save(t, installation(tm))
		f.create(t, tm, draft(t, "UROB", "pat@example.com", ""))
		f.teamData(t, tm, 350)
	}
	before := len(f.match(t, ":{"+other+"}:*"))

	deadline, err := f.st.RemoveInstallation(ctx(t), team, now, retain)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("NotYet", func(t *testing.T) {
		p, err := f.st.PurgeUninstalled(ctx(t), deadline.Add(-time.Millisecond))
		if err != nil || p.Keys != 0 || len(p.Teams) != 0 {
			t.Fatalf("purge before the deadline: %+v, %v", p, err)
		}
		if n := len(f.match(t, ":{"+team+"}:*")); n < 350 {
			t.Errorf("%d keys left before the deadline", n)
		}
	})
	t.Run("Due", func(t *testing.T) {
		p, err := f.st.PurgeUninstalled(ctx(t), deadline)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Teams, []string{team}) || p.Keys < 351 {
			t.Errorf("purged %+v, want %s and its 350+ keys", p, team)
		}
		if left := f.match(t, ":{"+team+"}:*"); len(left) != 0 {
			t.Errorf("keys of the purged team left: %v", left[:min(5, len(left))])
		}
		if n := len(f.match(t, ":{"+other+"}:*")); n != before {
			t.Errorf("the other team has %d keys, had %d", n, before)
		}
		if _, err := f.st.Installation(ctx(t), team); rapport.ErrorCode(err) != rapport.ENOTFOUND {
			t.Errorf("purged team's installation: %v, want ENOTFOUND", err)
		}
		if n, _ := f.rdb.ZCard(ctx(t), f.prefix+":purge").Result(); n != 0 {
			t.Errorf("%d teams still queued for purge", n)
		}
	})
}

func TestReinstallCancelsPurge(t *testing.T) {
	f := newInstalls(t)
	f.save(t, installation(team))
	f.create(t, team, draft(t, "UROB", "pat@example.com", ""))
	deadline, err := f.st.RemoveInstallation(ctx(t), team, now, retain)
	if err != nil {
		t.Fatal(err)
	}
	f.save(t, installation(team)) // back within the retention
	// A queue entry left by a save cut short before its tidy step.
	if err := f.rdb.ZAdd(ctx(t), f.prefix+":purge", redis.Z{Score: float64(deadline.UnixMilli()), Member: team}).Err(); err != nil {
		t.Fatal(err)
	}
	keys := len(f.match(t, ":{"+team+"}:*"))
	p, err := f.st.PurgeUninstalled(ctx(t), deadline.Add(time.Hour))
	if err != nil || p.Keys != 0 {
		t.Fatalf("purge of a re-installed team: %+v, %v", p, err)
	}
	if n := len(f.match(t, ":{"+team+"}:*")); n != keys {
		t.Errorf("re-installed team has %d keys, had %d", n, keys)
	}
	if !f.get(t, team).Installed() {
		t.Error("re-installed team is not installed after the purge pass")
	}
	if n, _ := f.rdb.ZCard(ctx(t), f.prefix+":purge").Result(); n != 0 {
		t.Errorf("%d teams still queued for purge", n)
	}
}

// TestPurgeSlices checks that no command of a large team's purge holds Redis 5 ms.
func TestPurgeSlices(t *testing.T) {
	srv := redistest.Start(t)
	if !srv.Own() {
		t.Skip("SLOWLOG settings need a redis-server of the test's own")
	}
	rdb := srv.Client(t)
	prefix := srv.Prefix(t)
	f := &installs{fixture: &fixture{rdb: rdb, prefix: prefix}, kr: keyring(t, keyB64(7), "")}
	f.st = storage.New(rdb, storage.WithPrefix(prefix), storage.WithTokenKeys(f.kr))
	f.save(t, installation(team))
	f.teamData(t, team, 20000)
	deadline, err := f.st.RemoveInstallation(ctx(t), team, now, retain)
	if err != nil {
		t.Fatal(err)
	}
	if err := redistest.WatchSlow(ctx(t), rdb, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	p, err := f.st.PurgeUninstalled(ctx(t), deadline)
	if err != nil || p.Keys != 20001 {
		t.Fatalf("purge: %+v, %v; want 20,001 keys", p, err)
	}
	slow, err := redistest.Slowest(ctx(t), rdb)
	if err != nil {
		t.Fatal(err)
	}
	if len(slow) > 0 {
		t.Errorf("commands over 5 ms during the purge: %v", slow)
	}
}

func TestResealTokens(t *testing.T) {
	f := newInstalls(t)
	for _, tm := range []string{"T0001", "T0002", "T0003"} {
		f.save(t, installation(tm))
	}
	rotated := keyring(t, keyB64(9), keyB64(7))
	st := storage.New(f.rdb, storage.WithPrefix(f.prefix), storage.WithTokenKeys(rotated))
	n, err := st.ResealTokens(ctx(t))
	if err != nil || n != 3 {
		t.Fatalf("ResealTokens: %d, %v; want 3", n, err)
	}
	for _, tm := range []string{"T0001", "T0002", "T0003"} {
		if got := storage.SealedUnder(f.raw(t, tm)["token"]); got != rotated.CurrentID() {
			t.Errorf("%s sealed under %q after the reseal, want %q", tm, got, rotated.CurrentID())
		}
	}
	// The old key can go: a ring of the new key alone reads every token.
	alone := storage.New(f.rdb, storage.WithPrefix(f.prefix), storage.WithTokenKeys(keyring(t, keyB64(9), "")))
	in, err := alone.Installation(ctx(t), "T0002")
	if err != nil || in.BotToken.Reveal() != "xoxb-T0002-secret-token" {
		t.Errorf("read under the new key alone: %v", err)
	}
	if n, err := st.ResealTokens(ctx(t)); err != nil || n != 0 {
		t.Errorf("a second reseal: %d, %v; want nothing to do", n, err)
	}
}

func TestClaimOnce(t *testing.T) {
	f := newInstalls(t)
	first, err := f.st.ClaimOnce(ctx(t), "oauth-state:abc", time.Minute)
	if err != nil || !first {
		t.Fatalf("first claim: %v, %v", first, err)
	}
	again, err := f.st.ClaimOnce(ctx(t), "oauth-state:abc", time.Minute)
	if err != nil || again {
		t.Errorf("second claim: %v, %v; want refused", again, err)
	}
}
