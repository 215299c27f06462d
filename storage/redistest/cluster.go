package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport/storage/internal/redisurl"
)

// EnvCluster, set to 1, runs the tests on a Redis Cluster of three masters (no replicas) that
// redistest starts on free loopback ports the first time a test asks for a Redis, one for the whole
// test binary: the tests share it as they share RAPPORT_TEST_REDIS_URL's server, each under a key
// prefix of its own. The package's TestMain must run its tests through M, which stops the cluster
// at the end. Tests that need a Redis of their own (StartOwn, Stop, Restart, a Proxy) are skipped.
const EnvCluster = "RAPPORT_TEST_REDIS_CLUSTER"

// clusterMasters is the number of masters of the test cluster: the fewest Redis Cluster accepts.
const clusterMasters = 3

// clusterTimeout bounds the creation of the cluster, from the first start to every node agreeing.
const clusterTimeout = 60 * time.Second

func onCluster() bool { return os.Getenv(EnvCluster) == "1" }

// shared is the test binary's cluster.
var shared struct {
	mu      sync.Mutex
	running bool // M's Run is running the tests
	c       *cluster
	err     error // why the cluster could not start: every test that asks is told
}

// Tests are a package's tests, run by M.
type Tests struct{ m *testing.M }

// M wraps a package's tests for its TestMain, as in
//
//	func TestMain(m *testing.M) { os.Exit(redistest.M(m).Run()) }
//
// or goleak.VerifyTestMain(redistest.M(m), …): Run runs the tests, then stops the cluster they
// shared under RAPPORT_TEST_REDIS_CLUSTER=1, if one was started.
func M(m *testing.M) Tests { return Tests{m} }

// Run runs the tests and stops the shared cluster; it returns the tests' exit code.
func (t Tests) Run() int {
	shared.mu.Lock()
	shared.running = true
	shared.mu.Unlock()
	defer func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		if shared.c != nil {
			shared.c.stop()
		}
		shared.c, shared.running = nil, false
	}()
	return t.m.Run()
}

// startShared returns the test binary's cluster, starting it on the first call.
func startShared(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.running {
		t.Fatalf("%s=1: the tests of this package share one cluster, stopped at the end by redistest.M: "+
			"its TestMain must run them through it (func TestMain(m *testing.M) { os.Exit(redistest.M(m).Run()) })", EnvCluster)
	}
	if shared.c == nil && shared.err == nil {
		start := time.Now()
		shared.c, shared.err = startCluster()
		if shared.err == nil {
			t.Logf("started a Redis Cluster of %d masters in %v: %s", clusterMasters, time.Since(start).Round(time.Millisecond), shared.c.url)
		}
	}
	if shared.err != nil {
		t.Fatalf("start the test cluster: %v", shared.err)
	}
	return &Server{t: t, shared: EnvCluster, url: shared.c.url, addr: shared.c.nodes[0].addr}
}

// cluster is a Redis Cluster of redis-servers this package started.
type cluster struct {
	dir   string
	nodes []*Server
	url   string // as REDIS_URL writes a cluster
}

// startCluster starts clusterMasters redis-servers in cluster mode, each on a free port with its
// cluster bus on another, joins them with redis-cli --cluster create (the slots split evenly), and
// waits until every node says the cluster is ok with every slot served.
func startCluster() (_ *cluster, err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server is not on PATH: install it (apt-get install redis-server)")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, errors.New("redis-cli is not on PATH: it comes with redis-server (apt-get install redis-server, or redis-tools)")
	}
	dir, err := os.MkdirTemp("", "rapport-redis-cluster-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w%s", err, c.logs())
			c.stop()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	addrs := make([]string, 0, clusterMasters)
	for i := range clusterMasters {
		n, err := startNode(bin, filepath.Join(dir, strconv.Itoa(i)))
		if n != nil {
			c.nodes = append(c.nodes, n)
		}
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, n.addr)
	}
	args := append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := c.waitOK(ctx, addrs); err != nil {
		return nil, err
	}
	c.url = "redis://" + addrs[0] + "?addr=" + strings.Join(addrs[1:], "&addr=")
	return c, nil
}

// startNode starts a redis-server in cluster mode on a free port, its bus on another, its state
// (nodes.conf) under dir.
func startNode(bin, dir string) (*Server, error) {
	var err error
	for attempt := range 5 { // another process may take a free port before redis-server binds it
		var port, bus int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		if bus, err = freePort(); err != nil {
			return nil, err
		}
		if bus == port {
			err = errors.New("the kernel gave the same free port twice")
			continue
		}
		n := &Server{bin: bin, dir: filepath.Join(dir, strconv.Itoa(attempt)),
			addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			args: []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
				"--cluster-port", strconv.Itoa(bus), "--cluster-node-timeout", "5000"}}
		if err = os.MkdirAll(n.dir, 0o755); err != nil {
			return nil, err
		}
		if err = n.start(); err == nil {
			return n, nil
		}
		err = fmt.Errorf("redis-server on %s: %w\n%s", n.addr, err, n.log.String())
	}
	return nil, err
}

// waitOK waits until every node reports cluster_state:ok with every slot assigned and ok and every
// node known: redis-cli returns once the nodes agree on the configuration, which they then spread.
func (c *cluster) waitOK(ctx context.Context, addrs []string) error {
	want := []string{"cluster_state:ok", "cluster_slots_assigned:16384", "cluster_slots_ok:16384",
		"cluster_known_nodes:" + strconv.Itoa(len(addrs))}
	for _, addr := range addrs {
		rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
		var last string
		for {
			info, err := rdb.ClusterInfo(ctx).Result()
			ok := err == nil
			for _, w := range want {
				ok = ok && strings.Contains(info, w+"\r\n")
			}
			if ok {
				break
			}
			last = fmt.Sprint(info, err)
			select {
			case <-ctx.Done():
				_ = rdb.Close()
				return fmt.Errorf("cluster not ok on %s within %v; CLUSTER INFO said:\n%s", addr, clusterTimeout, last)
			case <-time.After(20 * time.Millisecond):
			}
		}
		_ = rdb.Close()
	}
	return nil
}

func (c *cluster) stop() {
	for _, n := range c.nodes {
		n.stop()
	}
	_ = os.RemoveAll(c.dir)
}

func (c *cluster) logs() string {
	var b strings.Builder
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "\nredis-server %s log:\n%s", n.addr, n.log.String())
	}
	return b.String()
}

// Keys returns the keys that match pattern, sorted: SCAN on the one server, or on every master of a
// cluster (a command without a key reaches one node only).
func Keys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var mu sync.Mutex
	var all []string
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			all = append(all, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, rdb)
	}
	sort.Strings(all)
	return all, err
}

// onClusterURL reports whether url is a cluster's, as REDIS_URL writes one.
func onClusterURL(url string) bool {
	c, err := redisurl.Parse(url, "")
	return err == nil && c.Form == redisurl.Cluster
}

// ClusterKeyBytes is what a Redis Cluster adds to every key's MEMORY USAGE (Redis 7.0 links each key
// into its slot's list: two pointers). It is Redis's cost, not the key layout's: a memory budget
// measured on a cluster allows it per key.
const ClusterKeyBytes = 16
