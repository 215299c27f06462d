package bot

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
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
	outboxWorkers       = 8 // lanes: recipients served at once
	homeWorkers         = 2 // lanes of their own for Home publishes (Config.HomeKinds)
	// HomeEvery is the least time between two publishes of one member's App Home: the redraws
	// owed meanwhile become one, drawn from the state when it goes.
	HomeEvery = 2 * time.Second
	maxHeld   = 2048 // entries read and not finished, at most
	readBatch = 256
)

// OutboxStore is the durable queue of messages owed to Slack.
type OutboxStore interface {
	ReadOutbox(ctx context.Context, team, consumer string, count int, block time.Duration) ([]rapport.OutboxEntry, error)
	ClaimStale(ctx context.Context, team, consumer string, minIdle time.Duration, count int) ([]rapport.OutboxEntry, error)
	Delivered(ctx context.Context, team, id string) (bool, error)
	// RecordOutbox writes what became of entries for good (delivered and where, no longer owed,
	// dead-lettered) and removes them from the stream, in one round trip; writing it again is
	// harmless.
	RecordOutbox(ctx context.Context, team string, outs []rapport.OutboxOutcome) error
	// CountDelivery counts one more delivery of id, held by consumer, in the stream and returns
	// how many there were before it (0: consumer no longer holds it).
	CountDelivery(ctx context.Context, team, consumer, id string) (int, error)
	// TouchOutbox keeps ids claimed by consumer while they wait in the process, returning those
	// it no longer owns.
	TouchOutbox(ctx context.Context, team, consumer string, ids []string) (lost []string, err error)
}

// Delivery is what the sender does for one outbox entry, as the renderer drew it: post a message,
// or update one already posted (TS set), or publish a member's App Home (Home set), or upload a
// file to a conversation (File set; a user ID in Channel means the bot's DM with them), or
// complete a Workflow Builder step's run (Step set; Channel is the run's function_execution_id).
type Delivery struct {
	Channel string // a user ID (the bot's DM with them) or a channel ID
	TS      string // when set, chat.update this message instead of posting
	Text    string // mrkdwn: the notification text and the fallback; user text escaped
	Blocks  []slack.Block
	Slot    string                    // where the referral remembers this message, for later edits ("" = nowhere)
	Home    *slack.HomeTabViewRequest // when set, views.publish this as the Home tab of the user in Channel
	File    *Upload                   // when set, upload this file to Channel (a conversation ID) instead
	Step    *Completion               `json:",omitempty"` // when set, complete the step's run named in Channel instead
}

// Completion ends a Workflow Builder step's run: functions.completeSuccess with Outputs (the
// step's output parameters by name), or, when Error is set, functions.completeError with it (what
// the workflow's people read about why the step failed).
type Completion struct {
	Outputs map[string]string
	Error   string
}

// Upload is a file to share in a conversation, sent with Slack's upload flow (files.getUploadURLExternal,
// the upload, files.completeUploadExternal); the bot must be a member of the conversation.
type Upload struct {
	Filename, Title string
	Content         []byte
	Comment         string // mrkdwn posted with the file; "" none
}

// Renderer turns an outbox entry into the message it stands for, from the state stored now.
// ok false means the message is no longer owed (the referral moved on). An entry that can never be
// drawn is an *Undeliverable error; any other error is worth another try.
type Renderer interface {
	Render(ctx context.Context, team string, e rapport.OutboxEntry) (p Delivery, ok bool, err error)
}

// BatchRenderer is a Renderer that also draws a batch of entries from one read of the stored state,
// so that the messages one change owes cost one round trip to draw, not one each. The sender asks
// it for each batch of entries it reads new; it returns what it drew by entry ID (what Render
// would have returned), and leaves out what it could not draw from that read (a kind that reads
// anything else, or the read failed): Render draws those when they go.
type BatchRenderer interface {
	Renderer
	RenderBatch(ctx context.Context, team string, es []rapport.OutboxEntry) map[string]Drawn
}

// Drawn is an entry as a BatchRenderer drew it: Render's three results.
type Drawn struct {
	Delivery Delivery
	OK       bool
	Err      error
}

// Undeliverable is a renderer's verdict on an entry that can never be drawn: its kind is unknown,
// its fields unreadable, or what it is about does not exist. The sender dead-letters it with Reason
// and logs it as an error; it is never dropped silently.
type Undeliverable struct {
	Reason string // short and stable, e.g. "unknown_kind": the dead letter's reason
	Err    error
}

func (u *Undeliverable) Error() string { return "undeliverable (" + u.Reason + "): " + u.Err.Error() }

func (u *Undeliverable) Unwrap() error { return u.Err }

// poster is the part of the Slack Web API the sender uses.
type poster interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
	FunctionCompleteSuccessContext(ctx context.Context, functionExecutionID string, options ...slack.FunctionCompleteSuccessRequestOption) error
	FunctionCompleteErrorContext(ctx context.Context, functionExecutionID, errorMessage string) error
	AuthTestContext(ctx context.Context) (*slack.AuthTestResponse, error)
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
}

// methodError is a failure of a call a delivery makes before its own method's (conversations.open
// before an upload), so that a refused scope pauses, and is reported as, the method that needs it.
type methodError struct {
	method string
	err    error
}

func (e *methodError) Error() string { return e.method + ": " + e.err.Error() }

func (e *methodError) Unwrap() error { return e.err }

// isUserID tells a member's ID (U…, or W… on Enterprise Grid) from a conversation's.
func isUserID(id string) bool { return strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") }

// sender delivers the outbox: at least once from Redis's side, and once to Slack because an entry
// leaves the stream only in the step that records Slack's ok (or its dead letter), and an entry no
// longer in the stream is never posted again. Only a crash
// inside the very call that posted can double a message (chat.postMessage has no idempotency key).
//
// One reader fills the lanes (workers, by recipient) from the stream and keeps what they hold
// claimed; a lane never sleeps on a rate limit or a retry, it serves other recipients meanwhile.
type sender struct {
	log      *zap.Logger
	store    OutboxStore
	render   Renderer
	api      poster
	team     string
	consumer string
	reclaim  time.Duration // idle time after which another consumer's entry is taken over
	pacer    Pacer         // shares 429 pauses (and pacing) with other replicas; nil: none
	paced    bool          // take a slot of Slack's rate before every call (Config.RateLimits)
	workers  int
	now      func() time.Time
	// homeKinds are the kinds that publish a member's Home: they go to the last homeLanes lanes,
	// which coalesce (coalesce.go), never to a DM's lane. None: every kind shares the lanes.
	homeKinds  map[string]bool
	homeLanes  int
	homeRecent recentHomes // members whose Home this sender published within HomeEvery

	held      *held
	rec       *recorder
	pauses    pauses
	faults    *faults                                  // a refused token or method: sending paused
	retryBase time.Duration                            // the backoff's unit after a transient failure
	onFault   func(ctx context.Context, f Fault) error // tells admins of a fault they can mend; nil: nobody
	journal   journal                                  // deliveries not recorded at shutdown; dir "": none
	lease     atomic.Int64                             // UnixNano until which held entries are surely this sender's
	lastOK    atomic.Int64                             // UnixNano of the last delivery Slack accepted (transient)
	dmLanes   atomic.Pointer[[]*lane]                  // the lanes of DMs while run runs, for lag
	metrics   Metrics                                  // hears of dead letters and nudges, once each is recorded
}

// run delivers until stop is done, after recording what an earlier process journalled. Deliveries
// under way then get drainDeadline to finish on work, and Slack's oks to be recorded; anything not
// delivered stays pending in the stream for a restart or another replica, and a delivery Redis
// still does not record is journalled.
func (s *sender) run(stop, work context.Context) error {
	work, cancelWork := context.WithCancel(work)
	defer cancelWork()
	s.replay(stop)
	s.rec = newRecorder(s)
	lanes := newLanes(s, s.workers+s.homeLanes)
	for _, l := range lanes[s.workers:] {
		l.coalesce = true
	}
	s.rec.lanes = lanes
	dm := lanes[:s.workers]
	s.dmLanes.Store(&dm)
	defer s.dmLanes.Store(nil)
	var recDone sync.WaitGroup
	recDone.Go(func() { s.rec.run(stop, work) })
	var authDone sync.WaitGroup
	authDone.Go(func() { s.watchAuth(stop) })
	defer authDone.Wait()
	var lanesDone sync.WaitGroup
	for _, l := range lanes {
		lanesDone.Go(func() { l.run(stop, work) })
	}
	drained := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		select {
		case <-drained:
		case <-stop.Done():
			t := time.NewTimer(drainDeadline)
			defer t.Stop()
			select {
			case <-drained:
			case <-t.C:
				cancelWork()
			}
		}
	})
	s.read(stop, work, lanes)
	lanesDone.Wait() // the lanes end on stop too, once their deliveries under way are done
	recDone.Wait()
	s.keepUnrecorded(s.rec.drain(work)) // what Slack accepted is recorded until work ends
	close(drained)
	watch.Wait()
	return nil
}
func (s *sender) deliver(ctx context.Context, p Delivery) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, slackTimeout)
	defer cancel()
	if p.Home != nil {
		_, err := s.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: p.Channel, View: *p.Home})
		return p.Channel, "", err
	}
	if p.File != nil { // no ts to record: the entry's removal alone stops a redelivery uploading it again
		channel := p.Channel
		if isUserID(channel) { // uploads are shared to a conversation, not to a user
			c, _, _, err := s.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}})
			if err != nil {
				return "", "", &methodError{method: "conversations.open", err: err}
			}
			channel = c.ID
		}
		_, err := s.api.UploadFileContext(ctx, slack.UploadFileParameters{Channel: channel, Filename: p.File.Filename,
			Title: p.File.Title, InitialComment: p.File.Comment, FileSize: len(p.File.Content), Content: string(p.File.Content)})
		return channel, "", err
	}
	if c := p.Step; c != nil { // no ts either: the entry's removal alone stops a second completion
		if c.Error != "" {
			return p.Channel, "", s.api.FunctionCompleteErrorContext(ctx, p.Channel, c.Error)
		}
		return p.Channel, "", s.api.FunctionCompleteSuccessContext(ctx, p.Channel, slack.FunctionCompleteSuccessRequestOptionOutput(c.Outputs))
	}
	opts := []slack.MsgOption{slack.MsgOptionText(p.Text, false), slack.MsgOptionParse(false)}
	if len(p.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(p.Blocks...))
	}
	if p.TS != "" {
		channel, ts, _, err := s.api.UpdateMessageContext(ctx, p.Channel, p.TS, opts...)
		return channel, ts, err
	}
	return s.api.PostMessageContext(ctx, p.Channel, opts...)
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
