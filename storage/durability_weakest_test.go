package storage

import (
	"errors"
	"testing"
)

// TestWeakest: a cluster keeps what its weakest master keeps.
func TestWeakest(t *testing.T) {
	safe := Durability{Policy: NoEviction, Persistence: PersistAOFRDB, From: "CONFIG"}
	refused := errors.New("NOPERM")
	for _, tt := range []struct {
		name string
		all  []Durability
		want Durability
	}{
		{"AllSafe", []Durability{safe, safe, safe}, safe},
		{"OneEvicts", []Durability{safe, {Policy: "allkeys-lru", Persistence: PersistAOF, From: "CONFIG"}, safe},
			Durability{Policy: "allkeys-lru", Persistence: PersistAOF, From: "CONFIG"}},
		{"EvictsOverUnknown", []Durability{{From: "INFO"}, {Policy: "volatile-lru", Persistence: PersistRDB, From: "CONFIG"}},
			Durability{Policy: "volatile-lru", From: "INFO"}},
		{"OneMemoryOnly", []Durability{safe, {Policy: NoEviction, Persistence: PersistNone, From: "CONFIG"}},
			Durability{Policy: NoEviction, Persistence: PersistNone, From: "CONFIG"}},
		{"OneRefusedBoth", []Durability{safe, {Refused: refused}},
			Durability{Refused: refused}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := weakest(tt.all)
			if got.Policy != tt.want.Policy || got.Persistence != tt.want.Persistence || got.From != tt.want.From ||
				!errors.Is(got.Refused, tt.want.Refused) {
				t.Errorf("weakest = %+v, want %+v", got, tt.want)
			}
		})
	}
}
