package slackfake

import (
	"context"
	"fmt"
	"time"
)

// Burst is a batch of envelopes written back to back, as Slack delivers a spike of traffic.
type Burst struct {
	s    *Server
	envs []Envelope
	sent []time.Time
	got  []chan Ack
}

// SendBurst writes every envelope (an empty ID gets a fresh one) to the open sockets in turn, as
// fast as they take them, without waiting for acks: one goroutine sends any number, so a test can
// send 10,000 under the race detector's goroutine limit. Call Wait once to collect the acks.
func (s *Server) SendBurst(ctx context.Context, envs []Envelope) (*Burst, error) {
	b := &Burst{s: s, envs: make([]Envelope, len(envs)), sent: make([]time.Time, len(envs)),
		got: make([]chan Ack, len(envs))}
	frames := make([][]byte, len(envs))
	for i, env := range envs {
		if env.ID == "" {
			env.ID = newEnvelopeID()
		}
		f, err := envelopeFrame(env)
		if err != nil {
			return nil, err
		}
		b.envs[i], frames[i] = env, f
	}
	for i, env := range b.envs {
		b.got[i] = s.await(env.ID)
	}
	for i, env := range b.envs {
		sent, err := s.write(ctx, env.ID, frames[i])
		if err != nil {
			b.forget()
			return nil, err
		}
		b.sent[i] = sent
	}
	return b, nil
}

// Envelopes are the envelopes sent, with their IDs, in the order sent.
func (b *Burst) Envelopes() []Envelope { return b.envs }

// Wait returns the first ack of every envelope, in the order sent, with Sent set.
func (b *Burst) Wait(ctx context.Context) ([]Ack, error) {
	defer b.forget()
	acks := make([]Ack, len(b.envs))
	for i, got := range b.got {
		select {
		case a := <-got:
			a.Sent = b.sent[i]
			acks[i] = a
		case <-ctx.Done():
			return nil, fmt.Errorf("slackfake: no ack for %s: %w", b.envs[i].ID, ctx.Err())
		}
	}
	return acks, nil
}

func (b *Burst) forget() {
	for i, env := range b.envs {
		b.s.unawait(env.ID, b.got[i])
	}
}
