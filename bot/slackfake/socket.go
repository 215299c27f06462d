package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socket is one Socket Mode connection. gorilla/websocket allows one writer at a time, so every
// data frame goes through wmu.
type socket struct {
	id        int
	conn      *websocket.Conn
	wmu       sync.Mutex
	done      chan struct{}
	closeOnce sync.Once
	retire    chan struct{} // closed by Disconnect: no more envelopes, close after disconnectGrace
	retired   bool          // guarded by Server.mu
}

// disconnectGrace is how long a socket told to disconnect stays open for the client to close it
// itself. Slack keeps it open for a while too; closing at once would make slack-go drop frames it
// had already read (its reader cancels the loop that hands them out).
const disconnectGrace = 10 * time.Second

func (c *socket) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.conn.WriteMessage(websocket.TextMessage, frame)
}

func (c *socket) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.conn.Close()
	})
}

// appsConnectionsOpen issues a single-use ticket on a ws:// URL on the fake's host, in the shape
// of Slack's wss://wss-primary.slack.com/link/?ticket=…&app_id=….
func (s *Server) appsConnectionsOpen(r *request) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ticket := randHex(16)
	s.tickets[ticket] = true
	url := fmt.Sprintf("ws%s/link/?ticket=%s&app_id=%s", s.http.URL[len("http"):], ticket, AppID)
	return map[string]any{"url": url}, ""
}

// Connections is the number of open sockets that have received hello and no disconnect.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectionsLocked()
}

// Pongs counts the pongs received on all sockets: proof that pings reach the client.
func (s *Server) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pongs
}

func (s *Server) connectionsLocked() int {
	n := 0
	for _, c := range s.conns {
		if !c.retired {
			n++
		}
	}
	return n
}

// WaitConnections waits until at least n sockets have received hello.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool { return s.Connections() >= n })
}

// serveSocket runs one Socket Mode connection: hello first, pings on a timer, and acks read
// until the socket closes.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket)
	if valid {
		// Hijacked connections escape httptest's bookkeeping; Close waits on s.wg instead.
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	defer s.wg.Done()
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &socket{conn: conn, done: make(chan struct{}), retire: make(chan struct{})}
	defer c.close()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	c.id = s.nextSeqLocked()
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": s.connectionsLocked() + 1,
		"debug_info": map[string]any{
			"host": "fake", "started": time.Now().UTC().Format("2006-01-02 15:04:05.000"),
			"build_number": 1, "approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	})
	// hello goes out before the socket is visible, so no envelope can overtake it.
	if c.write(hello) != nil {
		s.mu.Unlock()
		return
	}
	s.conns[c.id] = c
	s.wg.Add(1)
	s.notifyLocked()
	s.mu.Unlock()

	conn.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.pongs++
		s.notifyLocked()
		s.mu.Unlock()
		return nil
	})
	go s.pingLoop(c)
	s.readAcks(c)
	s.drop(c)
}

// drop forgets a socket before closing it, so Connections never counts a dead one.
func (s *Server) drop(c *socket) {
	s.mu.Lock()
	if s.conns[c.id] == c {
		delete(s.conns, c.id)
		s.notifyLocked()
	}
	s.mu.Unlock()
	c.close()
}

// pingLoop pings like Slack does (slack-go reconnects when pings stop) and closes a socket the
// client has not closed within disconnectGrace of a disconnect.
func (s *Server) pingLoop(c *socket) {
	defer s.wg.Done()
	t := time.NewTicker(s.pingInterval)
	defer t.Stop()
	retire := c.retire
	var grace <-chan time.Time
	for {
		select {
		case <-c.done:
			return
		case <-retire:
			retire = nil
			timer := time.NewTimer(disconnectGrace)
			defer timer.Stop()
			grace = timer.C
		case <-grace:
			s.drop(c)
			return
		case <-t.C:
			if c.conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(10*time.Second)) != nil {
				s.drop(c)
				return
			}
		}
	}
}

// Disconnect sends Slack's {"type":"disconnect","reason":…} frame to every socket, as Slack does
// before a deploy or when a connection is refreshed. Those sockets get no more envelopes; slack-go
// closes them and reconnects through apps.connections.open.
func (s *Server) Disconnect(reason string) {
	frame, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "fake"},
	})
	s.mu.Lock()
	var conns []*socket
	for _, c := range s.conns {
		if !c.retired {
			c.retired = true
			conns = append(conns, c)
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		if c.write(frame) != nil {
			s.drop(c)
			continue
		}
		close(c.retire)
	}
}
