// Package redisurl turns a REDIS_URL, and the name of a Sentinel master, into a go-redis client
// with Rapport's timeouts and retries. storage.Open is built on it, and so are the clients of the
// test helper (storage/redistest), so that tests run on production's clients.
package redisurl

import (
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The forms of a REDIS_URL, as Parse tells them apart.
const (
	Single   = "single"   // one server: redis://[user:password@]host:port/db (go-redis's ParseURL)
	Cluster  = "cluster"  // Redis Cluster: a node and more addr= (ParseClusterURL)
	Sentinel = "sentinel" // the sentinels, a master named apart (ParseFailoverURL)
)

// Honour the caller's deadline (a Slack ack has 3 s in all), and fail fast on a dead node rather
// than letting one request wait out long default timeouts: the person is told to try again at
// once. A command is tried 3 times (MaxRetries) with a single dial each; go-redis's default of 5
// dials 100 ms apart per try would spend the whole ack budget on a refused port. The same holds
// for every form: a cluster's node clients and a Sentinel's master client get these too.
const (
	timeout       = 2 * time.Second
	maxRetries    = 2
	dialerRetries = 1
)

// Client is a parsed REDIS_URL: New makes its client, which connects when first used.
type Client struct {
	Form     string // Single, Cluster or Sentinel
	single   *redis.Options
	clust    *redis.ClusterOptions
	failover *redis.FailoverOptions
}

// Parse reads rawURL in the form it is written in: with sentinelMaster, the URL lists the
// sentinels (redis://[user:password@]sentinel:26379/db?addr=sentinel2:26379&…; its user and
// password are the sentinels', the master's are the username= and password= parameters); with
// addr= parameters, the nodes of a Redis Cluster; otherwise one server. Its errors never quote the
// URL, which may carry a password.
func Parse(rawURL, sentinelMaster string) (Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Client{}, errors.New("not a URL (redis://[user:password@]host:port/db)")
	}
	q := u.Query()
	// Each workspace a process serves holds a connection in its outbox's blocking read: go-redis's
	// default pool (10 per CPU) would run out at about 15 workspaces, and every other command wait
	// for it. The pool only caps the connections: they are opened as they are needed.
	poolSize := 0
	if !q.Has("pool_size") {
		poolSize = DefaultPoolSize()
	}
	if q.Has("master_name") {
		return Client{}, errors.New("master_name is not read from the URL: name the Sentinel master in REDIS_SENTINEL_MASTER")
	}
	switch {
	case sentinelMaster != "":
		o, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return Client{}, err
		}
		o.MasterName = sentinelMaster
		o.ContextTimeoutEnabled = true
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
		o.MaxRetries, o.DialerRetries = maxRetries, dialerRetries
		if poolSize > 0 {
			o.PoolSize = poolSize
		}
		return Client{Form: Sentinel, failover: o}, nil
	case q.Has("addr"):
		if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
			return Client{}, fmt.Errorf("a Redis Cluster has only database 0, not %q", db)
		}
		o, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return Client{}, err
		}
		o.ContextTimeoutEnabled = true
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
		o.MaxRetries, o.DialerRetries = maxRetries, dialerRetries
		if poolSize > 0 {
			o.PoolSize = poolSize // per node
		}
		return Client{Form: Cluster, clust: o}, nil
	default:
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return Client{}, err
		}
		o.ContextTimeoutEnabled = true
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
		o.MaxRetries, o.DialerRetries = maxRetries, dialerRetries
		if poolSize > 0 {
			o.PoolSize = poolSize
		}
		return Client{Form: Single, single: o}, nil
	}
}

// DefaultPoolSize is the connection pool of a URL that sets no pool_size: go-redis's 10 per CPU,
// and 1,000 more for the blocking reads of as many workspaces.
func DefaultPoolSize() int { return 10*runtime.GOMAXPROCS(0) + 1000 }

// New returns the client: a *redis.Client for one server or a Sentinel's master, a
// *redis.ClusterClient for a cluster.
func (c Client) New() redis.UniversalClient {
	switch c.Form {
	case Sentinel:
		return redis.NewFailoverClient(c.failover)
	case Cluster:
		return redis.NewClusterClient(c.clust)
	default:
		return redis.NewClient(c.single)
	}
}

// Open is Parse, then New.
func Open(rawURL, sentinelMaster string) (redis.UniversalClient, error) {
	c, err := Parse(rawURL, sentinelMaster)
	if err != nil {
		return nil, err
	}
	return c.New(), nil
}

// Addr is the first address of the URL: the server's, a cluster's first node's, or the first
// sentinel's.
func (c Client) Addr() string {
	switch c.Form {
	case Sentinel:
		return c.failover.SentinelAddrs[0]
	case Cluster:
		return c.clust.Addrs[0]
	default:
		return c.single.Addr
	}
}
