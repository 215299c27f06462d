package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
)

// Deadlines of one envelope. Slack wants the ack within 3 s; the handler gets less, so a slow Redis
// still leaves time to ack with an apology.
const (
	handlerDeadline = 2 * time.Second
	ackDeadline     = 2500 * time.Millisecond
	afterDeadline   = 30 * time.Second
	seenTTL         = 24 * time.Hour
)

// Deduper remembers envelopes whose after-ack work has run, so a redelivery does not run it twice.
type Deduper interface {
	FirstAfterAck(ctx context.Context, team, id string, ttl time.Duration) (first bool, err error)
}

// acker is the part of the socketmode client that answers envelopes.
type acker interface {
	AckCtx(ctx context.Context, envelopeID string, payload any) error
}

// replier tells a person privately what went wrong with a button they clicked (an ephemeral
// message) or a global shortcut they used (a modal, on the shortcut's trigger).
type replier interface {
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
}

// dispatcher turns socketmode events into handler calls: one ack per envelope, within the deadline,
// whatever the handler does; panics recovered; after-ack work tracked so shutdown can drain it.
type dispatcher struct {
	log     *zap.Logger
	mux     *Mux
	ack     acker
	api     replier
	dedupe  Deduper
	team    string
	status  *connStatus
	bounds  *bounds
	metrics Metrics
	lag     func(now time.Time) time.Duration // how far the outbox is behind (sender.lag); nil: never
	wg      sync.WaitGroup
}

// handle reads one socketmode event. It never blocks on handler work: slack-go's Events channel must
// be drained promptly or its pings stop. An envelope that finds every place taken is acked here,
// inline: an ack is only queued for slack-go's writer, so this costs microseconds and no goroutine.
func (d *dispatcher) handle(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		d.log.Info("socket connecting")
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		d.status.set(true)
		if evt.Type == socketmode.EventTypeHello {
			d.log.Info("socket connected")
		}
	case socketmode.EventTypeConnectionError, socketmode.EventTypeDisconnect:
		d.status.set(false)
		d.log.Warn("socket disconnected", zap.String("event", string(evt.Type)))
	case socketmode.EventTypeInvalidAuth:
		d.status.set(false)
		d.log.Error("Slack refused the app token (invalid_auth)")
	case socketmode.EventTypeErrorBadMessage:
		d.ackUnparsed(ctx, evt)
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		d.log.Warn("socket error", zap.String("event", string(evt.Type)), zap.Error(eventError(evt)))
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		req, err := d.request(evt)
		if err != nil {
			d.log.Error("unreadable envelope", zap.Error(err))
			if evt.Request != nil {
				d.send(ctx, &Request{EnvelopeID: evt.Request.EnvelopeID, Type: string(evt.Type), received: time.Now()}, OutcomeUnreadable, nil)
			}
			return
		}
		d.dispatch(ctx, req)
	}
}

// dispatch routes one request and serves it on its own tracked goroutine, or acks it at once: as
// busy when MaxInFlight requests are already in flight, bare when nothing routes it. Both
// transports come through here; the caller must not be drained yet (see Bot.Run).
func (d *dispatcher) dispatch(ctx context.Context, req *Request) {
	h, route := d.mux.route(req)
	if h == nil {
		d.send(ctx, req, OutcomeNoRoute, nil)
		d.log.Debug("no route; acked", zap.String("envelope_id", req.EnvelopeID), zap.String("route", route))
		return
	}
	s := d.bounds.tryTake()
	if s == nil {
		d.refuse(ctx, req, route)
		return
	}
	d.admitted()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.serve(ctx, req, h, route, s)
	}()
}

// ackUnparsed acks an envelope slack-go could not decode, so Slack does not redeliver it forever.
// The raw message may hold a prospect's contact details: only its envelope_id is read, nothing logged.
func (d *dispatcher) ackUnparsed(ctx context.Context, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var head struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	_ = json.Unmarshal(bad.Message, &head)
	d.log.Warn("envelope slack-go cannot decode", zap.String("envelope_id", head.EnvelopeID),
		zap.String("type", head.Type), zap.Error(bad.Cause))
	if head.EnvelopeID != "" {
		d.send(ctx, &Request{EnvelopeID: head.EnvelopeID, Type: head.Type, received: time.Now()}, OutcomeUnreadable, nil)
	}
}

func (d *dispatcher) request(evt socketmode.Event) (*Request, error) {
	if evt.Request == nil {
		return nil, errors.New("event without a request")
	}
	r := &Request{EnvelopeID: evt.Request.EnvelopeID, Type: string(evt.Type), Team: d.team, received: time.Now()}
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		r.Command = data
	case slack.InteractionCallback:
		r.Interaction = data
	case slackevents.EventsAPIEvent:
		r.Event = data
		if cb, ok := data.Data.(*slackevents.EventsAPICallbackEvent); ok {
			r.EventID = cb.EventID
		}
	default:
		return nil, fmt.Errorf("envelope %s: unexpected data %T", r.EnvelopeID, evt.Data)
	}
	return r, nil
}

type result struct {
	ack any
	err error
}

// serve runs the handler on its own goroutine, acks exactly once, then runs the after-ack work.
// Nothing but the handler runs before the ack: a timer acks for a handler still running at
// ackDeadline, and the logger is built after the ack. s is the envelope's place in the bound; the
// handler's run and the ack (or the timer's) each give it back when done with it.
func (d *dispatcher) serve(ctx context.Context, r *Request, h Handler, route string, s *slot) {
	start := time.Now()
	hctx, cancel := context.WithTimeout(ctx, handlerDeadline)
	defer cancel()
	var acked atomic.Bool
	// The timer is counted in d.wg from here, while serve's goroutine surely is, so a drain waits
	// for a late ack under way; it is done when the timer ran or was stopped before it ran.
	d.wg.Add(1)
	late := time.AfterFunc(ackDeadline, func() {
		defer d.wg.Done()
		if !acked.CompareAndSwap(false, true) {
			return
		}
		defer s.release() // the ack's hold; the handler's is given back when it returns
		ack, _ := d.ackFor(r, errSlow, nil)
		d.send(ctx, r, OutcomeSlow, ack)
		logResult(d.logFor(r, route), errSlow, time.Since(start)) // its late result is dropped: its trigger and ack are gone
	})
	res := runHandler(hctx, h, r)
	won := acked.CompareAndSwap(false, true)
	if late.Stop() {
		d.wg.Done() // the timer will not run
	}
	s.release() // the handler's hold
	if !won {
		return
	}
	if res.err == nil {
		d.awaitOutbox(ctx, r)
	}
	ack, afterErr := d.ackFor(r, res.err, res.ack)
	d.send(ctx, r, outcome(res.err), ack)
	log := d.logFor(r, route)
	logResult(log, res.err, time.Since(start))
	if afterErr != nil {
		r.After(afterErr)
	}
	d.runAfter(ctx, r, log, s)
}

// runHandler calls h, turning a panic into an error.
func runHandler(ctx context.Context, h Handler, r *Request) (res result) {
	defer func() {
		if p := recover(); p != nil {
			res = result{err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
		}
	}()
	ack, err := h(ctx, r)
	return result{ack, err}
}

// logFor is the logger of one envelope's lines.
func (d *dispatcher) logFor(r *Request, route string) *zap.Logger {
	return d.log.With(zap.String("envelope_id", r.EnvelopeID), zap.String("route", route), zap.String("user", r.User()))
}

// errSlow answers for a handler still running at the ack's deadline: what it was doing may yet
// happen, so it is in doubt, not unavailable.
var errSlow = rapport.Errorf(rapport.EINDOUBT,
	"Rapport is slow to answer right now. If you were saving something, check your DMs for a confirmation in a minute; if none comes, please try again.")

// runAfter runs the after-ack work once per envelope (or event, for Slack's event retries). It
// waits for a place among the after-ack work while still holding the envelope's slot s, so work
// that cannot keep up slows the intake (busy acks) instead of piling up goroutines.
func (d *dispatcher) runAfter(ctx context.Context, r *Request, log *zap.Logger, s *slot) {
	if len(r.after) == 0 {
		s.release()
		return
	}
	err := d.bounds.after.Acquire(ctx, 1)
	s.release()
	if err != nil {
		log.Warn("after-ack work not run: shutting down", zap.Error(err))
		return
	}
	defer d.bounds.after.Release(1)
	id := r.EnvelopeID
	if r.EventID != "" {
		id = r.EventID
	}
	actx, cancel := context.WithTimeout(ctx, afterDeadline)
	defer cancel()
	if first, err := d.dedupe.FirstAfterAck(actx, r.Team, id, seenTTL); err != nil {
		log.Warn("dedupe check failed; running after-ack work anyway", zap.Error(err))
	} else if !first {
		log.Info("redelivered envelope; after-ack work already done")
		return
	}
	for _, f := range r.after {
		if err := runSafely(actx, f); err != nil {
			log.Error("after-ack work failed", zap.Error(err))
		}
	}
}

func runSafely(ctx context.Context, f func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return f(ctx)
}

// send acks an envelope, which became outcome (an Outcome…). The ack is queued in slack-go's
// writer; a full queue (during a reconnect) waits at most a second rather than forever. Every ack
// passes here, so Metrics hears of each one, as it is handed to the transport.
func (d *dispatcher) send(ctx context.Context, r *Request, outcome string, payload any) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := d.ack.AckCtx(actx, r.EnvelopeID, payload); err != nil {
		d.log.Error("ack not sent", zap.String("envelope_id", r.EnvelopeID), zap.Error(err))
		return
	}
	d.metrics.Acked(envelopeKind(r.Type), outcome, time.Since(r.received))
}

func logResult(log *zap.Logger, err error, took time.Duration) {
	dur := zap.Duration("took", took)
	switch outcome(err) {
	case OutcomeHandled:
		log.Info("handled", dur)
	case OutcomeFailed:
		log.Error("handler failed", dur, zap.Error(err))
	case OutcomeUnavailable:
		log.Warn("unavailable", dur, zap.Error(err))
	case OutcomeInDoubt:
		log.Warn("outcome unknown", dur, zap.Error(err))
	default:
		log.Info("refused", dur, zap.String("code", rapport.ErrorCode(err)))
	}
}

func eventError(evt socketmode.Event) error {
	if err, ok := evt.Data.(error); ok {
		return err
	}
	return fmt.Errorf("%s", evt.Type)
}
