package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// DefaultPrefix versions the layout: a change that old code cannot read gets a new prefix.
const DefaultPrefix = "rapport:v1"

// Consumer group of the outbox stream.
const sendersGroup = "senders"

// keys builds the keys of one workspace. Every key Rapport writes is built here: in Go by the
// methods below, in a script from the team base it gets as ARGV[1] through the functions luaKeys
// generates from the same suffixes. All of a workspace's keys start with the team base
// "<prefix>:{<team>}:" (prefix rapport:v1 by default), whose hash tag {team} puts them in one
// Redis Cluster slot, so every script and MULTI touches a single slot.
//
// The layout, under the team base (n: a referral number, U: a user ID):
//
//	key                type    holds                                               written by                          TTL
//	seq                string  the last referral number (INCR)                     create, move (pass on)              none
//	ref:<n>            hash    the referral (codec.go: referralFields), its        create, move, claim (due),          none
//	                           pending reminder (due), message slots (dm_<slot>)   RecordOutbox (slots), SeedFacts
//	ref:<n>:events     list    the timeline: JSON rapport.Event, oldest first      move                                none
//	given:<U>          zset    numbers of the referrals U gave, by created ms      create, move (pass on), SeedFacts   none
//	received:<U>       zset    numbers of the referrals U received, by created ms  create, move (pass on), SeedFacts   none
//	given-open:<U>     zset    the open referrals (rapport.Status.Open) U gave,    every script that calls aggrRef     none
//	received-open:<U>  zset    and received, by created ms: the Home, /refer list  (create, move, undo), BackfillOpen,
//	                                                                               SeedFacts
//	all                zset    every referral number, by created ms                create, move (pass on), SeedFacts   none
//	won                zset    closed business: referral numbers by close ms       move, SeedFacts                     none
//	open               zset    open referrals (rapport.Status.Open) by the ms of   create, move, SeedFacts             none
//	                           their last event: the leader's view, expiry
//	waiting            zset    referrals still new, by created ms: the digest's    every script that calls aggrRef     none
//	                           count of overdue first moves
//	aggr:<period>      hash    the numbers of a period (rapport.Period.ID: day:…,    create, move, undo, Recognize       none
//	                           week:…, month:…, quarter:…, year:…, all):           (vouches), AnswerOneOnOne (1:1s),
//	                                                                               RebuildAggregates
//	                           "<U>|<counter>" → a sum (aggr.go lists the counters)
//	aggr:days          hash    the group's totals per day: "<yyyymmdd>|<counter>"  as aggr:<period>                    none
//	aggr:pair:<U>      hash    U's ledger: "<other>|<counter>" → a sum             as aggr:<period>                    none
//	aggr:keys          set     every aggregate hash (what a rebuild clears)        as aggr:<period>                    none
//	aggr:rebuild       hash    how far a running rebuild got (ref, vouch)          RebuildAggregates                   none
//	migrated:<name>    string  1: the migration <name> ran (open: BackfillOpen);   BackfillOpen, AggregatesBuilt,      none
//	                           aggr: the layout and zone the aggregates were       RebuildAggregates
//	                           built in (builtMark)
//	prospect:<digest>  set     open referrals of one normalised email or phone     create (closed ones leave lazily),  none
//	                           (prospectDigest: the contact is never in a key)     move (pass on)
//	due                zset    pending reminders "<n>:<stage>:<receiver>"          create, move, claim, Postpone       none
//	                           (rapport.DueID), by due ms
//	members            hash    the member directory: U → JSON memberRecord         PutMembers                          none
//	                           (rapport.Member and its can_receive flag)
//	seen:<envelope>    string  the referral an envelope saved (0: another write;   create, Enqueue, Recognize,         24 h
//	                           the 1:1's number for RecordOneOnOne)                PutSettings, RecordOneOnOne
//	view:<view>        string  the referral a form (Slack modal view) saved        create                              24 h
//	step:<execution>   string  the referral a Workflow Builder step's run saved    create, FailStep                    24 h
//	                           (0: the run was answered with an error)
//	after:<w>:<b>      hash    envelope or event → 1: its after-ack work ran; one  FirstAfterAck                       24 buckets of w ms
//	                           bucket (b: Unix ms / w, Redis's clock) per w ms                                         (the caller's TTL
//	                                                                                                                   / 24) after b's end
//	outbox             stream  messages owed to Slack (kind, ref, to, …);          create, move, claim, OpenedHome,    entries leave when
//	                           consumer group "senders". An entry leaves only in   QueueHome, Enqueue, Recognize,      delivered or dead
//	                           the step that settles it, so gone is settled (what  QueueDigest, EnqueueMessage,        (RecordOutbox)
//	                           Delivered reads: no per-entry key)                  NudgeNow, Welcome, the 1:1
//	                                                                               scripts, QueuePairs, BookPair
//	dead               stream  outbox entries given up on, with the reason         RecordOutbox                        none; the oldest
//	                                                                                                                   go past MAXLEN ~
//	                                                                                                                   10,000 (deadCap)
//	alive:<consumer>   string  1: the outbox sender <consumer> runs (its           Heartbeat                           caller's (the
//	                           heartbeat; gone: its entries are taken over)                                            sender: 3 s)
//	home:<U>           string  Unix ms U last opened App Home                      OpenedHome                          60 days
//	welcomed           set     members who got (or never needed) the welcome DM:   OpenedHome, Welcome, MarkWelcomed   none
//	                           each member is welcomed once ever
//	ref:<n>:nudged     string  Unix ms an admin's "Nudge now" queued a nudge       NudgeNow                            a day (rapport.
//	                           about referral n to its receiver                                                        NudgeEvery)
//	asks               hash    U → JSON ask {text, at}                             SetAsk                              none
//	oneone:seq         string  the last 1:1 number (INCR)                          RecordOneOnOne                      none
//	oneone:<n>         hash    a 1:1 (oneone.go: oneOnOneFields), with the         RecordOneOnOne, AnswerOneOnOne,     none
//	                           periods it counts in once confirmed (ap)            ExpireOneOnOnes, RebuildAggregates
//	oneone:pending     zset    1:1s waiting for their partner, by expiry ms        RecordOneOnOne, AnswerOneOnOne,     none
//	                                                                               ExpireOneOnOnes
//	oneone:pairs       hash    "<U>|<U>|<yyyymmdd>" (the two sorted) → the         as oneone:pending                   none
//	                           pending or confirmed 1:1 of a pair on a day: the
//	                           duplicate check
//	pairing:in         set     members who opted in to the weekly pairing          SetPairing                          none
//	pairing:week:<w>   hash    the pairs suggested for ISO week w (rapport.WeekID) QueuePairs                          the caller's
//	                           "<U>|<U>" (the two sorted) → JSON rapport.Pair                                          (a few weeks)
//	pairing:week:<w>:  hash    "<U>|<U>" → "<U>|<ms>": who booked the 1:1 the      BookPair                            as pairing:week:<w>
//	booked                     pair suggests, and when
//	pairing:last       string  the latest week paired: its pairs are "last week's" QueuePairs                          none
//	                           (never twice in a row); only its Book buttons work
//	settings           hash    setting name → an admin's override                  PutSettings                         none
//	thanks, vouches    zset    recognitions "<ms>:<from>:<to>", by ms              Recognize                           none
//	ran:digest:<week>  string  the week's digest is queued (claimed once)          QueueDigest                         caller's (> a week)
//	ran:pairing:<week> string  the week's pairs are suggested (claimed once)       QueuePairs                          caller's (> a week)
//	lock:<job>         string  leader lock of a once-per-cluster job               WithLock (redislock)                the job's ttl
//	pace:<budget>      string  GCRA theoretical arrival time (ms) of a Slack       Pace                                until that time
//	                           budget (method, or method:channel), or of a
//	                           member's Home publishes (home:<U>, one per 2 s)
//	pause:<budget>     string  a pause Slack asked for (429 Retry-After)           Pause                               Retry-After
//	install            hash    the OAuth installation (install.go's inst* fields): SaveInstallation, RemoveInstallation,  none (deleted
//	                           the bot token sealed by the Keyring, never plain;   ResealTokens                        with the team's
//	                           uninstalled_at and purge_at once uninstalled                                            data by the purge)
//
// Three keys are global, outside every team's slot, each written by single-key commands of its own
// (Redis Cluster refuses a MULTI across slots), so their writers order them to fail safe (install.go):
//
//	<prefix>:installs       zset    installed teams, all scored 0 (pages by   SaveInstallation, RemoveInstallation   none
//	                                ZRANGE BYLEX); an entry may outlive its
//	                                install hash: readers skip those
//	<prefix>:purge          zset    uninstalled teams by the ms their data    RemoveInstallation, SaveInstallation,  none
//	                                may be deleted (the install hash has the  PurgeUninstalled
//	                                truth; this is the queue)
//	<prefix>:once:<name>    string  a one-time name claimed (an OAuth state)  ClaimOnce                              caller's
//
// ref:<n> also keeps aggr_created and aggr_won: the periods its numbers count in (aggr.go).
//
// The mend scripts (mend.go) write like move: undo writes ref:<n> (the undo fields), its events, due,
// won, open, prospect sets and the outbox; edit writes ref:<n>, its events, open, prospect sets and
// the outbox; remark (a note, an ask) writes ref:<n> (asked), its events, open and the outbox.
//
// Scripts get every key they touch in KEYS, except those whose names depend on what the script
// reads or increments: a referral's hash (ref:<n>), a 1:1's (oneone:<n>), the linked referral's indexes (given:<U>,
// received:<U>), prospect sets (prospect:<digest>), the aggregates (aggr:…), the heartbeats of the consumers the outbox's
// group lists (alive:<consumer>) and the after-ack buckets named by Redis's clock (after:<w>:<b>).
// Those they build from ARGV[1], which in every script that builds keys is the team base, and only
// through luaKeys' functions. Every script declares at least one key, the team's, because a Redis
// Cluster runs a script on the node of its first key (a script with none goes to any node, which
// refuses the team's keys): one whose every key is built (the after-ack marks) declares slot.
type keys struct{ base string } // the team base "<prefix>:{<team>}:"

// Suffixes of the keys scripts build themselves, written once here for Go and Lua alike.
const (
	sfxRef      = "ref:"
	sfxGiven    = "given:"
	sfxReceived = "received:"
	// The members' open referrals, by created ms (kept by aggrRef, aggr.go).
	sfxGivenOpen    = "given-open:"
	sfxReceivedOpen = "received-open:"
	sfxProspect     = "prospect:"
	sfxAlive        = "alive:"
	sfxAfter        = "after:"
	sfxOneOnOne     = "oneone:" // a 1:1's hash: oneone:<n> (oneone.go)
)

// luaKeys declares the key builders of the scripts that build keys: such a script takes the team
// base as ARGV[1] and builds keys only through these (refKey(n), givenKey(U), receivedKey(U),
// prospectKey(digest), aliveKey(consumer), afterKey(bucket), oneOnOneKey(n)).
var luaKeys = "-- generated by storage/keys.go; do not edit here\nlocal BASE = ARGV[1]\n" +
	luaKeyBuilder("refKey", sfxRef) +
	luaKeyBuilder("givenKey", sfxGiven) +
	luaKeyBuilder("receivedKey", sfxReceived) +
	luaKeyBuilder("prospectKey", sfxProspect) +
	luaKeyBuilder("aliveKey", sfxAlive) +
	luaKeyBuilder("givenOpenKey", sfxGivenOpen) +
	luaKeyBuilder("receivedOpenKey", sfxReceivedOpen) +
	luaKeyBuilder("afterKey", sfxAfter) +
	luaKeyBuilder("oneOnOneKey", sfxOneOnOne)

func luaKeyBuilder(name, suffix string) string {
	return "local function " + name + "(id) return BASE .. " + luaQuote(suffix) + " .. id end\n"
}

func (s *Store) keys(team string) keys { return keys{base: s.prefix + ":{" + team + "}:"} }

// slot names no key but the team's Redis Cluster slot: the team base itself, declared by a script
// that touches only keys it builds.
func (k keys) slot() string { return k.base }

func (k keys) seq() string                     { return k.base + "seq" }
func (k keys) ref(n int64) string              { return k.base + sfxRef + strconv.FormatInt(n, 10) }
func (k keys) events(n int64) string           { return k.ref(n) + ":events" }
func (k keys) given(user string) string        { return k.base + sfxGiven + user }
func (k keys) received(user string) string     { return k.base + sfxReceived + user }
func (k keys) givenOpen(user string) string    { return k.base + sfxGivenOpen + user }
func (k keys) receivedOpen(user string) string { return k.base + sfxReceivedOpen + user }
func (k keys) members() string                 { return k.base + "members" }
func (k keys) seen(id string) string           { return k.base + "seen:" + id }
func (k keys) view(id string) string           { return k.base + "view:" + id } // the referral a form saved
func (k keys) step(id string) string           { return k.base + "step:" + id } // the referral a workflow step's run saved
func (k keys) ran(job string) string           { return k.base + "ran:" + job } // a period a job claimed
func (k keys) outbox() string                  { return k.base + "outbox" }
func (k keys) due() string                     { return k.base + "due" }
func (k keys) all() string                     { return k.base + "all" } // every referral, by creation ms
func (k keys) settings() string                { return k.base + "settings" }
func (k keys) asks() string                    { return k.base + "asks" }
func (k keys) recognition(kind string) string  { return k.base + kind }               // "thanks" or "vouches": zset by time
func (k keys) won() string                     { return k.base + "won" }              // closed business, by close ms
func (k keys) migrated(name string) string     { return k.base + "migrated:" + name } // a migration done
func (k keys) open() string                    { return k.base + "open" }             // open referrals, by last event ms
func (k keys) dead() string                    { return k.base + "dead" }
func (k keys) welcomed() string                { return k.base + "welcomed" }  // members welcomed once ever
func (k keys) nudged(n int64) string           { return k.ref(n) + ":nudged" } // an admin's nudge, once a day

// The keys of 1:1s (oneone.go).
func (k keys) oneOnOne(n int64) string { return k.base + sfxOneOnOne + strconv.FormatInt(n, 10) }
func (k keys) oneOnOneSeq() string     { return k.base + sfxOneOnOne + "seq" }
func (k keys) oneOnOnePending() string { return k.base + sfxOneOnOne + "pending" }
func (k keys) oneOnOnePairs() string   { return k.base + sfxOneOnOne + "pairs" }

// The keys of the pairing suggestions (pairing.go).
func (k keys) pairingIn() string                { return k.base + "pairing:in" }
func (k keys) pairingLast() string              { return k.base + "pairing:last" }
func (k keys) pairingWeek(week string) string   { return k.base + "pairing:week:" + week }
func (k keys) pairingBooked(week string) string { return k.pairingWeek(week) + ":booked" }
func (k keys) pairingRan(week string) string    { return k.ran("pairing:" + week) } // a week's pairing, claimed once

// alive is the heartbeat of an outbox sender (a consumer of the group): while it lives, nobody takes
// the sender's entries over before the idle reclaim.
func (k keys) alive(consumer string) string { return k.base + sfxAlive + consumer }

// prospect is the set of open referrals for one normalised contact: kind is "email" or "phone".
// The contact is hashed so the key, which shows in MONITOR and slow logs, never carries it (rule 10).
func (k keys) prospect(kind, contact string) string {
	return k.base + sfxProspect + prospectDigest(kind, contact)
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

// install is the team's OAuth installation.
func (k keys) install() string { return k.base + "install" }

// installsKey, purgeKey and onceKey are the global keys (see the layout above).
func (s *Store) installsKey() string { return s.prefix + ":installs" }
func (s *Store) purgeKey() string    { return s.prefix + ":purge" }

// installsVersionKey counts the changes of the installations (saved, removed), so that a replica
// reads them all again only when one changed (InstallsVersion).
func (s *Store) installsVersionKey() string { return s.prefix + ":installs:ver" }
func (s *Store) onceKey(name string) string { return s.prefix + ":once:" + name }

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
