package handlers

import (
	"context"
	"fmt"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// SyncMembers copies the workspace's people from users.list into the member directory, which the ack
// path reads instead of calling Slack.
func (h *Handlers) SyncMembers(ctx context.Context) error {
	users, err := h.api.GetUsersContext(ctx)
	if err != nil {
		return fmt.Errorf("users.list: %w", err)
	}
	ms := make([]rapport.Member, 0, len(users))
	for _, u := range users {
		ms = append(ms, memberOf(u))
	}
	if err := h.store.PutMembers(ctx, h.team, ms); err != nil {
		return fmt.Errorf("save member directory: %w", err)
	}
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
