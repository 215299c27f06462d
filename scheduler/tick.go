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
		claims := make([]rapport.Claim, 0, len(page))
		for _, d := range page {
			loc, err := s.receiverZone(ctx, zones, d.Receiver)
			if err != nil {
				return res, err
			}
			if end, ok := rapport.NudgeAt(now, loc, quiet, weekends); ok {
				if err := s.store.Postpone(ctx, s.cfg.Team, d, end); err != nil {
					return res, err
				}
				res.Postponed++
				continue
			}
			c := rapport.Claim{Due: d, Notify: s.cfg.Notices(d.Stage)}
			if next, at, ok := timing.NextReminder(d.Stage, now); ok {
				c.Next, c.NextAt = next, at
			}
			claims = append(claims, c)
		}
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

// receiverZone returns the time zone of a receiver from the member directory: UTC when the member or
// their zone is unknown, so an odd profile delays no nudge.
func (s *Scheduler) receiverZone(ctx context.Context, seen map[string]*time.Location, id string) (*time.Location, error) {
	if loc, ok := seen[id]; ok {
		return loc, nil
	}
	loc := time.UTC
	if id != "" {
		m, err := s.store.Member(ctx, s.cfg.Team, id)
		switch {
		case rapport.ErrorCode(err) == rapport.ENOTFOUND:
			s.log.Warn("reminder for a member not in the directory: using UTC", zap.String("user", id))
		case err != nil:
			return nil, fmt.Errorf("time zone of %s: %w", id, err)
		default:
			loc = s.zone(m.TZ)
		}
	}
	seen[id] = loc
	return loc, nil
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
