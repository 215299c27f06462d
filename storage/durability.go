package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// NoEviction is the only maxmemory-policy under which Redis keeps every key: with any other, a Redis
// whose memory is full deletes keys, and Rapport's referrals, reminders and outbox have no other copy.
const NoEviction = "noeviction"

// Persistence values of Durability: how Redis keeps its data across a restart.
const (
	PersistAOF    = "aof"     // appendonly yes
	PersistRDB    = "rdb"     // RDB snapshots on save rules
	PersistAOFRDB = "aof+rdb" // both
	PersistNone   = "none"    // memory only: a restart loses everything
)

// Durability is what Redis says about keeping Rapport's state: whether it deletes keys when its memory
// is full, and whether it writes them to disk. Managed services often rename or forbid CONFIG; then
// INFO tells the policy and AOF (not RDB save rules), and what neither tells stays empty.
type Durability struct {
	// Policy is maxmemory-policy ("noeviction", "allkeys-lru", …); "" when Redis would not say.
	Policy string
	// Persistence is one of the Persist values; "" when Redis would not say.
	Persistence string
	// From is where the facts were read: "CONFIG", "INFO", or "" when Redis refused both.
	From string
	// Refused is Redis's refusal of CONFIG GET (and of INFO, when it refused that too); nil when CONFIG
	// answered.
	Refused error
}

// Evicts reports whether Redis may delete keys to free memory: a known policy other than noeviction.
func (d Durability) Evicts() bool { return d.Policy != "" && d.Policy != NoEviction }

// Durability reads Redis's maxmemory-policy and persistence with CONFIG GET, or from INFO where CONFIG
// is refused. An error means Redis did not answer (unreachable, loading, too slow); a refusal of both
// commands is no error but a Durability that knows nothing. On a Redis Cluster every master is asked
// (each keeps its own settings, and each holds teams' only copy), and the weakest answer is the
// cluster's (weakest).
func (s *Store) Durability(ctx context.Context) (Durability, error) {
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return durability(ctx, s.rdb)
	}
	var mu sync.Mutex
	var all []Durability
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		d, err := durability(ctx, node)
		if err != nil {
			return fmt.Errorf("%s: %w", node.Options().Addr, err)
		}
		mu.Lock()
		all = append(all, d)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return Durability{}, fail("read redis config", err)
	}
	return weakest(all), nil
}

func durability(ctx context.Context, rdb redis.UniversalClient) (Durability, error) {
	d, err := durabilityFromConfig(ctx, rdb)
	if err == nil {
		return d, nil
	}
	if unavailable(err) {
		return Durability{}, fail("read redis config", err)
	}
	refused := err
	if d, err = durabilityFromInfo(ctx, rdb); err != nil {
		if unavailable(err) {
			return Durability{}, fail("read redis info", err)
		}
		return Durability{Refused: errors.Join(refused, err)}, nil
	}
	d.Refused = refused
	return d, nil
}

// weakest is what the masters of a cluster keep for sure: a policy that evicts on any of them, else
// an unknown one, else noeviction; the persistence of the least persistent (none, unknown, rdb, aof,
// aof+rdb); where the facts came from when all say the same, else the least telling; every refusal.
func weakest(all []Durability) Durability {
	if len(all) == 0 {
		return Durability{}
	}
	rank := map[string]int{PersistNone: 0, "": 1, PersistRDB: 2, PersistAOF: 3, PersistAOFRDB: 4}
	from := map[string]int{"": 0, "INFO": 1, "CONFIG": 2}
	w := all[0]
	var refused []error
	for _, d := range all {
		switch {
		case d.Evicts():
			if !w.Evicts() {
				w.Policy = d.Policy
			}
		case d.Policy == "" && !w.Evicts():
			w.Policy = ""
		}
		if rank[d.Persistence] < rank[w.Persistence] {
			w.Persistence = d.Persistence
		}
		if from[d.From] < from[w.From] {
			w.From = d.From
		}
		if d.Refused != nil {
			refused = append(refused, d.Refused)
		}
	}
	w.Refused = errors.Join(refused...)
	return w
}

// durabilityFromConfig asks CONFIG GET, one parameter per command so that Redis 6 (one pattern per
// call) answers too, all in one round trip.
func durabilityFromConfig(ctx context.Context, rdb redis.UniversalClient) (Durability, error) {
	names := []string{"maxmemory-policy", "appendonly", "save"}
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, name := range names {
			p.ConfigGet(ctx, name)
		}
		return nil
	})
	if err != nil {
		return Durability{}, err
	}
	got := map[string]string{}
	for _, c := range cmds {
		for k, v := range c.(*redis.MapStringStringCmd).Val() {
			got[strings.ToLower(k)] = v
		}
	}
	d := Durability{Policy: got["maxmemory-policy"], From: "CONFIG"}
	if appendonly, ok := got["appendonly"]; ok {
		save, known := got["save"]
		d.Persistence = persistence(appendonly == "yes", strings.TrimSpace(save) != "", known)
	}
	return d, nil
}

// durabilityFromInfo reads INFO's default sections: memory's maxmemory_policy and persistence's
// aof_enabled. INFO does not show RDB save rules, so without AOF the persistence stays unknown.
func durabilityFromInfo(ctx context.Context, rdb redis.UniversalClient) (Durability, error) {
	info, err := rdb.Info(ctx).Result()
	if err != nil {
		return Durability{}, err
	}
	d := Durability{From: "INFO"}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		switch k {
		case "maxmemory_policy":
			d.Policy = v
		case "aof_enabled":
			if v == "1" {
				d.Persistence = PersistAOF
			}
		}
	}
	return d, nil
}

// persistence names what appendonly and save say; rdbKnown is false when save was not told, in which
// case only AOF can prove persistence.
func persistence(aof, rdb, rdbKnown bool) string {
	switch {
	case aof && rdb:
		return PersistAOFRDB
	case aof:
		return PersistAOF
	case rdb:
		return PersistRDB
	case rdbKnown:
		return PersistNone
	}
	return ""
}
