package notify

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// ExportPeriods are the words /refer export takes; none means the last 30 days (rule 11).
var ExportPeriods = []string{"week", "month", "quarter", "year", "all"}

// Fields of an export's entry: the period's word, and when the admin asked (Unix ms), so that
// an export sent late covers the span they asked for.
const (
	fieldExportPeriod = "period"
	fieldExportAsked  = "asked"
)

// ExportNote is the export an admin asked for: the CSV of the referrals created in period (one of
// ExportPeriods, or "" for the last 30 days) as of asked, uploaded to their DM.
func ExportNote(admin, period string, asked time.Time) rapport.OutboxEntry {
	return rapport.OutboxEntry{Kind: Export.Kind, To: admin, Fields: map[string]string{
		fieldExportPeriod: period, fieldExportAsked: strconv.FormatInt(asked.UnixMilli(), 10)}}
}

// exportState is an export drawn: its file and the words that go with it.
type exportState struct {
	to, file, title, comment string
	csv                      []byte
}

// readExport builds the CSV from the referrals stored now, created in the span the admin asked for.
func readExport(ctx context.Context, c *Catalogue, team string, e rapport.OutboxEntry) (exportState, error) {
	name := e.Fields[fieldExportPeriod]
	ms, err := strconv.ParseInt(e.Fields[fieldExportAsked], 10, 64)
	if err != nil || (name != "" && !slices.Contains(ExportPeriods, name)) {
		return exportState{}, unreadable(e, errNoField)
	}
	loc := c.settings.Get(ctx).TimeZone
	if loc == nil {
		loc = time.UTC
	}
	asked := time.UnixMilli(ms)
	p, _ := exportPeriod(name, asked, loc)
	refs, facts, err := c.store.ReferralsCreated(ctx, team, p.From, p.To)
	if err != nil {
		return exportState{}, err
	}
	members, err := c.store.Members(ctx, team)
	if err != nil {
		return exportState{}, err
	}
	names := make(map[string]string, len(members))
	for _, m := range members {
		names[m.ID] = m.RealName
		if names[m.ID] == "" {
			names[m.ID] = m.Name
		}
	}
	b, err := exportCSV(refs, facts, names, loc)
	if err != nil {
		return exportState{}, fmt.Errorf("write export: %w", err)
	}
	first, last := p.From.In(loc), p.To.Add(-time.Nanosecond).In(loc)
	if last.After(asked) {
		last = asked.In(loc)
	}
	span := first.Format(time.DateOnly) + " to " + last.Format(time.DateOnly)
	file := "rapport-referrals-" + first.Format(time.DateOnly) + "-to-" + last.Format(time.DateOnly) + ".csv"
	if p.Name == "all" {
		span = "up to " + last.Format(time.DateOnly)
		file = "rapport-referrals-until-" + last.Format(time.DateOnly) + ".csv"
	}
	return exportState{to: e.To, file: file, title: "Referrals " + span, csv: b,
		comment: fmt.Sprintf("Your export: %d %s created %s (%s time). Prospects are listed by name and company only: their phone numbers and emails stay in Rapport.",
			len(refs), kit.Plural(len(refs), "referral", "referrals"), span, loc.String())}, nil
}

// exportPost uploads the CSV to the admin's DM.
func exportPost(s exportState) bot.Delivery {
	return bot.Delivery{Channel: s.to, Text: s.comment,
		File: &bot.Upload{Filename: s.file, Title: s.title, Content: s.csv, Comment: s.comment}}
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
