package redistest

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Proxy is a TCP proxy in front of a Redis that can hold Redis's replies back: a request still
// reaches Redis at once (and runs), but its answer reaches the client late. It plays a Redis that is
// slow to answer, or a network that loses the reply, for tests of what a client may tell a person
// when the answer misses its deadline.
type Proxy struct {
	ln       net.Listener
	upstream string
	hold     atomic.Int64 // nanoseconds each reply is held
	refuse   atomic.Bool  // Redis out of reach: connections end, requests go nowhere
	done     chan struct{}
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// StartProxy listens on a free loopback port and forwards every connection to upstream (host:port)
// until t ends. On a cluster the test is skipped: a cluster's client reaches each node at the address
// the cluster gives for it, around any proxy.
func StartProxy(t testing.TB, upstream string) *Proxy {
	t.Helper()
	if onCluster() || onClusterURL(os.Getenv(EnvURL)) {
		t.Skip("a proxy stands in front of one Redis server; on a cluster the client reaches every node at the address the cluster gives")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, upstream: upstream, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy as a REDIS_URL.
func (p *Proxy) URL() string { return "redis://" + p.Addr() + "/0" }

// Client returns a client of the proxy configured as storage.Open configures one, closed when t
// ends.
func (p *Proxy) Client(t testing.TB) redis.UniversalClient { return client(t, p.URL()) }

// HoldReplies delays every reply Redis sends from now on by d before the client gets it; 0 lets
// them through at once again. Requests are never held.
func (p *Proxy) HoldReplies(d time.Duration) { p.hold.Store(int64(d)) }

// Refuse, while on, plays a Redis out of reach: a new connection is closed at once, and one open
// already is closed instead of passing its next request on, so nothing a client sends meanwhile
// runs. Off lets connections through again.
func (p *Proxy) Refuse(on bool) { p.refuse.Store(on) }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if p.refuse.Load() {
			_ = c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, u) {
			return
		}
		p.wg.Add(2)
		go p.pipe(u, c, false)
		go p.pipe(c, u, true)
	}
}

// track remembers a connection pair so close can end it; false when the proxy is closing.
func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	default:
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// pipe copies from src to dst, holding each chunk back first when it is a reply, and closes both
// ends when either side ends.
func (p *Proxy) pipe(dst, src net.Conn, reply bool) {
	defer p.wg.Done()
	defer func() {
		_ = dst.Close()
		_ = src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !reply && p.refuse.Load() {
			return // the request is dropped with its connection
		}
		if n > 0 {
			if d := time.Duration(p.hold.Load()); reply && d > 0 {
				select {
				case <-time.After(d):
				case <-p.done:
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or closed
		}
	}
}

func (p *Proxy) close() {
	p.mu.Lock()
	close(p.done)
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
