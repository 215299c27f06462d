package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

const team = "T0001"

// now is the tests' clock: whole milliseconds, as Redis stores them.
var now = time.UnixMilli(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC).UnixMilli())

// directory is the member directory every test starts with.
var directory = []rapport.Member{
	{ID: "UGIA", Name: "gia", RealName: "Gia Giver", TZ: "America/Phoenix"},
	{ID: "UROB", Name: "rob", RealName: "Rob Receiver", TZ: "America/Phoenix"},
	{ID: "UOLA", Name: "ola", RealName: "Ola Other", TZ: "Europe/Oslo"},
	{ID: "UBOT", Name: "helper", RealName: "Helper", IsBot: true},
	{ID: "UGONE", Name: "gone", RealName: "Gone Member", Deleted: true},
	{ID: rapport.SlackbotID, Name: "Slackbot", RealName: "Slackbot"},
	{ID: "UMAY", Name: "may", RealName: "May Member", TZ: "America/Phoenix"},
}

// Kinds of the messages the tests queue. Storage never reads a kind: it stores what it is given.
const (
	kindReceived = "referral.received"
	kindSent     = "referral.sent"
)

// dms are the messages a new referral owes, as the handlers ask for them.
var dms = []rapport.Notice{
	{Kind: kindReceived, To: rapport.RoleReceiver},
	{Kind: kindSent, To: rapport.RoleGiver},
}

type fixture struct {
	st     *storage.Store
	rdb    redis.UniversalClient
	prefix string
	envs   int
}

// newFixture returns a store over a real Redis, under a prefix of the test's own, with the
// directory loaded for team.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	f := &fixture{rdb: srv.Client(t), prefix: srv.Prefix(t)}
	f.st = storage.New(f.rdb, storage.WithPrefix(f.prefix))
	if err := f.st.PutMembers(ctx(t), team, directory); err != nil {
		t.Fatalf("PutMembers: %v", err)
	}
	return f
}

// ctx is a test's context with a deadline, so a hung Redis fails the test instead of the run.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// draft returns a validated draft from UGIA to receiver about a prospect reached at email/phone.
func draft(t testing.TB, receiver, email, phone string) rapport.Draft {
	t.Helper()
	return draftFrom(t, "UGIA", receiver, email, phone)
}

// draftFrom is draft with another giver.
func draftFrom(t testing.TB, giver, receiver, email, phone string) rapport.Draft {
	t.Helper()
	d, errs := rapport.Validate(rapport.Draft{
		Giver:    giver,
		Receiver: receiver,
		Prospect: rapport.Prospect{Name: "Pat Prospect", Company: "Prospect Plumbing LLC", Phone: phone, Email: email},
		Need:     "Needs a commercial insurance review before their lease renewal in April.",
		BestTime: "Weekday mornings, by phone",
		Note:     "Met Pat at the chamber breakfast; mention my name.",
		Facts:    rapport.Facts{Spoke: true, MayShare: true},
	})
	if len(errs) > 0 {
		t.Fatalf("Validate: %v", errs)
	}
	return d
}

// create saves d under a fresh envelope ID and fails the test on any error.
func (f *fixture) create(t testing.TB, tm string, d rapport.Draft) rapport.Referral {
	t.Helper()
	r, _, err := f.st.CreateReferral(ctx(t), f.newReferral(tm, d))
	if err != nil {
		t.Fatalf("CreateReferral: %v", err)
	}
	return r
}

func (f *fixture) newReferral(tm string, d rapport.Draft) storage.NewReferral {
	f.envs++
	// Each submission a second after the previous one, as newest-first lists need.
	at := now.Add(time.Duration(f.envs) * time.Second)
	return storage.NewReferral{Team: tm, EnvelopeID: fmt.Sprintf("env-%d", f.envs), Draft: d, Now: at, Notify: dms}
}

// keys lists every key under the fixture's prefix, sorted.
func (f *fixture) keys(t testing.TB) []string {
	t.Helper()
	return f.match(t, ":*")
}

// match lists the keys under the fixture's prefix that match pattern after it, sorted: on every
// master of a cluster.
func (f *fixture) match(t testing.TB, pattern string) []string {
	t.Helper()
	ks, err := redistest.Keys(ctx(t), f.rdb, f.prefix+pattern)
	if err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	return ks
}

// key is the fixture's full key for a layout suffix such as "seq" or "ref:1".
func (f *fixture) key(tm, suffix string) string {
	return f.prefix + ":{" + tm + "}:" + strings.TrimPrefix(suffix, ":")
}
