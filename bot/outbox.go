package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// Outbox timings (DESIGN.md): a blocked read wakes at least every 2 s to notice shutdown; an entry a
// crashed replica left unacked for DefaultReclaimAfter is taken over.
const (
	DefaultReclaimAfter = 30 * time.Second
	readBlock           = 2 * time.Second
	slackTimeout        = 10 * time.Second
	maxAttempts         = 5
)

// OutboxStore is the durable queue of messages owed to Slack.
type OutboxStore interface {
	ReadOutbox(ctx context.Context, team, consumer string, count int, block time.Duration) ([]rapport.OutboxEntry, error)
	ClaimStale(ctx context.Context, team, consumer string, minIdle time.Duration, count int) ([]rapport.OutboxEntry, error)
	Delivered(ctx context.Context, team, id string) (bool, error)
	MarkDelivered(ctx context.Context, team string, e rapport.OutboxEntry, slot, channel, ts string) error
	DeadLetter(ctx context.Context, team string, e rapport.OutboxEntry, reason string) error
}

// Post is a rendered message: a new post, or an edit of one already posted when TS is set.
type Post struct {
	Channel string // a user ID (the bot's DM with them) or a channel ID
	TS      string // when set, chat.update this message instead of posting
	Text    string // mrkdwn: the notification text and the fallback; user text escaped
	Blocks  []slack.Block
	Slot    string // where the referral remembers this message, for later edits ("" = nowhere)
}

// Renderer turns an outbox entry into the message it stands for, from the state stored now.
// ok false means the message is no longer owed (the referral moved on).
type Renderer interface {
	Render(ctx context.Context, team string, e rapport.OutboxEntry) (p Post, ok bool, err error)
}

// poster is the part of the Slack Web API the sender uses.
type poster interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
}

// sender delivers the outbox: at least once from Redis's side, and once to Slack because a
// per-entry key written right after Slack's ok stops a redelivery from posting again. Only a crash
// inside the very call that posted can double a message (chat.postMessage has no idempotency key).
type sender struct {
	log      *zap.Logger
	store    OutboxStore
	render   Renderer
	api      poster
	team     string
	consumer string
	reclaim  time.Duration // idle time after which another consumer's entry is taken over
	sleep    func(ctx context.Context, d time.Duration) error
}

// run delivers until stop is done; work bounds the Slack and Redis calls, so a delivery under way
// when shutdown starts may finish.
func (s *sender) run(stop, work context.Context) error {
	var lastClaim time.Time
	for stop.Err() == nil {
		if time.Since(lastClaim) >= s.reclaim/3 {
			lastClaim = time.Now()
			stale, err := s.store.ClaimStale(work, s.team, s.consumer, s.reclaim, 16)
			if err != nil {
				s.log.Warn("outbox claim failed", zap.Error(err))
			}
			s.deliverAll(stop, work, stale)
		}
		entries, err := s.store.ReadOutbox(stop, s.team, s.consumer, 16, readBlock)
		if err != nil {
			if stop.Err() != nil {
				break
			}
			s.log.Warn("outbox read failed", zap.Error(err))
			_ = s.sleep(stop, time.Second)
			continue
		}
		s.deliverAll(stop, work, entries)
	}
	return nil
}

func (s *sender) deliverAll(stop, work context.Context, entries []rapport.OutboxEntry) {
	for _, e := range entries {
		if stop.Err() != nil {
			return // left pending: another replica, or this one after restart, reclaims it
		}
		s.deliver(work, e)
	}
}

func (s *sender) deliver(ctx context.Context, e rapport.OutboxEntry) {
	log := s.log.With(zap.String("entry", e.ID), zap.String("kind", e.Kind), zap.Int64("referral", e.Ref))
	if done, err := s.store.Delivered(ctx, s.team, e.ID); err != nil {
		log.Warn("outbox check failed; will retry", zap.Error(err))
		return
	} else if done {
		s.settle(ctx, log, e, Post{}, "", "")
		return
	}
	post, ok, err := s.render.Render(ctx, s.team, e)
	switch {
	case rapport.ErrorCode(err) == rapport.ENOTFOUND:
		s.dead(ctx, log, e, "not_found")
		return
	case err != nil:
		log.Warn("render failed; will retry", zap.Error(err))
		return
	case !ok:
		s.settle(ctx, log, e, Post{}, "", "")
		return
	}
	for attempt := 1; ; attempt++ {
		channel, ts, err := s.post(ctx, post)
		if err == nil {
			s.settle(ctx, log, e, post, channel, ts)
			return
		}
		wait, transient := retryable(err)
		if !transient {
			s.dead(ctx, log, e, slackCode(err))
			return
		}
		if attempt >= maxAttempts {
			log.Warn("delivery failed; left for reclaim", zap.Error(err))
			return
		}
		if wait == 0 {
			wait = time.Duration(attempt*attempt) * 200 * time.Millisecond
		}
		log.Info("delivery delayed", zap.Duration("retry_in", wait), zap.Error(err))
		if s.sleep(ctx, wait) != nil {
			return
		}
	}
}

func (s *sender) post(ctx context.Context, p Post) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, slackTimeout)
	defer cancel()
	opts := []slack.MsgOption{slack.MsgOptionText(p.Text, false)}
	if len(p.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(p.Blocks...))
	}
	if p.TS != "" {
		channel, ts, _, err := s.api.UpdateMessageContext(ctx, p.Channel, p.TS, opts...)
		return channel, ts, err
	}
	return s.api.PostMessageContext(ctx, p.Channel, opts...)
}

// settle records the delivery; if Redis fails here the entry is redelivered and, without the sent
// key, posted again: the one window in which a message can double.
func (s *sender) settle(ctx context.Context, log *zap.Logger, e rapport.OutboxEntry, p Post, channel, ts string) {
	if err := s.store.MarkDelivered(ctx, s.team, e, p.Slot, channel, ts); err != nil {
		log.Error("delivered but not recorded", zap.Error(err))
		return
	}
	if channel != "" {
		log.Info("delivered")
	}
}

func (s *sender) dead(ctx context.Context, log *zap.Logger, e rapport.OutboxEntry, reason string) {
	if err := s.store.DeadLetter(ctx, s.team, e, reason); err != nil {
		log.Error("dead-letter failed", zap.Error(err))
		return
	}
	log.Warn("message dead-lettered", zap.String("reason", reason))
}

// retryable sorts a Slack failure: rate limits and transport trouble are worth another try (with the
// wait Slack asked for, if any); anything Slack refused outright is not.
func retryable(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return 0, sc.Code == 429 || sc.Code >= 500
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return 0, true
		}
		return 0, false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return 0, true
	}
	return 0, true // unknown: retry, then leave it for reclaim rather than lose it
}

func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return fmt.Sprintf("%T", err)
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
