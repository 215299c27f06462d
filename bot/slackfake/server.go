// Package slackfake is a protocol-faithful fake of the parts of Slack that Rapport uses: the Web
// API over HTTP and Socket Mode over WebSocket. The real slack-go client runs against it unchanged
// (point slack.OptionAPIURL at APIURL), so tests exercise the same wire format, error strings and
// reconnect behaviour as production, and a demo can run without a workspace. Like Slack, it
// serves several workspaces behind one API URL, each call's token selecting one (AddWorkspace).
package slackfake

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// Identities of the fake's default workspace and of the app. They are fixed so that tests can
// name them in assertions without asking the server. A workspace added by AddWorkspace has its own
// (Workspace.BotToken…); the app, its app-level token and AppID are one for every workspace.
const (
	BotToken  = "xoxb-fake-bot-token"
	AppToken  = "xapp-fake-app-token"
	TeamID    = "T0FAKE"
	TeamName  = "Fake Team"
	BotUserID = "UBOT"
	BotID     = "BBOT"
	AppID     = "AFAKE"

	// GeneralChannelID is where slash commands built by SlashCommand are typed.
	GeneralChannelID = "C0GENERAL"
	// SlackbotUserID is present in every workspace and is not a bot by Slack's own flag.
	SlackbotUserID = "USLACKBOT"

	// verificationToken is the deprecated token Slack still puts in every payload.
	verificationToken = "fakeverificationtoken"
)

// Server is a running fake Slack. All methods are safe for concurrent use.
type Server struct {
	http     *httptest.Server
	upgrader websocket.Upgrader

	pingInterval time.Duration
	now          func() time.Time
	startSec     int64

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every recorded change
	closed  bool
	wg      sync.WaitGroup // socket goroutines: hijacked connections escape httptest's own tracking
	seq     int            // source of unique ids and timestamps

	calls     []Call
	teams     map[string]*Workspace // team id → workspace; def among them
	def       *Workspace            // TeamID: what the Server's own builders and inspectors mean
	tokens    map[string]*Workspace // bot token (fixed or installed) → its workspace
	triggers  map[string]*trigger
	responses map[string]*responseURL
	oauth     oauthState // OAuth v2 install (oauth.go)

	targets  []target // set by DeliverOverHTTP: envelopes go to an app in HTTP mode
	tickets  map[string]bool
	pongs    int
	conns    map[int]*socket
	rr       int
	acks     map[string][]Ack
	ackTotal int
	waiters  map[string][]chan Ack
}

// Option configures a Server.
type Option func(*Server)

// WithPingInterval sets how often sockets are pinged. slack-go drops a socket that sees no ping
// within its own interval (30 s by default), so this must stay below the client's setting.
func WithPingInterval(d time.Duration) Option {
	return func(s *Server) { s.pingInterval = d }
}

// WithUsers adds members of the default workspace besides the bot user and Slackbot.
func WithUsers(users ...slack.User) Option {
	return func(s *Server) {
		for _, u := range users {
			s.def.addUserLocked(u)
		}
	}
}

// WithClock replaces the clock used for trigger and response_url expiry, so tests can step past
// Slack's 3 s trigger window without sleeping.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New starts a fake Slack on 127.0.0.1. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		upgrader: websocket.Upgrader{
			// slack-go dials with Origin https://api.slack.com, which never matches our host.
			CheckOrigin: func(*http.Request) bool { return true },
		},
		pingInterval: 5 * time.Second,
		now:          time.Now,
		startSec:     time.Now().Unix(),
		changed:      make(chan struct{}),
		teams:        map[string]*Workspace{},
		tokens:       map[string]*Workspace{},
		triggers:     map[string]*trigger{},
		responses:    map[string]*responseURL{},
		tickets:      map[string]bool{},
		conns:        map[int]*socket{},
		acks:         map[string][]Ack{},
		waiters:      map[string][]chan Ack{},
	}
	s.def = s.newWorkspaceLocked(TeamID, TeamName, "fake", BotToken, InstalledBotToken, BotUserID, BotID)
	for _, o := range opts {
		o(s)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/upload/v1/", s.serveUpload)
	mux.HandleFunc("/commands/", s.serveResponseURL)
	mux.HandleFunc("/actions/", s.serveResponseURL)
	mux.HandleFunc("/app/", s.serveResponseURL)                // a message shortcut's
	mux.HandleFunc("/api/oauth.v2.access", s.serveOAuthAccess) // no token: the app's credentials
	mux.HandleFunc("/oauth/v2/authorize", s.serveAuthorize)
	s.http = httptest.NewServer(mux)
	return s
}

// APIURL is the Web API base for slack.OptionAPIURL. It ends in "/" as slack-go requires.
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// Close drops every socket and stops the server, returning only when none of the fake's
// goroutines is left.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*socket, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		s.drop(c)
	}
	s.http.Close()
	s.wg.Wait()
}

// WaitFor blocks until cond returns true or ctx ends. cond is evaluated again after every change
// the fake records (a call, message, view, file, ack or connection), and every recheckEvery
// besides: a test's condition often reads state the fake does not see change (Redis: the outbox
// emptied after Slack's ok, a referral's status), and must not wait for an unrelated call.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(recheckEvery)
	defer tick.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: condition not met: %w", ctx.Err())
		}
	}
}

// recheckEvery is how often WaitFor looks again at a condition with no change of the fake's.
const recheckEvery = 10 * time.Millisecond

// notifyLocked wakes every WaitFor. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextSeqLocked returns a number never returned before by this server.
func (s *Server) nextSeqLocked() int {
	s.seq++
	return s.seq
}

// newTSLocked returns a message timestamp in Slack's "seconds.micros" form, unique and
// increasing in both numeric and string order.
func (s *Server) newTSLocked() string {
	return fmt.Sprintf("%d.%06d", s.startSec, s.nextSeqLocked())
}
