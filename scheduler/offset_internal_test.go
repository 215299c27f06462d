package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestSweepsSpread: the sweeps of 1,000 workspaces started together run spread over the spread,
// each at its own offset (the same on every replica), never more than half a period late.
func TestSweepsSpread(t *testing.T) {
	for _, c := range []struct {
		spec   string
		spread time.Duration
		within time.Duration
	}{
		{"@every 1m", 30 * time.Second, 30 * time.Second},
		{"0 9 * * 1", 30 * time.Second, 30 * time.Second},
		{"@every 1s", 30 * time.Second, 500 * time.Millisecond}, // half the period
		{"@every 1m", 0, 0},
	} {
		sched, err := cron.ParseStandard(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		perSecond := map[int64]int{}
		for i := range 1000 {
			team := fmt.Sprintf("TW%04d", i)
			off := offsetOf(team, sched, c.spread)
			if off < 0 || off > c.within || (c.within > 0 && off == c.within) {
				t.Fatalf("%s, spread %v: %s's offset is %v; want within [0, %v)", c.spec, c.spread, team, off, c.within)
			}
			if again := offsetOf(team, sched, c.spread); again != off {
				t.Fatalf("%s: %s's offset is %v, then %v; want the same each time", c.spec, team, off, again)
			}
			perSecond[int64(off/time.Second)]++
		}
		if c.within >= 30*time.Second {
			for sec, n := range perSecond {
				if n > 100 { // about 33 a second when spread evenly
					t.Errorf("%s: %d of 1,000 sweeps in second %d of the spread; want them spread", c.spec, n, sec)
				}
			}
		}
	}
}
