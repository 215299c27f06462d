package notify

import (
	"errors"
	"slices"
	"testing"

	"github.com/rapportbot/rapport"
)

// TestRenderBatchDrawsAsRender: every kind drawn from a snapshot reads as Render draws it, and the
// messages of one change (about one referral, and the Homes of its two members) are drawn from one
// read, none of their own. A kind that reads anything else is left to Render.
func TestRenderBatchDrawsAsRender(t *testing.T) {
	all := samples(t)
	var batch []rapport.OutboxEntry
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			st := newSampleStore()
			kindSample(st, kind)
			c := sampleCatalogue(st, sampleSettings)
			e := all[kind]
			drawn := c.RenderBatch(t.Context(), "T1", []rapport.OutboxEntry{e})
			d, ok := drawn[e.ID]
			_, _, _, batched := byKind[kind].batched(e)
			if ok != batched {
				t.Fatalf("RenderBatch drew it: %v; want %v (its kind reads only a referral or a Home: %v)", ok, batched, batched)
			}
			if !ok {
				return
			}
			p, owed, err := c.Render(t.Context(), "T1", e)
			if d.OK != owed || (d.Err == nil) != (err == nil) {
				t.Fatalf("RenderBatch = owed %v, %v; Render = owed %v, %v", d.OK, d.Err, owed, err)
			}
			if got, want := deliveryJSON(t, d.Delivery), deliveryJSON(t, p); got != want ||
				d.Delivery.Channel != p.Channel || d.Delivery.TS != p.TS || d.Delivery.Text != p.Text || d.Delivery.Slot != p.Slot {
				t.Errorf("RenderBatch drew\n%s\nRender drew\n%s", got, want)
			}
		})
	}
	for _, kind := range []string{"referral.update", "referral.update.giver", "referral.report", "home"} {
		e := all[kind]
		e.ID = kind
		batch = append(batch, e)
	}
	home := all["home"]
	home.ID, home.To = "home2", "UALICE"
	batch = append(batch, home)
	st := newSampleStore()
	drawn := sampleCatalogue(st, sampleSettings).RenderBatch(t.Context(), "T1", batch)
	if len(drawn) != len(batch) || st.snapshots != 1 || st.reads != 0 {
		var ids []string
		for id := range drawn {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		t.Errorf("a change's messages: drew %v from %d snapshots and %d reads of their own; want all %d from one snapshot",
			ids, st.snapshots, st.reads, len(batch))
	}

	st = newSampleStore()
	st.readErr = errors.New("connection refused")
	if drawn := sampleCatalogue(st, sampleSettings).RenderBatch(t.Context(), "T1", batch); len(drawn) != 0 {
		t.Errorf("with the snapshot failed RenderBatch drew %d; want none (each is drawn when it goes)", len(drawn))
	}
}
