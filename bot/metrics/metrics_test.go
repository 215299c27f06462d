package metrics

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestNamesAreWhatIsServed keeps Names (which the dashboard's test reads) the exact list of the
// rapport_ metrics the registry serves.
func TestNamesAreWhatIsServed(t *testing.T) {
	m := newTestMetrics(t)
	queued := time.Now().Add(-time.Minute)
	m.WatchOutbox(context.Background(), func(context.Context) (int64, time.Time, error) { return 3, queued, nil }, time.Now)
	m.slack.WithLabelValues("auth.test", SlackOK).Inc() // a counter vector serves no family before its first series
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), "rapport_") {
			served = append(served, f.GetName())
		}
	}
	want := slices.Sorted(slices.Values(Names))
	slices.Sort(served)
	if !slices.Equal(served, want) {
		t.Errorf("served %v; Names lists %v", served, want)
	}
	if got := testutil.ToFloat64(m.teams); got != 0 {
		t.Errorf("installed teams before any is set = %v; want 0", got)
	}
}

// TestOutboxGauges reads the backlog at scrape time; a read that fails leaves the gauges out of
// that scrape and is counted.
func TestOutboxGauges(t *testing.T) {
	m := newTestMetrics(t)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	var fail error
	m.WatchOutbox(context.Background(), func(context.Context) (int64, time.Time, error) {
		return 7, now.Add(-90 * time.Second), fail
	}, func() time.Time { return now })
	if n, err := testutil.GatherAndCount(m.Registry(), OutboxPending, OutboxOldest); err != nil || n != 2 {
		t.Fatalf("outbox gauges: %d series, %v; want 2", n, err)
	}
	err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP rapport_outbox_oldest_age_seconds How long the oldest message the outbox owes has waited since it was queued; 0 when none is owed.
# TYPE rapport_outbox_oldest_age_seconds gauge
rapport_outbox_oldest_age_seconds 90
# HELP rapport_outbox_pending_messages Messages the outbox owes Slack and has not delivered yet (read or not).
# TYPE rapport_outbox_pending_messages gauge
rapport_outbox_pending_messages 7
`), OutboxPending, OutboxOldest)
	if err != nil {
		t.Error(err)
	}
	fail = context.DeadlineExceeded
	if n, err := testutil.GatherAndCount(m.Registry(), OutboxPending, OutboxOldest); err != nil || n != 0 {
		t.Errorf("outbox gauges after a failed read: %d series, %v; want none", n, err)
	}
	if got := testutil.ToFloat64(m.outboxErrs); got != 1 {
		t.Errorf("outbox read errors = %v; want 1", got)
	}
}

// TestLabelsAreBounded counts a value outside a label's set as "other", so no label can grow with
// what arrives.
func TestLabelsAreBounded(t *testing.T) {
	m := newTestMetrics(t)
	m.Acked("slash_commands", "handled", 3*time.Millisecond)
	m.Acked("T0TEAM", "U0USER", time.Millisecond)
	m.DeadLettered("retries_exhausted:http_502")
	m.Nudged("U0USER")
	if n := testutil.CollectAndCount(m.ack); n != 2 {
		t.Errorf("%d ack histograms; want slash_commands and other", n)
	}
	for name, got := range map[string]float64{
		"envelopes{slash_commands,handled}": testutil.ToFloat64(m.envelopes.WithLabelValues("slash_commands", "handled")),
		"envelopes{other,other}":            testutil.ToFloat64(m.envelopes.WithLabelValues(other, other)),
		"dead{other}":                       testutil.ToFloat64(m.dead.WithLabelValues(other)),
		"nudges{other}":                     testutil.ToFloat64(m.nudges.WithLabelValues(other)),
	} {
		if got != 1 {
			t.Errorf("%s = %v; want 1", name, got)
		}
	}
}
