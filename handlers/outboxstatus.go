package handlers

import (
	"context"
	"fmt"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// OutboxStore counts the messages Rapport owes Slack, for admins.
type OutboxStore interface {
	Pending(ctx context.Context, team string) (int64, error)
	DeadCount(ctx context.Context, team string) (int64, error)
}

// outboxStatus answers "/refer outbox" (admins): messages waiting, and messages Slack refused for
// good (a member gone, a channel archived), which were set aside in the dead-letter stream.
func (h *Handlers) outboxStatus(ctx context.Context, r *bot.Request, _ string) (any, error) {
	if err := h.requireAdmin(ctx, r.Team, r.Command.UserID, "see the outbox"); err != nil {
		return nil, err
	}
	pending, err := h.store.Pending(ctx, r.Team)
	if err != nil {
		return nil, err
	}
	dead, err := h.store.DeadCount(ctx, r.Team)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("*Outbox:* %d %s waiting to be sent; %d undeliverable (Slack refused them for good: a member gone, a channel archived). Undeliverable messages are kept in the dead-letter stream and logged.",
		pending, kit.Plural(int(pending), "message", "messages"), dead)
	return bot.Ephemeral(text), nil
}
