package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// membersEvery is how often the directory is re-read from Slack: deactivations, new admins and
// time zones (quiet hours) reach Rapport within it.
const membersEvery = time.Hour

// missSyncEvery bounds the syncs an unknown receiver triggers: a form submitted again and again
// with a receiver the directory does not know reads users.list (Tier 2) at most this often.
const missSyncEvery = time.Minute

// syncOnMiss is the after-ack work of a form naming a receiver the directory does not know (a
// member who joined since the last sync): it syncs, at most once per missSyncEvery.
func (h *Handlers) syncOnMiss(ctx context.Context) error {
	h.syncMu.Lock()
	now := h.now()
	due := now.Sub(h.missSynced) >= missSyncEvery
	if due {
		h.missSynced = now
	}
	h.syncMu.Unlock()
	if !due {
		return nil
	}
	return h.SyncMembers(ctx)
}

// RefreshMembers is the scheduler's job: it syncs the directory when the last sync is older than
// membersEvery. users.list is Tier 2; each replica calls it at most hourly.
func (h *Handlers) RefreshMembers(ctx context.Context, now time.Time) error {
	h.syncMu.Lock()
	due := now.Sub(h.synced) >= membersEvery
	h.syncMu.Unlock()
	if !due {
		return nil
	}
	return h.SyncMembers(ctx)
}

// SyncMembers copies the workspace's people from users.list into the member directory, which the ack
// path reads instead of calling Slack.
func (h *Handlers) SyncMembers(ctx context.Context) error {
	users, err := h.api.GetUsersContext(ctx)
	if err != nil {
		return fmt.Errorf("users.list: %w", err)
	}
	ms := make([]rapport.Member, 0, len(users))
	admins := map[string]bool{}
	for _, u := range users {
		m := memberOf(u)
		ms = append(ms, m)
		if m.GroupAdmin(h.cfg.Admins) {
			admins[m.ID] = true
		}
	}
	if err := h.store.PutMembers(ctx, h.team, ms); err != nil {
		return fmt.Errorf("save member directory: %w", err)
	}
	h.shownAdmins.Store(&admins)
	h.syncMu.Lock()
	h.synced = h.now()
	h.syncMu.Unlock()
	h.log.Info("member directory synced", zap.Int("members", len(ms)))
	return nil
}

func memberOf(u slack.User) rapport.Member {
	name := u.Profile.DisplayName
	if name == "" {
		name = u.RealName
	}
	if name == "" {
		name = u.Name
	}
	return rapport.Member{
		ID: u.ID, Name: name, RealName: u.RealName, TZ: u.TZ,
		IsBot: u.IsBot || u.ID == rapport.SlackbotID, Deleted: u.Deleted,
		Admin: u.IsAdmin || u.IsOwner || u.IsPrimaryOwner,
	}
}
