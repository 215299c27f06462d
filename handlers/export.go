package handlers

import (
	"context"
	"slices"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/notify"
	"go.uber.org/zap"
)

// ExportStore is what the admins' features read: the member directory, which says who is a
// workspace admin.
type ExportStore interface {
	Member(ctx context.Context, team, id string) (rapport.Member, error)
	Members(ctx context.Context, team string) ([]rapport.Member, error)
}

// export answers "/refer export [week|month|quarter|year|all]": admins get a CSV of the referrals
// created in the period in their DM. The ack queues it in the outbox (so a crash or a Slack
// error does not lose it); the catalogue builds the file when it is sent.
func (h *Handlers) export(ctx context.Context, r *bot.Request, rest string) (any, error) {
	user := r.Command.UserID
	if err := h.requireAdmin(ctx, r.Team, user, "export the referrals"); err != nil {
		return nil, err
	}
	period := strings.ToLower(strings.TrimSpace(rest))
	if period != "" && !slices.Contains(notify.ExportPeriods, period) {
		return bot.Ephemeral("Type `/refer export` for the last 30 days, or `/refer export week`, `month`, `quarter`, `year` or `all`."), nil
	}
	note := notify.ExportNote(user, period, h.now())
	if err := h.store.Enqueue(ctx, r.Team, r.EnvelopeID, note.Kind, note.To, note.Fields); err != nil {
		return nil, err
	}
	h.log.Info("export queued", zap.String("user", user), zap.String("period", period))
	return bot.Ephemeral("Preparing your export… it will arrive in your DM with Rapport in a moment."), nil
}
