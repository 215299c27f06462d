package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rapportbot/rapport"
	"go.uber.org/zap"
)

// A journal keeps on local disk the deliveries Slack accepted and Redis did not record before the
// process stopped (a Redis blip that outlasted the drain), so that the next start records them
// before this process sends or takes over anything, instead of posting them again. One file per
// sender, written once at shutdown; every file of the team is replayed at start.
type journal struct {
	dir, team, consumer string
}

// journalLine is one delivery Slack accepted: the entry and what its record needs.
type journalLine struct {
	Entry   rapport.OutboxEntry `json:"entry"`
	Slot    string              `json:"slot,omitempty"`
	Channel string              `json:"channel,omitempty"`
	TS      string              `json:"ts,omitempty"`
}

func (j journal) pattern() string { return filepath.Join(j.dir, "outbox-"+j.team+"-*.jsonl") }

// write saves items to this sender's file, synced before it returns.
func (j journal) write(items []*item) (path string, err error) {
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return "", err
	}
	path = filepath.Join(j.dir, "outbox-"+j.team+"-"+j.consumer+".jsonl")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", err
	}
	enc := json.NewEncoder(f)
	for _, it := range items {
		err = errors.Join(err, enc.Encode(journalLine{Entry: it.e, Slot: it.sent.slot, Channel: it.sent.channel, TS: it.sent.ts}))
	}
	return path, errors.Join(err, f.Sync(), f.Close())
}

// replay records every journalled delivery of the team and removes the files, trying again until
// Redis answers or ctx ends. A file it cannot read is logged and left for a person to look at.
func (s *sender) replay(ctx context.Context) {
	if s.journal.dir == "" {
		return
	}
	files, err := filepath.Glob(s.journal.pattern())
	if err != nil {
		s.log.Error("outbox journal unreadable", zap.Error(err))
		return
	}
	for _, path := range files {
		lines, err := readJournal(path)
		if err != nil {
			s.log.Error("outbox journal unreadable; left in place", zap.String("path", path), zap.Error(err))
			continue
		}
		outs := make([]rapport.OutboxOutcome, len(lines))
		for i, l := range lines {
			outs[i] = rapport.OutboxOutcome{Entry: l.Entry, Slot: l.Slot, Channel: l.Channel, TS: l.TS}
		}
		for warned := false; ; warned = true {
			err := s.store.RecordOutbox(ctx, s.team, outs)
			if err == nil {
				break
			}
			if !warned {
				s.log.Warn("journalled deliveries not recorded yet; sending waits until they are", zap.Error(err))
			}
			if sleepCtx(ctx, time.Second) != nil {
				return
			}
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Error("outbox journal not removed", zap.String("path", path), zap.Error(err))
		}
		s.log.Info("journalled deliveries recorded", zap.Int("count", len(lines)))
	}
}

func readJournal(path string) ([]journalLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []journalLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l journalLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("line %d: %w", len(lines)+1, err)
		}
		lines = append(lines, l)
	}
	return lines, sc.Err()
}

// settleRetry caps the wait between tries of a record once the sender stops: the drain is short.
const settleRetry = 250 * time.Millisecond

// keepUnrecorded journals the deliveries the lanes could not record before the drain ended.
func (s *sender) keepUnrecorded(items []*item) {
	if len(items) == 0 {
		return
	}
	if s.journal.dir == "" {
		s.log.Error("delivered but not recorded at shutdown, and no journal: these may be posted again",
			zap.Int("count", len(items)))
		return
	}
	path, err := s.journal.write(items)
	if err != nil {
		s.log.Error("delivered but not recorded at shutdown, and the journal failed: these may be posted again",
			zap.Int("count", len(items)), zap.Error(err))
		return
	}
	s.log.Warn("delivered but not recorded at shutdown; journalled for the next start",
		zap.Int("count", len(items)), zap.String("path", path))
}
