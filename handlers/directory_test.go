package handlers

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
)

type usersAPI struct {
	SlackAPI
	calls int
}

func (a *usersAPI) GetUsersContext(context.Context, ...slack.GetUsersOption) ([]slack.User, error) {
	a.calls++
	return []slack.User{{ID: "UNEW", Name: "new"}}, nil
}

type directoryStore struct{ Store }

func (directoryStore) PutMembers(context.Context, string, []rapport.Member) error { return nil }

// TestUnknownReceiverSyncsOncePerMinute: forms naming an unknown receiver, submitted again and
// again, read users.list (Tier 2) once a minute at most.
func TestUnknownReceiverSyncsOncePerMinute(t *testing.T) {
	api := &usersAPI{}
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	h := New(zap.NewNop(), directoryStore{}, api, Config{Team: "T1"}, nil, func() time.Time { return now })
	for range 5 {
		if err := h.syncOnMiss(t.Context()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Second)
	}
	if api.calls != 1 {
		t.Errorf("users.list called %d times for 5 misses within a minute; want 1", api.calls)
	}
	now = now.Add(time.Minute)
	if err := h.syncOnMiss(t.Context()); err != nil {
		t.Fatal(err)
	}
	if api.calls != 2 {
		t.Errorf("users.list called %d times after a minute more; want 2", api.calls)
	}
}
