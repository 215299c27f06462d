package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// ExportStore is what the admins' features read: the referrals of a period, whole, and the member
// directory, which names the people in the export and says who is a workspace admin.
type ExportStore interface {
	ReferralsCreated(ctx context.Context, team string, from, to time.Time) ([]rapport.Referral, []rapport.Fact, error)
	Member(ctx context.Context, team, id string) (rapport.Member, error)
	Members(ctx context.Context, team string) ([]rapport.Member, error)
}

// exportPeriods are the words /refer export takes; none means the last 30 days (rule 11).
var exportPeriods = []string{"week", "month", "quarter", "year", "all"}

// export answers "/refer export [week|month|quarter|year|all]": admins get a CSV of the referrals
// created in the period in their DM. The ack only checks; the file is built and uploaded after it.
func (h *Handlers) export(ctx context.Context, r *bot.Request, rest string) (any, error) {
	user := r.Command.UserID
	if err := h.requireAdmin(ctx, r.Team, user, "export the referrals"); err != nil {
		return nil, err
	}
	period := strings.ToLower(strings.TrimSpace(rest))
	if period != "" && !slices.Contains(exportPeriods, period) {
		return bot.Ephemeral("Type `/refer export` for the last 30 days, or `/refer export week`, `month`, `quarter`, `year` or `all`."), nil
	}
	team, responseURL := r.Team, r.Command.ResponseURL
	r.After(func(ctx context.Context) error {
		err := h.sendExport(ctx, team, user, period)
		if err != nil && responseURL != "" {
			// The admin was told "Preparing…": tell them it did not come, rather than leave them waiting.
			if werr := bot.Respond(ctx, responseURL, "Sorry, the export could not be sent. Nothing was shared; please try again in a minute.", false); werr != nil {
				err = errors.Join(err, fmt.Errorf("tell the admin: %w", werr))
			}
		}
		return err
	})
	return bot.Ephemeral("Preparing your export… it will arrive in your DM with Rapport in a moment."), nil
}

// sendExport builds the period's CSV and uploads it to the admin's DM.
func (h *Handlers) sendExport(ctx context.Context, team, user, name string) error {
	loc := h.settings.Get(ctx).TimeZone
	if loc == nil {
		loc = time.UTC
	}
	now := h.now()
	p, _ := exportPeriod(name, now, loc)
	refs, facts, err := h.store.ReferralsCreated(ctx, team, p.From, p.To)
	if err != nil {
		return err
	}
	ms, err := h.store.Members(ctx, team)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(ms))
	for _, m := range ms {
		names[m.ID] = m.RealName
		if names[m.ID] == "" {
			names[m.ID] = m.Name
		}
	}
	b, err := exportCSV(refs, facts, names, loc)
	if err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	ch, _, _, err := h.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return fmt.Errorf("conversations.open: %w", err)
	}
	first, last := p.From.In(loc), p.To.Add(-time.Nanosecond).In(loc)
	if last.After(now) {
		last = now.In(loc)
	}
	span := first.Format(time.DateOnly) + " to " + last.Format(time.DateOnly)
	file := "rapport-referrals-" + first.Format(time.DateOnly) + "-to-" + last.Format(time.DateOnly) + ".csv"
	if p.Name == "all" {
		span = "up to " + last.Format(time.DateOnly)
		file = "rapport-referrals-until-" + last.Format(time.DateOnly) + ".csv"
	}
	_, err = h.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: file, FileSize: len(b), Reader: bytes.NewReader(b), Channel: ch.ID,
		Title: "Referrals " + span,
		InitialComment: fmt.Sprintf("Your export: %d %s created %s (%s time). Prospects are listed by name and company only: their phone numbers and emails stay in Rapport.",
			len(refs), referralsWord(len(refs)), span, loc.String()),
	})
	if err != nil {
		return fmt.Errorf("upload export: %w", err)
	}
	h.log.Info("export sent", zap.String("user", user), zap.String("period", p.Name), zap.Int("referrals", len(refs)))
	return nil
}

// exportPeriod is the span an export covers: a named period of rapport.PeriodOf, or by default the
// last 30 days, today included, in the group's zone (rule 11). ok is false for an unknown name.
func exportPeriod(name string, now time.Time, loc *time.Location) (rapport.Period, bool) {
	if name == "" {
		t := now.In(loc)
		today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		return rapport.Period{Name: "30 days", From: today.AddDate(0, 0, -29), To: today.AddDate(0, 0, 1)}, true
	}
	return rapport.PeriodOf(name, now, loc)
}

func referralsWord(n int) string {
	if n == 1 {
		return "referral"
	}
	return "referrals"
}
