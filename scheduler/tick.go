package scheduler

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
)

// Result counts what one sweep did. Stale counts reminders it found due but did not claim: the
// referral had moved on, or another replica claimed them first. Expired counts the referrals it
// closed as expired, OneOnOnesExpired the 1:1s nobody confirmed in time.
type Result struct{ Claimed, Postponed, Stale, Expired, OneOnOnesExpired int }

// Tick first closes the referrals that rusted open (expire) and expires the 1:1s nobody confirmed
// within rapport.OneOnOneExpiry (the recorder told), then claims every reminder due at now,
// a page of Batch at a time: a reminder falling in the receiver's quiet hours or, unless the group
// nudges on weekends, on their weekend (in their own time zone) is postponed to the end of them; any
// other is claimed, with its messages queued and the next stage scheduled, one claim script per page.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (Result, error) {
	var res Result
	timing, quiet, weekends := s.cfg.Timing(), s.cfg.Quiet(), s.cfg.Weekends()
	var err error
	if res.Expired, err = s.expire(ctx, now, timing); err != nil {
		return res, err
	}
	if s.cfg.OneOnOneNotices != nil {
		res.OneOnOnesExpired, err = s.store.ExpireOneOnOnes(ctx, s.cfg.Team, now, s.cfg.Batch, s.cfg.OneOnOneNotices(rapport.OneOnOneExpired))
		if err != nil {
			return res, err
		}
	}
	zones := map[string]*time.Location{} // receiver → zone, read once per tick
	var last rapport.Due
	for {
		page, err := s.store.DueBefore(ctx, s.cfg.Team, now, s.cfg.Batch)
		if err != nil {
			return res, err
		}
		if len(page) == 0 || page[0].ID == last.ID && page[0].At.Equal(last.At) {
			// Nothing due, or the page did not move: what is left changes under us; the next tick
			// takes it.
			return res, nil
		}
		last = page[0]
		if err := s.readZones(ctx, zones, page); err != nil {
			return res, err
		}
		claims := make([]rapport.Claim, 0, len(page))
		var later []rapport.Postponement
		for _, d := range page {
			if end, ok := rapport.NudgeAt(now, zones[d.Receiver], quiet, weekends); ok {
				later = append(later, rapport.Postponement{Due: d, Until: end})
				continue
			}
			c := rapport.Claim{Due: d, Notify: s.cfg.Notices(d.Stage)}
			if next, at, ok := timing.NextReminder(d.Stage, now); ok {
				c.Next, c.NextAt = next, at
			}
			claims = append(claims, c)
		}
		if err := s.store.Postpone(ctx, s.cfg.Team, later); err != nil {
			return res, err
		}
		res.Postponed += len(later)
		n, err := s.store.ClaimDue(ctx, s.cfg.Team, claims)
		if err != nil {
			return res, err
		}
		res.Claimed += n
		res.Stale += len(claims) - n
		if len(page) < s.cfg.Batch {
			return res, nil
		}
	}
}

// readZones adds to seen the time zone of each receiver of page it lacks, from the member
// directory in one round trip: UTC when the member or their zone is unknown, so an odd profile
// delays no nudge.
func (s *Scheduler) readZones(ctx context.Context, seen map[string]*time.Location, page []rapport.Due) error {
	var ids []string
	for _, d := range page {
		if _, ok := seen[d.Receiver]; !ok {
			seen[d.Receiver] = time.UTC // until the directory says otherwise; "" stays UTC
			if d.Receiver != "" {
				ids = append(ids, d.Receiver)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ms, err := s.store.MembersByID(ctx, s.cfg.Team, ids)
	if err != nil {
		return fmt.Errorf("time zones of %d receivers: %w", len(ids), err)
	}
	for _, id := range ids {
		m, ok := ms[id]
		if !ok {
			s.log.Warn("reminder for a member not in the directory: using UTC", zap.String("user", id))
			continue
		}
		seen[id] = s.zone(m.TZ)
	}
	return nil
}

// zone loads an IANA zone once per Scheduler; an empty or unknown name is UTC.
func (s *Scheduler) zone(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if loc, ok := s.zones[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		s.log.Warn("unknown time zone: using UTC", zap.String("tz", name))
		loc = time.UTC
	}
	s.zones[name] = loc
	return loc
}
