package handlers

import (
	"context"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/notify"
	"go.uber.org/zap"
)

// settingsTTL bounds how stale another replica's view of an admin's change may be.
const settingsTTL = 10 * time.Second

// SettingsStore keeps the overrides admins save.
type SettingsStore interface {
	Settings(ctx context.Context, team string) (map[string]string, error)
	// PutSettings saves the overrides and queues confirm (when it has a kind) in one step, once
	// per envelope.
	PutSettings(ctx context.Context, team, envelopeID string, values map[string]string, confirm rapport.OutboxEntry) error
}

// Settings gives the group's effective settings: the environment's defaults with the admins'
// overrides from Redis, re-read at most every settingsTTL. If Redis cannot be read, the last known
// settings stay in force.
type Settings struct {
	store    SettingsStore
	team     string
	defaults rapport.Settings
	now      func() time.Time
	log      *zap.Logger

	mu   sync.Mutex
	cur  rapport.Settings
	read time.Time
}

// NewSettings returns the settings of team over defaults.
func NewSettings(store SettingsStore, team string, defaults rapport.Settings, now func() time.Time, log *zap.Logger) *Settings {
	return &Settings{store: store, team: team, defaults: defaults, cur: defaults, now: now, log: log}
}

// Get returns the effective settings, reading Redis when the cached copy is older than settingsTTL.
func (s *Settings) Get(ctx context.Context) rapport.Settings {
	s.mu.Lock()
	fresh := s.now().Sub(s.read) < settingsTTL
	cur := s.cur
	s.mu.Unlock()
	if fresh {
		return cur
	}
	if err := s.Refresh(ctx); err != nil {
		s.log.Warn("settings not refreshed; keeping the last known", zap.Error(err))
	}
	return s.Snapshot()
}

// Snapshot returns the settings last read, without I/O: what the ack path uses, so it stays at one
// Redis round trip. The sweep's job refreshes them every minute on every replica.
func (s *Settings) Snapshot() rapport.Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Refresh re-reads the overrides now. A stored value that no longer parses is skipped and logged.
func (s *Settings) Refresh(ctx context.Context) error {
	over, err := s.store.Settings(ctx, s.team)
	if err != nil {
		return err
	}
	cur, errs := s.defaults.Apply(over, CheckSchedule)
	for name := range errs {
		s.log.Warn("stored setting ignored", zap.String("setting", name))
	}
	s.mu.Lock()
	s.cur, s.read = cur, s.now()
	s.mu.Unlock()
	return nil
}

// Save validates and stores an admin's values (all of them, as the form sends them): values equal
// to the default are removed, so a later change of the environment still applies. The admin's
// confirmation (what changed) is queued with them, once per once (the form's view): saving the
// same form again writes the same values and confirms nothing more. It returns the names of the
// settings that changed.
func (s *Settings) Save(ctx context.Context, once, admin string, values map[string]string) ([]string, error) {
	next, errs := s.defaults.Apply(values, CheckSchedule)
	if len(errs) > 0 {
		return nil, errs
	}
	note := notify.SettingsSavedNote(admin, s.Snapshot().Values(), next.Values())
	def := s.defaults.Values()
	store := map[string]string{}
	for name, v := range next.Values() {
		switch {
		case v == def[name]:
			store[name] = "" // back to the environment's default
		case v == "":
			store[name] = rapport.SettingNone // off, although the environment sets one
		default:
			store[name] = v
		}
	}
	if err := s.store.PutSettings(ctx, s.team, once, store, note); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cur, s.read = next, s.now()
	s.mu.Unlock()
	return notify.Changed(note), nil
}

// CheckSchedule is the settings' check of a digest schedule: five cron fields (or a descriptor such
// as @weekly), as robfig/cron reads them when the digest runs.
func CheckSchedule(spec string) error {
	_, err := cron.ParseStandard(spec)
	return err
}
