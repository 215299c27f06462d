package bot

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

// TestSupersedeKeepsANotice: a Home redraw is replaced by a newer one, except one that carries a
// refused click's notice, which only its stream entry holds: replacing it by a redraw without one
// would settle the notice away before the newer entry is published.
func TestSupersedeKeepsANotice(t *testing.T) {
	home := func(id, notice string) *item {
		e := rapport.OutboxEntry{ID: id, Kind: "home", To: "UBOB"}
		if notice != "" {
			e.Fields = map[string]string{rapport.EntryNotice: notice}
		}
		return &item{e: e}
	}
	tests := []struct {
		name        string
		last, newer *item
		replaced    bool
	}{
		{"PlainByPlain", home("1-1", ""), home("1-2", ""), true},
		{"NoticeByPlain", home("1-1", ":warning: refused"), home("1-2", ""), false},
		{"NoticeByNotice", home("1-1", ":warning: refused"), home("1-2", ":warning: again"), true},
		{"PlainByNotice", home("1-1", ""), home("1-2", ":warning: refused"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &lane{}
			q := &queue{to: "UBOB", items: []*item{tt.last}}
			if got := l.supersede(q, tt.newer); got != tt.replaced {
				t.Fatalf("supersede = %v; want %v", got, tt.replaced)
			}
			if tt.replaced && (len(q.items) != 1 || q.items[0] != tt.newer || len(l.superseded) != 1) {
				t.Errorf("queue %v, superseded %v; want only the newer, the older to settle", q.items, l.superseded)
			}
			if !tt.replaced && (len(q.items) != 1 || q.items[0] != tt.last || len(l.superseded) != 0) {
				t.Errorf("the redraw with a notice was touched: queue %v, superseded %v", q.items, l.superseded)
			}
		})
	}
}

// TestSupersedeKeepsTheSlot: the Home slot taken with the batch of a redraw that a newer one
// replaces goes to the newer one, so that the member's Home is not held HomeEvery by a slot nobody
// used.
func TestSupersedeKeepsTheSlot(t *testing.T) {
	at := time.Now()
	last := &item{e: rapport.OutboxEntry{ID: "1-1", Kind: "home", To: "UBOB"}, ahead: ahead{at: at, home: true}}
	newer := &item{e: rapport.OutboxEntry{ID: "1-2", Kind: "home", To: "UBOB"}}
	l := &lane{}
	q := &queue{to: "UBOB", items: []*item{last}}
	if !l.supersede(q, newer) {
		t.Fatal("the newer redraw did not replace the older")
	}
	if got := newer.ahead.good(at); !got.home {
		t.Errorf("the newer redraw's slots = %+v; want the Home slot the older one's batch took", got)
	}
}
