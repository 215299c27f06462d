package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Every key Rapport writes is built here, so the layout in DESIGN.md has one home. A workspace's
// keys share the hash tag {team}: every script and MULTI touches a single Redis Cluster slot.

// DefaultPrefix versions the layout: a change that old code cannot read gets a new prefix.
const DefaultPrefix = "rapport:v1"

// Consumer group of the outbox stream.
const sendersGroup = "senders"

// keys builds the keys of one workspace.
type keys struct{ base string } // "<prefix>:{<team>}:"

func (s *Store) keys(team string) keys { return keys{base: s.prefix + ":{" + team + "}:"} }

func (k keys) seq() string                    { return k.base + "seq" }
func (k keys) refBase() string                { return k.base + "ref:" }
func (k keys) ref(n int64) string             { return k.refBase() + strconv.FormatInt(n, 10) }
func (k keys) events(n int64) string          { return k.ref(n) + ":events" }
func (k keys) given(user string) string       { return k.base + "given:" + user }
func (k keys) received(user string) string    { return k.base + "received:" + user }
func (k keys) members() string                { return k.base + "members" }
func (k keys) seen(id string) string          { return k.base + "seen:" + id }
func (k keys) after(id string) string         { return k.base + "after:" + id } // after-ack work done
func (k keys) ran(job string) string          { return k.base + "ran:" + job }  // a period a job claimed
func (k keys) outbox() string                 { return k.base + "outbox" }
func (k keys) sent(entryID string) string     { return k.base + "sent:" + entryID }
func (k keys) due() string                    { return k.base + "due" }
func (k keys) all() string                    { return k.base + "all" } // every referral, by creation ms
func (k keys) settings() string               { return k.base + "settings" }
func (k keys) asks() string                   { return k.base + "asks" }
func (k keys) recognition(kind string) string { return k.base + kind }  // "thanks" or "vouches": zset by time
func (k keys) won() string                    { return k.base + "won" } // closed business, by close ms
func (k keys) dead() string                   { return k.base + "dead" }

// prospect is the set of open referrals for one normalised contact: kind is "email" or "phone".
// The contact is hashed so the key, which shows in MONITOR and slow logs, never carries it (rule 10).
func (k keys) prospect(kind, contact string) string {
	return k.base + "prospect:" + prospectDigest(kind, contact)
}

// prospectDigest names a normalised contact without carrying it. The referral hash keeps the
// digests too (pk1, pk2), so a script can index a linked referral under the same prospect.
func prospectDigest(kind, contact string) string {
	sum := sha256.Sum256([]byte(kind + ":" + contact))
	return hex.EncodeToString(sum[:16])
}

// prospects returns the prospect keys of a draft's normalised email and phone (none, one or two).
func (k keys) prospects(email, phone string) []string {
	var ks []string
	if email != "" {
		ks = append(ks, k.prospect("email", email))
	}
	if phone != "" {
		ks = append(ks, k.prospect("phone", phone))
	}
	return ks
}

// digestRan claims a week's digest, once per cluster.
func (k keys) digestRan(week string) string { return k.ran("digest:" + week) }

// home marks that user opened the App Home tab recently (their Home is worth republishing).
func (k keys) home(user string) string { return k.base + "home:" + user }

// lock is the leader lock of a once-per-cluster job. It carries the workspace's hash tag like every
// other key, so a job's lock and the keys it writes share a Cluster slot.
func (k keys) lock(job string) string { return k.base + "lock:" + job }

// pace is the GCRA cell of method (and channel, "" for a workspace-wide budget); paused is the pause
// Slack asked for on it.
func (k keys) pace(method, channel string) string { return k.base + "pace:" + budget(method, channel) }
func (k keys) paused(method, channel string) string {
	return k.base + "pause:" + budget(method, channel)
}
