package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// maxAckBytes is Slack's limit on an ack frame: larger ones are silently dropped.
const maxAckBytes = 20 * 1024

// Envelope is one Socket Mode delivery. Set ID to redeliver an envelope under the same id, as
// Slack does after a missed ack or a reconnect.
type Envelope struct {
	ID                     string
	Type                   string // "slash_commands", "interactive" or "events_api"
	Payload                any    // marshalled to JSON
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
}

// Ack is an acknowledgement read from a socket.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the ack carried none
	At         time.Time
	// Refused is the error Slack would meet the ack's response with (invalid_blocks, msg_too_long,
	// invalid_arguments for a view) instead of showing it; Problems are its details. Send and
	// SendRaw return the ack with an error then.
	Refused  string
	Problems []string
	// Sent is when the envelope's frame began to be written, so At.Sub(Sent) is the time Slack
	// would have waited. Set on the acks Send, SendEnvelope, SendRaw and SendBurst return.
	Sent time.Time
}

// Send delivers payload in a new envelope to one socket (round robin over open ones, waiting for
// one if none is open) and returns the ack for it. accepts_response_payload is set as Slack sets
// it: true for slash commands and view submissions.
func (s *Server) Send(ctx context.Context, typ string, payload any) (Ack, error) {
	p, err := PrepareSend(typ, payload)
	if err != nil {
		return Ack{}, err
	}
	return s.SendPrepared(ctx, p)
}

// SendEnvelope delivers env as given (an empty ID gets a fresh one) and returns its next ack.
func (s *Server) SendEnvelope(ctx context.Context, env Envelope) (Ack, error) {
	p, err := Prepare(env)
	if err != nil {
		return Ack{}, err
	}
	return s.SendPrepared(ctx, p)
}

// Prepared is an envelope marshalled ahead of its sending, for a load test whose senders must not
// spend their time (and the machine's) building payloads while the bot is measured.
type Prepared struct {
	ID    string
	frame []byte
}

// Prepare marshals env (an empty ID gets a fresh one) as Socket Mode writes it. Its payload's
// trigger_id, if any, expires 3 s after the payload was built, as Slack's does.
func Prepare(env Envelope) (Prepared, error) {
	if env.ID == "" {
		env.ID = newEnvelopeID()
	}
	b, err := envelopeFrame(env)
	return Prepared{ID: env.ID, frame: b}, err
}

// PrepareSend is Prepare of what Send would send: payload in a new envelope of type typ.
func PrepareSend(typ string, payload any) (Prepared, error) {
	return Prepare(Envelope{Type: typ, Payload: payload, AcceptsResponsePayload: acceptsResponse(typ, payload)})
}

// SendPrepared delivers p as SendEnvelope would and returns its next ack.
func (s *Server) SendPrepared(ctx context.Context, p Prepared) (Ack, error) {
	return s.SendRaw(ctx, p.ID, p.frame)
}

// envelopeFrame is env as Socket Mode writes it. The payload is marshalled once and spliced in:
// marshalling it inside the frame would check and compact it again.
func envelopeFrame(env Envelope) ([]byte, error) {
	payload, err := json.Marshal(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("slackfake: marshal payload: %w", err)
	}
	frame := struct {
		EnvelopeID             string  `json:"envelope_id"`
		Type                   string  `json:"type"`
		AcceptsResponsePayload bool    `json:"accepts_response_payload"`
		RetryAttempt           *int    `json:"retry_attempt,omitempty"`
		RetryReason            *string `json:"retry_reason,omitempty"`
	}{EnvelopeID: env.ID, Type: env.Type, AcceptsResponsePayload: env.AcceptsResponsePayload}
	// Events always carry the retry fields; other envelopes only on redelivery.
	if env.Type == "events_api" || env.RetryAttempt > 0 || env.RetryReason != "" {
		frame.RetryAttempt, frame.RetryReason = &env.RetryAttempt, &env.RetryReason
	}
	b, err := json.Marshal(frame)
	if err != nil {
		return nil, fmt.Errorf("slackfake: marshal envelope: %w", err)
	}
	b = append(b[:len(b)-1], `,"payload":`...)
	return append(append(b, payload...), '}'), nil
}

// SendRaw writes frame as it is (for example one slack-go cannot decode) to one socket and waits
// for an ack naming envelopeID.
func (s *Server) SendRaw(ctx context.Context, envelopeID string, frame []byte) (Ack, error) {
	got := s.await(envelopeID)
	defer s.unawait(envelopeID, got)
	sent, err := s.write(ctx, envelopeID, frame)
	if err != nil {
		return Ack{}, err
	}
	select {
	case a := <-got:
		a.Sent = sent
		if a.Refused != "" {
			return a, fmt.Errorf("slackfake: Slack refuses the ack of %s: %s %v", envelopeID, a.Refused, a.Problems)
		}
		return a, nil
	case <-ctx.Done():
		return Ack{}, fmt.Errorf("slackfake: no ack for %s: %w", envelopeID, ctx.Err())
	}
}

// await registers for the next ack of envelopeID; unawait forgets the registration.
func (s *Server) await(envelopeID string) chan Ack {
	got := make(chan Ack, 1)
	s.mu.Lock()
	s.waiters[envelopeID] = append(s.waiters[envelopeID], got)
	s.mu.Unlock()
	return got
}

func (s *Server) unawait(envelopeID string, got chan Ack) {
	s.mu.Lock()
	s.waiters[envelopeID] = slices.DeleteFunc(s.waiters[envelopeID], func(c chan Ack) bool { return c == got })
	if len(s.waiters[envelopeID]) == 0 {
		delete(s.waiters, envelopeID)
	}
	s.mu.Unlock()
}

// write puts frame on one open socket, waiting for one if none is open, and returns when it
// began writing it.
func (s *Server) write(ctx context.Context, envelopeID string, frame []byte) (time.Time, error) {
	if ts := s.nextTargets(); ts != nil {
		return s.post(ts, envelopeID, frame)
	}
	for {
		if err := s.WaitConnections(ctx, 1); err != nil {
			return time.Time{}, fmt.Errorf("slackfake: send %s: no socket: %w", envelopeID, err)
		}
		c := s.nextSocket()
		if c == nil {
			continue
		}
		sent := time.Now()
		if err := c.write(frame); err != nil {
			s.drop(c)
			continue
		}
		return sent, nil
	}
}

// nextSocket picks open sockets in turn, as Slack spreads envelopes over an app's connections.
func (s *Server) nextSocket() *socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int
	for id, c := range s.conns {
		if !c.retired {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	s.rr++
	return s.conns[ids[s.rr%len(ids)]]
}

// readAcks records every ack on c until the socket fails.
func (s *Server) readAcks(c *socket) {
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if len(data) >= maxAckBytes {
			continue
		}
		var raw struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &raw) != nil || raw.EnvelopeID == "" {
			continue
		}
		s.recordAck(raw.EnvelopeID, raw.Payload)
	}
}

// recordAck records the ack of envelopeID, from a socket or an HTTP response, and hands it to
// whoever waits for it.
func (s *Server) recordAck(envelopeID string, payload json.RawMessage) {
	a := Ack{EnvelopeID: envelopeID, At: time.Now()}
	if len(payload) > 0 && string(payload) != "null" {
		a.Payload = payload
		a.Refused, a.Problems = ackProblems(payload)
	}
	s.record(a)
}

// record keeps a and hands it to whoever waits for its envelope.
func (s *Server) record(a Ack) {
	s.mu.Lock()
	s.acks[a.EnvelopeID] = append(s.acks[a.EnvelopeID], a)
	s.ackTotal++
	for _, w := range s.waiters[a.EnvelopeID] {
		select {
		case w <- a:
		default:
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
}

// AckCount is how many acks arrived for envelopeID, to assert exactly-once acknowledgement.
func (s *Server) AckCount(envelopeID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acks[envelopeID])
}

// AckTotal is how many acks arrived in all, for a test waiting on a burst without a goroutine per
// envelope.
func (s *Server) AckTotal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ackTotal
}

// Acks returns every ack received for envelopeID, oldest first.
func (s *Server) Acks(envelopeID string) []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks[envelopeID]...)
}

// ackProblems checks an ack's response as Slack would before showing it: a slash command's reply
// as a message, a view submission's update or push as a modal.
func ackProblems(payload json.RawMessage) (string, []string) {
	var p struct {
		ResponseAction string          `json:"response_action"`
		View           map[string]any  `json:"view"`
		Text           string          `json:"text"`
		Blocks         json.RawMessage `json:"blocks"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return "", nil
	}
	if p.ResponseAction == "update" || p.ResponseAction == "push" {
		extra, code := validateView(p.View, "modal")
		if code == "" {
			return "", nil
		}
		msgs, _ := extra["response_metadata"].(map[string]any)["messages"].([]string)
		return code, msgs
	}
	return MessageProblems(p.Text, p.Blocks)
}

func acceptsResponse(typ string, payload any) bool {
	switch typ {
	case "slash_commands":
		return true
	case "interactive":
		if m, ok := payload.(map[string]any); ok { // what the builders return: no need to marshal it
			t, _ := m["type"].(string)
			return t == "view_submission"
		}
		b, _ := json.Marshal(payload)
		var p struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(b, &p)
		return p.Type == "view_submission"
	}
	return false
}

// newEnvelopeID returns a UUID-shaped id like Slack's.
func newEnvelopeID() string {
	h := randHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
