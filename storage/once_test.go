package storage_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

// TestQueuedOncePerEnvelope: a message about the group, and the settings confirmation saved with
// the settings, are queued once however often their envelope comes; the settings are saved each
// time (the same values).
func TestQueuedOncePerEnvelope(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	for range 2 {
		if err := f.st.Enqueue(c, team, "env-1", "admin.export", "UADA", map[string]string{"period": "week"}); err != nil {
			t.Fatal(err)
		}
		confirm := rapport.OutboxEntry{Kind: "settings.saved", To: "UADA", Fields: map[string]string{"changed": "followup_sla"}}
		if err := f.st.PutSettings(c, team, "env-2", map[string]string{"followup_sla": "48h", "currency": ""}, confirm); err != nil {
			t.Fatal(err)
		}
	}
	es, err := f.st.ReadOutbox(c, team, "c1", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Kind+">"+e.To+":"+e.Fields["period"]+e.Fields["changed"])
	}
	if diff := cmp.Diff([]string{"admin.export>UADA:week", "settings.saved>UADA:followup_sla"}, got); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
	set, err := f.st.Settings(c, team)
	if diff := cmp.Diff(map[string]string{"followup_sla": "48h"}, set); err != nil || diff != "" {
		t.Errorf("settings (-want +got):\n%s%v", diff, err)
	}
}
