package slackfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rapportbot/rapport/deploy"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// SigningSecret signs the fake's requests to an app in HTTP mode (SLACK_SIGNING_SECRET).
const SigningSecret = "fake-signing-secret"

// httpTimeout is how long Slack waits for an app's response before it gives up (and, for an
// event, retries it later).
const httpTimeout = 3 * time.Second

// target is an app in HTTP mode: its endpoints' base URL and the secret the fake signs with.
type target struct {
	base, secret string
}

// DeliverOverHTTP makes the fake deliver every envelope from now on as Slack does to an app in
// HTTP mode, instead of over a socket: a signed POST to base+"/slack/commands" (the command's
// form), "/slack/interactivity" (a form with the payload's JSON in payload) or "/slack/events" (the
// event's JSON), whose response is the ack. An event's retry carries X-Slack-Retry-Num and
// X-Slack-Retry-Reason. Send, SendEnvelope, SendRaw and SendBurst work unchanged; an answer that
// is not 200 comes back as an ack Refused "http_<status>".
//
// Called again with another base, it adds a replica behind the same URL: requests go to each in
// turn, and one that refuses the connection (stopped) is skipped, as a load balancer does.
func (s *Server) DeliverOverHTTP(base, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets = append(s.targets, target{base: base, secret: secret})
}

// nextTargets are the HTTP targets in the order the next request tries them; none in Socket Mode.
func (s *Server) nextTargets() []target {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.targets) == 0 {
		return nil
	}
	s.rr++
	i := s.rr % len(s.targets)
	return append(append([]target(nil), s.targets[i:]...), s.targets[:i]...)
}

// Sign is Slack's v0 signature of body sent at ts: X-Slack-Signature's value.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts.Unix())
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest is a POST of body to url as Slack sends it, signed with secret at ts.
func SignedRequest(ctx context.Context, url, contentType string, body []byte, secret string, ts time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	return req, nil
}

// HTTPBody is what Slack POSTs in HTTP mode for an envelope's frame (as Prepare builds it): the
// path under the app's base URL, the content type and the body.
func HTTPBody(frame []byte) (path, contentType string, body []byte, retry int, reason string, err error) {
	var env struct {
		Type         string          `json:"type"`
		Payload      json.RawMessage `json:"payload"`
		RetryAttempt int             `json:"retry_attempt"`
		RetryReason  string          `json:"retry_reason"`
	}
	if err := json.Unmarshal(frame, &env); err != nil {
		return "", "", nil, 0, "", fmt.Errorf("slackfake: frame: %w", err)
	}
	const form = "application/x-www-form-urlencoded"
	switch env.Type {
	case "slash_commands":
		var fields map[string]any
		if err := json.Unmarshal(env.Payload, &fields); err != nil {
			return "", "", nil, 0, "", fmt.Errorf("slackfake: command payload: %w", err)
		}
		v := url.Values{}
		for k, f := range fields {
			v.Set(k, fmt.Sprint(f))
		}
		return deploy.PathCommands, form, []byte(v.Encode()), 0, "", nil
	case "interactive":
		return deploy.PathInteractivity, form, []byte(url.Values{"payload": {string(env.Payload)}}.Encode()), 0, "", nil
	case "events_api":
		return deploy.PathEvents, "application/json", env.Payload, env.RetryAttempt, env.RetryReason, nil
	}
	return "", "", nil, 0, "", fmt.Errorf("slackfake: no HTTP endpoint for envelopes of type %q", env.Type)
}

// post delivers frame to the first of ts that takes the connection, on its own goroutine, as
// Slack's requests are concurrent, and records the response as envelopeID's ack. It returns when
// the request began.
func (s *Server) post(ts []target, envelopeID string, frame []byte) (time.Time, error) {
	path, ctype, body, retry, reason, err := HTTPBody(frame)
	if err != nil {
		return time.Time{}, err
	}
	sent := time.Now()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, t := range ts {
			req, err := SignedRequest(context.Background(), t.base+path, ctype, body, t.secret, sent)
			if err != nil {
				return
			}
			if retry > 0 {
				req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
				req.Header.Set("X-Slack-Retry-Reason", reason)
			}
			resp, err := httpClient.Do(req)
			if errors.Is(err, syscall.ECONNREFUSED) {
				continue // a stopped replica: the load balancer tries the next
			}
			if err != nil {
				return // Slack saw no answer in time: the person sees an error; an event is retried later
			}
			s.answered(envelopeID, resp)
			return
		}
	}()
	return sent, nil
}

// httpClient is Slack's side of HTTP mode: it waits httpTimeout for an answer.
var httpClient = &http.Client{Timeout: httpTimeout}

// answered records resp as envelopeID's ack.
func (s *Server) answered(envelopeID string, resp *http.Response) {
	defer resp.Body.Close()
	payload, _ := io.ReadAll(io.LimitReader(resp.Body, maxAckBytes+1))
	switch {
	case resp.StatusCode != http.StatusOK:
		s.record(Ack{EnvelopeID: envelopeID, At: time.Now(), Refused: fmt.Sprintf("http_%d", resp.StatusCode)})
	case len(payload) > maxAckBytes:
		// Slack drops a response this large, as it drops such an ack frame.
	default:
		s.recordAck(envelopeID, payload)
	}
}
