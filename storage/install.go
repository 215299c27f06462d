package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Fields of a team's install hash (keys.go).
const (
	instTeam           = "team"
	instTeamName       = "team_name"
	instEnterprise     = "enterprise"
	instEnterpriseName = "enterprise_name"
	instApp            = "app"
	instBotUser        = "bot_user"
	instToken          = "token" // sealed by the Keyring: the plaintext never reaches Redis
	instScopes         = "scopes"
	instInstaller      = "installer"
	instInstalledAt    = "installed_at"   // Unix ms
	instUninstalledAt  = "uninstalled_at" // Unix ms; absent while installed
	instPurgeAt        = "purge_at"       // Unix ms; absent while installed
)

// WithTokenKeys gives the keyring that seals bot tokens: without one the store refuses to save or
// read an installation.
func WithTokenKeys(kr *Keyring) Option { return func(s *Store) { s.tokens = kr } }

// errNoKeyring is what an installation method says when the store was made without WithTokenKeys.
var errNoKeyring = errors.New("no token keyring: set " + EnvTokenKey)

// SaveInstallation stores in, replacing any earlier installation of its team (a re-install, which
// also cancels a pending purge). The bot token is sealed with the store's keyring.
//
// The global index of installed teams is a key of its own (Redis Cluster forbids a MULTI across
// slots), written first: a crash between the two leaves an index entry without its installation,
// which readers skip, never an installation the index misses.
func (s *Store) SaveInstallation(ctx context.Context, in rapport.Installation) error {
	op := "save installation " + in.Team
	if err := checkTeam(in.Team); err != nil {
		return fail(op, err)
	}
	if s.tokens == nil {
		return fail(op, errNoKeyring)
	}
	if in.BotToken == "" {
		return fail(op, errors.New("no bot token"))
	}
	sealed, err := s.tokens.Seal(in.Team, in.BotToken.Reveal())
	if err != nil {
		return fail(op, err)
	}
	if err := s.rdb.ZAdd(ctx, s.installsKey(), redis.Z{Member: in.Team}).Err(); err != nil {
		return fail(op, err)
	}
	k := s.keys(in.Team)
	fields := map[string]any{
		instTeam:      in.Team,
		instTeamName:  in.TeamName,
		instApp:       in.AppID,
		instBotUser:   in.BotUserID,
		instToken:     sealed,
		instScopes:    strings.Join(in.Scopes, ","),
		instInstaller: in.Installer,
	}
	if !in.InstalledAt.IsZero() {
		fields[instInstalledAt] = in.InstalledAt.UnixMilli()
	}
	if in.Enterprise != "" {
		fields[instEnterprise] = in.Enterprise
		fields[instEnterpriseName] = in.EnterpriseName
	}
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, k.install())
		p.HSet(ctx, k.install(), fields)
		return nil
	}); err != nil {
		return fail(op, err)
	}
	// Tidy only: a purge that finds the team installed drops its entry itself.
	if err := s.rdb.ZRem(ctx, s.purgeKey(), in.Team).Err(); err != nil {
		return fail(op, err)
	}
	return s.bumpInstalls(ctx, op)
}

// bumpInstalls tells every replica the installations changed (InstallsVersion).
func (s *Store) bumpInstalls(ctx context.Context, op string) error {
	return fail(op, s.rdb.Incr(ctx, s.installsVersionKey()).Err())
}

// InstallsVersion changes whenever an installation is saved or removed: a replica that saw a
// version has seen every installation as of it, and need not read them again until it changes.
func (s *Store) InstallsVersion(ctx context.Context) (int64, error) {
	v, err := s.rdb.Get(ctx, s.installsVersionKey()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return v, fail("read installations' version", err)
}

// Installation returns team's installation: ENOTFOUND when Rapport was never installed there (or
// its data is purged). An uninstalled team's comes back with UninstalledAt and PurgeAfter set and
// no token (Installed is false).
func (s *Store) Installation(ctx context.Context, team string) (rapport.Installation, error) {
	op := "read installation " + team
	if err := checkTeam(team); err != nil {
		return rapport.Installation{}, fail(op, err)
	}
	h, err := s.rdb.HGetAll(ctx, s.keys(team).install()).Result()
	if err != nil {
		return rapport.Installation{}, fail(op, err)
	}
	if len(h) == 0 {
		return rapport.Installation{}, fail(op, rapport.Errorf(rapport.ENOTFOUND, "Rapport is not installed in this workspace."))
	}
	in, err := s.decodeInstallation(team, h)
	return in, fail(op, err)
}

// ListInstallations returns up to limit installed teams whose IDs sort after after ("" for the
// first page), in ID order, and the after of the next page ("" after the last). A team whose
// installation cannot be read (its token sealed under a key the keyring lacks) is left out of the
// page and named in the error, returned with the rest of the page. A page may hold
// fewer than limit while more follow: index entries whose installation is missing or uninstalled
// are skipped. Each page is two round trips, however many teams are installed.
func (s *Store) ListInstallations(ctx context.Context, after string, limit int) ([]rapport.Installation, string, error) {
	const op = "list installations"
	if limit <= 0 {
		limit = 100
	}
	teams, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.installsKey(), Start: lexAfter(after), Stop: "+",
		ByLex: true, Count: int64(limit)}).Result()
	if err != nil {
		return nil, "", fail(op, err)
	}
	next := ""
	if len(teams) == limit {
		next = teams[len(teams)-1]
	}
	cmds := make([]*redis.MapStringStringCmd, len(teams))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, t := range teams {
			cmds[i] = p.HGetAll(ctx, s.keys(t).install())
		}
		return nil
	}); err != nil {
		return nil, "", fail(op, err)
	}
	var out []rapport.Installation
	var bad []error
	for i, t := range teams {
		h := cmds[i].Val()
		if len(h) == 0 {
			continue // indexed by a save that did not finish, or purged since
		}
		in, err := s.decodeInstallation(t, h)
		if err != nil {
			// One team's token the keyring cannot open (its key gone from RAPPORT_TOKEN_KEY_OLD)
			// keeps no other from the page.
			bad = append(bad, err)
			continue
		}
		if in.Installed() {
			out = append(out, in)
		}
	}
	if len(bad) > 0 {
		return out, next, fail(op, errors.Join(bad...))
	}
	return out, next, nil
}

func (s *Store) decodeInstallation(team string, h map[string]string) (rapport.Installation, error) {
	in := rapport.Installation{
		Team:           team,
		TeamName:       h[instTeamName],
		Enterprise:     h[instEnterprise],
		EnterpriseName: h[instEnterpriseName],
		AppID:          h[instApp],
		BotUserID:      h[instBotUser],
		Installer:      h[instInstaller],
		InstalledAt:    msTime(h[instInstalledAt]),
		UninstalledAt:  msTime(h[instUninstalledAt]),
		PurgeAfter:     msTime(h[instPurgeAt]),
	}
	if sc := h[instScopes]; sc != "" {
		in.Scopes = strings.Split(sc, ",")
	}
	if sealed := h[instToken]; sealed != "" {
		if s.tokens == nil {
			return in, errNoKeyring
		}
		tok, err := s.tokens.Open(team, sealed)
		if err != nil {
			return in, fmt.Errorf("open %s's bot token: %w", team, err)
		}
		in.BotToken = rapport.Secret(tok)
	}
	return in, nil
}

// removeScript marks a team uninstalled: its token dropped, its data due for deletion at ARGV[2].
// A second removal (app_uninstalled and tokens_revoked both come) keeps the first deadline.
//
// KEYS: 1 install. ARGV: 1 now (Unix ms), 2 purge deadline (Unix ms), 3 team.
// Returns the deadline in force.
var removeScript = redis.NewScript(`
local before = redis.call('HGET', KEYS[1], '` + instPurgeAt + `')
if before and redis.call('HEXISTS', KEYS[1], '` + instUninstalledAt + `') == 1 then return before end
redis.call('HDEL', KEYS[1], '` + instToken + `')
redis.call('HSET', KEYS[1], '` + instTeam + `', ARGV[3], '` + instUninstalledAt + `', ARGV[1], '` + instPurgeAt + `', ARGV[2])
return ARGV[2]
`)

// RemoveInstallation records that Rapport was uninstalled from team (or its bot token revoked) at
// now: the token is dropped at once, the team leaves the index, and its data is deleted by
// PurgeUninstalled once retain has passed. It returns that deadline; removing a team already
// removed keeps the first one. A team never installed through OAuth (a single pre-installed team)
// gets the same deadline for its data.
//
// Order, in three commands (three slots): the purge queue first, then the team's record, then the
// index. Whichever step a crash stops at, the purge finds the truth in the team's record.
func (s *Store) RemoveInstallation(ctx context.Context, team string, now time.Time, retain time.Duration) (time.Time, error) {
	op := "remove installation " + team
	if err := checkTeam(team); err != nil {
		return time.Time{}, fail(op, err)
	}
	deadline := now.Add(retain).UnixMilli()
	if err := s.rdb.ZAddNX(ctx, s.purgeKey(), redis.Z{Score: float64(deadline), Member: team}).Err(); err != nil {
		return time.Time{}, fail(op, err)
	}
	k := s.keys(team)
	got, err := removeScript.Run(ctx, s.rdb, []string{k.install()}, now.UnixMilli(), deadline, team).Text()
	if err != nil {
		return time.Time{}, fail(op, err)
	}
	if err := s.rdb.ZRem(ctx, s.installsKey(), team).Err(); err != nil {
		return time.Time{}, fail(op, err)
	}
	return msTime(got), s.bumpInstalls(ctx, op)
}

// checkTeam refuses a team ID that is not one of Slack's (upper-case letters and digits): it is
// put in keys and in SCAN patterns.
func checkTeam(team string) error {
	if team == "" {
		return errors.New("no team ID")
	}
	for _, c := range team {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return fmt.Errorf("team ID %q is not Slack's form", team)
		}
	}
	return nil
}

// ResealTokens seals every installed team's bot token under the keyring's current key, the second
// step of a key rotation (Keyring): once it returns, the old key can leave RAPPORT_TOKEN_KEY_OLD.
// It returns how many tokens it resealed; a token re-saved meanwhile (a re-install) is left as the
// re-install wrote it. It walks the index a page at a time, one short command per token.
func (s *Store) ResealTokens(ctx context.Context) (int, error) {
	const op = "reseal bot tokens"
	if s.tokens == nil {
		return 0, fail(op, errNoKeyring)
	}
	n := 0
	after := ""
	for {
		teams, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.installsKey(), Start: lexAfter(after), Stop: "+",
			ByLex: true, Count: 100}).Result()
		if err != nil {
			return n, fail(op, err)
		}
		for _, t := range teams {
			ok, err := s.reseal(ctx, t)
			if err != nil {
				return n, fail(op, err)
			}
			if ok {
				n++
			}
		}
		if len(teams) < 100 {
			return n, nil
		}
		after = teams[len(teams)-1]
	}
}

func lexAfter(after string) string {
	if after == "" {
		return "-"
	}
	return "(" + after
}

// resealScript replaces a sealed token only if it is still the one read (compare and set).
// KEYS: 1 install. ARGV: 1 old sealed token, 2 new.
var resealScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], '` + instToken + `') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], '` + instToken + `', ARGV[2])
return 1
`)

func (s *Store) reseal(ctx context.Context, team string) (bool, error) {
	k := s.keys(team)
	sealed, err := s.rdb.HGet(ctx, k.install(), instToken).Result()
	if errors.Is(err, redis.Nil) || (err == nil && SealedUnder(sealed) == s.tokens.CurrentID()) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	tok, err := s.tokens.Open(team, sealed)
	if err != nil {
		return false, fmt.Errorf("open %s's bot token: %w", team, err)
	}
	fresh, err := s.tokens.Seal(team, tok)
	if err != nil {
		return false, err
	}
	done, err := resealScript.Run(ctx, s.rdb, []string{k.install()}, sealed, fresh).Int()
	return done == 1, err
}

// ClaimOnce marks name used for ttl and reports whether this call was the first to do so: an OAuth
// state is accepted once, whichever replica the browser comes back to.
func (s *Store) ClaimOnce(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	err := s.rdb.SetArgs(ctx, s.onceKey(name), 1, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fail("claim "+name, err)
	}
	return true, nil
}
