package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// GatewayConfig wires a Gateway. Logger, Listener and Ready are required.
type GatewayConfig struct {
	Logger   *zap.Logger
	Listener net.Listener
	// Ready reports whether the process's storage answers, for /readyz.
	Ready func(ctx context.Context) error
	// Started, if set, reports whether the process has started what it serves: /readyz says
	// "starting" until it does, so no request is routed to a replica that would refuse it.
	Started func() bool
	// SigningSecret turns on HTTP mode: Slack's requests come to PathEvents, PathInteractivity and
	// PathCommands, signed with it, and go to the Bot of the workspace they come from.
	SigningSecret string
	// Routes are more endpoints, by http.ServeMux pattern ("GET /metrics").
	Routes map[string]http.Handler
	// Installed, if set, is asked about a request of a workspace no Bot here serves: true when it
	// is installed (another replica took the install, and this one has not seen it yet), so the
	// person is told to try again in a moment rather than the request acked and ignored; an error
	// (the store did not answer) is answered the same way, never as a workspace not installed. It
	// runs before the ack, within 500 ms, and may start serving the workspace here.
	Installed func(ctx context.Context, team string) (bool, error)
}

// Gateway is a process's HTTP server: /healthz, /readyz, Config.Routes, and in HTTP mode Slack's
// requests for every workspace the process serves (Attach). One listener, whatever the number of
// workspaces.
type Gateway struct {
	cfg  GatewayConfig
	log  *zap.Logger
	mu   sync.RWMutex
	bots map[string]*Bot // by team
	// single is the one bot of a Socket Mode process, whose socket /readyz waits for.
	single *Bot
}

// NewGateway checks cfg.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.Logger == nil || cfg.Listener == nil || cfg.Ready == nil {
		return nil, errors.New("bot: incomplete gateway config")
	}
	return &Gateway{cfg: cfg, log: cfg.Logger.Named("http"), bots: map[string]*Bot{}}, nil
}

// Attach routes the requests of b's workspace to b (HTTP mode) and counts b in /readyz.
func (g *Gateway) Attach(b *Bot) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bots[b.disp.team] = b
	if b.cfg.Socket != nil {
		g.single = b
	}
}

// Detach stops routing team's requests: they are acked bare from now on, as for a workspace never
// attached.
func (g *Gateway) Detach(team string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b := g.bots[team]; b != nil && g.single == b {
		g.single = nil
	}
	delete(g.bots, team)
}

func (g *Gateway) bot(team string) *Bot {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.bots[team]
}

// Run serves until ctx ends, then stops accepting and lets the requests it holds be answered
// (each is acked by ackDeadline) before it returns.
func (g *Gateway) Run(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", g.serveReady)
	if g.cfg.SigningSecret != "" {
		mux.Handle("POST "+PathEvents, g.slackEndpoint("events_api"))
		mux.Handle("POST "+PathInteractivity, g.slackEndpoint("interactive"))
		mux.Handle("POST "+PathCommands, g.slackEndpoint("slash_commands"))
	}
	for pattern, h := range g.cfg.Routes {
		mux.Handle(pattern, h)
	}
	// Slack's requests are small and come whole: a client that trickles one is cut off rather than
	// holding a connection (and the shutdown) for as long as it likes.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		IdleTimeout: 90 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(g.cfg.Listener) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), responseWait+100*time.Millisecond)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-errc
		return nil
	}
}

// serveReady answers 200 while Redis answers and, in Socket Mode, the socket is up and Slack takes
// the token. In HTTP mode one workspace's refused token is that workspace's fault, not the process's.
func (g *Gateway) serveReady(w http.ResponseWriter, r *http.Request) {
	rctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := g.cfg.Ready(rctx); err != nil {
		http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
		return
	}
	if g.cfg.Started != nil && !g.cfg.Started() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	g.mu.RLock()
	single := g.single
	g.mu.RUnlock()
	if single != nil {
		if !single.status.get() {
			http.Error(w, "socket not connected", http.StatusServiceUnavailable)
			return
		}
		if why := single.sender.faults.reason(); why != "" {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}
