package bot

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/deploy"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"
)

// HTTP mode: Slack POSTs each request to one of three endpoints, signed with the app's signing
// secret, and shows the person whatever the response carries. The request goes through the same
// dispatcher as a Socket Mode envelope; its ack, instead of a frame on the socket, is the response.
const (
	PathEvents        = deploy.PathEvents
	PathInteractivity = deploy.PathInteractivity
	PathCommands      = deploy.PathCommands

	// maxRequestBody bounds what is read of a request before its signature is checked. Slack's
	// largest payloads (a block action from a full App Home) are tens of kilobytes.
	maxRequestBody = 1 << 20
	// responseWait is how long a request waits for its ack: the dispatcher acks by ackDeadline
	// whatever the handler does, so this only bounds a bug.
	responseWait = ackDeadline + 400*time.Millisecond
)

// httpAcks hands each request's ack to the request waiting for it. Every request has an envelope ID
// of its own (Slack's HTTP requests carry none), under which its response waits.
type httpAcks struct {
	mu      sync.Mutex
	waiting map[string]chan any
}

func newHTTPAcks() *httpAcks { return &httpAcks{waiting: map[string]chan any{}} }

func (a *httpAcks) await(envelopeID string) chan any {
	ch := make(chan any, 1)
	a.mu.Lock()
	a.waiting[envelopeID] = ch
	a.mu.Unlock()
	return ch
}

func (a *httpAcks) forget(envelopeID string) {
	a.mu.Lock()
	delete(a.waiting, envelopeID)
	a.mu.Unlock()
}

// AckCtx answers the request waiting under envelopeID. The first ack wins; there is no second.
func (a *httpAcks) AckCtx(_ context.Context, envelopeID string, payload any) error {
	a.mu.Lock()
	ch := a.waiting[envelopeID]
	delete(a.waiting, envelopeID)
	a.mu.Unlock()
	if ch == nil {
		return errors.New("no request is waiting for this ack (it was answered already or gave up)")
	}
	ch <- payload
	return nil
}

// slackEndpoint serves one of the three endpoints. A request whose signature does not check gets
// 401 and nothing else happens; one that checks goes to its workspace's Bot and is answered with
// its ack, within Slack's 3 s.
func (g *Gateway) slackEndpoint(typ string) http.HandlerFunc {
	log := g.log
	return func(w http.ResponseWriter, r *http.Request) {
		received := time.Now()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			log.Warn("request refused: body too large", zap.String("path", r.URL.Path), zap.Int64("limit", tooLarge.Limit))
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			log.Warn("request refused: body unreadable", zap.String("path", r.URL.Path), zap.Error(err))
			http.Error(w, "request body unreadable", http.StatusBadRequest)
			return
		}
		if err := verifySignature(r.Header, body, g.cfg.SigningSecret); err != nil {
			log.Warn("request refused: not signed by Slack", zap.String("path", r.URL.Path), zap.Error(err))
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		req, answer, err := parseHTTP(typ, r, body, received)
		switch {
		case err != nil:
			log.Warn("request refused: unreadable payload", zap.String("path", r.URL.Path), zap.Error(err))
			http.Error(w, "unreadable payload", http.StatusBadRequest)
			return
		case req == nil: // Slack's URL checks: answered here, nothing to route
			writeJSON(w, answer)
			return
		}
		req.Team = req.payloadTeam()
		b := g.bot(req.Team)
		if b == nil {
			switch installed, err := g.installed(r.Context(), req.Team); {
			case err != nil:
				// Not known to be uninstalled: never a bare 200, which would close a form as saved.
				log.Warn("request for a workspace not served here, whose installation could not be read",
					zap.String("type", typ), zap.String("payload_team", req.Team), zap.Error(err))
			case !installed:
				// A workspace Rapport is not installed in (never, or uninstalled): acked, so Slack
				// does not retry it, and left alone.
				log.Warn("request for a workspace not served here; acked and ignored", zap.String("type", typ),
					zap.String("payload_team", req.Team))
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
			// Slack retries an event it saw no answer to; the event's ID keeps its after-ack
			// work from running twice (dispatcher.runAfter).
			log.Info("Slack retried a request", zap.String("envelope_id", req.EnvelopeID),
				zap.String("retry_num", n), zap.String("retry_reason", r.Header.Get("X-Slack-Retry-Reason")))
		}
		got, why := (chan any)(nil), whyStarting // installed, and not yet served here
		if b != nil {
			got, why = b.intake(req)
		}
		if why != "" {
			unavailable(w, req, why)
			return
		}
		t := time.NewTimer(responseWait)
		defer t.Stop()
		select {
		case ack := <-got:
			if _, again := ack.(sendAgain); again {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			writeJSON(w, ack)
		case <-t.C:
			b.httpAcks.forget(req.EnvelopeID)
			log.Error("no ack in time; answered bare", zap.String("envelope_id", req.EnvelopeID))
			w.WriteHeader(http.StatusOK)
		}
	}
}

// sendAgain is the ack of an event refused while busy in HTTP mode: answered 503, so that Slack
// sends it again.
type sendAgain struct{}

// Why a workspace's bot takes no request now (Bot.intake), and what its person is told then.
const (
	whyStarting = "starting"      // installed and starting here, or not yet seen here
	whyStopping = "shutting down" // SIGTERM, or an uninstall
)

var (
	errStarting = rapport.Errorf(rapport.EUNAVAILABLE, "Rapport is still starting up in this workspace, so nothing was done. Try again in a few seconds.")
	errStopping = rapport.Errorf(rapport.EUNAVAILABLE, "Rapport is restarting, so nothing was done. Try again in a few seconds.")
)

// unavailable answers a request its workspace's bot cannot take now. A command or a submitted form
// is answered with what happened and what to do (the form stays filled in under the notice);
// anything else gets 503, so Slack shows the person an error and sends an event again (to another
// replica, or later).
func unavailable(w http.ResponseWriter, req *Request, why string) {
	err := errStarting
	if why == whyStopping {
		err = errStopping
	}
	if ack, ok := ackNotice(req, err); ok {
		writeJSON(w, ack)
		return
	}
	http.Error(w, why, http.StatusServiceUnavailable)
}

// installed asks GatewayConfig.Installed whether team, which no Bot here serves, is installed.
func (g *Gateway) installed(ctx context.Context, team string) (bool, error) {
	if g.cfg.Installed == nil || team == "" {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, installedWait)
	defer cancel()
	return g.cfg.Installed(ctx, team)
}

// installedWait bounds GatewayConfig.Installed, which runs before the ack.
const installedWait = 500 * time.Millisecond

// verifySignature checks Slack's v0 signature (HMAC-SHA256 over "v0:timestamp:body", compared in
// constant time) and refuses a timestamp more than 5 minutes from now, with slack-go's verifier.
func verifySignature(h http.Header, body []byte, secret string) error {
	sv, err := slack.NewSecretsVerifier(h, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

// parseHTTP reads a verified request into what the dispatcher routes. A request Slack sends to
// check the endpoint (url_verification, ssl_check) comes back as nil with its answer.
func parseHTTP(typ string, r *http.Request, body []byte, received time.Time) (*Request, any, error) {
	req := &Request{EnvelopeID: newRequestID(), Type: typ, received: received}
	switch typ {
	case "slash_commands":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, err
		}
		if form.Get("ssl_check") == "1" {
			return nil, nil, nil
		}
		// slack-go's parser reads the form from the request; it gets the body already read.
		fr := r.Clone(r.Context())
		fr.Body, fr.Form, fr.PostForm = io.NopCloser(bytes.NewReader(body)), nil, nil
		if req.Command, err = slack.SlashCommandParse(fr); err != nil {
			return nil, nil, err
		}
	case "interactive":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal([]byte(form.Get("payload")), &req.Interaction); err != nil {
			return nil, nil, fmt.Errorf("interactivity payload: %w", err)
		}
	case "events_api":
		ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		if err != nil {
			return nil, nil, err
		}
		switch data := ev.Data.(type) {
		case *slackevents.EventsAPIURLVerificationEvent:
			return nil, map[string]string{"challenge": data.Challenge}, nil
		case *slackevents.EventsAPICallbackEvent:
			req.EventID = data.EventID
		}
		req.Event = ev
	}
	return req, nil, nil
}

// payloadTeam is the workspace a request says it comes from ("" when it does not say).
func (r *Request) payloadTeam() string {
	switch r.Type {
	case "slash_commands":
		return r.Command.TeamID
	case "interactive":
		return r.Interaction.Team.ID
	case "events_api":
		return r.Event.TeamID
	}
	return ""
}

// writeJSON writes an ack as Slack reads a response: JSON, or an empty 200 for a bare ack.
func writeJSON(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "ack not encodable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// newRequestID names one HTTP request in logs and acks, as an envelope_id names an envelope.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "h-" + hex.EncodeToString(b[:])
}
