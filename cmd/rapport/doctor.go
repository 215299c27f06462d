package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers"
	"github.com/rapportbot/rapport/storage"
)

// doctorDeadline bounds the whole check-up: a Slack or a Redis that does not answer is a problem
// reported, not a wait without end.
const doctorDeadline = 30 * time.Second

// checkup is one run of `rapport doctor`: each check prints one line, "ok" or "problem" (with the fix
// on the next line), or "skipped" when an earlier problem leaves nothing to check it with. Nothing
// it prints shows more of a token than its first 5 characters, nor Redis's password.
type checkup struct {
	cfg      Config
	vars     map[string]error // what loadConfig found wrong, by variable
	out      io.Writer
	problems int

	// What the checks learn and later ones use.
	store  *storage.Store // nil while Redis does not answer
	api    *slack.Client  // nil when SLACK_API_URL is unusable
	scopes *grantedScopes
	id     *bot.Identity // nil until the bot token is proved
	set    rapport.Settings
}

// doctor checks an install (configuration, Redis, Slack's tokens and scopes, the recognition channel,
// the time zone) and returns an error, so the process exits 1, when anything is wrong.
func doctor(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, doctorDeadline)
	defer cancel()
	// go-redis's own dial notices would only repeat, on stderr, what the Redis line says.
	redis.SetLogger(redisLogger{zap.NewNop().Sugar()})
	cfg, err := loadConfig(getenv)
	c := &checkup{cfg: cfg, vars: map[string]error{}, out: stdout, set: cfg.Settings()}
	var errs interface{ Unwrap() []error }
	if errors.As(err, &errs) {
		for _, e := range errs.Unwrap() {
			var ve *varError
			if errors.As(e, &ve) {
				c.vars[ve.name] = e
			}
		}
	}
	if c.vars["SLACK_API_URL"] == nil {
		tr := &http.Transport{Proxy: http.ProxyFromEnvironment}
		defer tr.CloseIdleConnections()
		c.scopes = &grantedScopes{next: tr}
		c.api = slackAPI(cfg, cfg.BotToken, c.scopes)
	}

	c.configuration()
	closeRedis := c.redis(ctx)
	defer closeRedis()
	c.botToken(ctx)
	c.installations(ctx)
	c.grantedScopes()
	c.modeSettings(ctx)
	c.settings(ctx)
	c.recognitionChannel(ctx)
	c.timeZone()
	if c.problems > 0 {
		return fmt.Errorf("doctor found %d problem(s)", c.problems)
	}
	return nil
}

func (c *checkup) ok(check, format string, args ...any) {
	fmt.Fprintf(c.out, "%-8s %s: %s\n", "ok", check, fmt.Sprintf(format, args...))
}

func (c *checkup) problem(check, what, fix string) {
	c.problems++
	fmt.Fprintf(c.out, "%-8s %s: %s\n%-8s fix: %s\n", "problem", check, what, "", fix)
}

func (c *checkup) skipped(check, why string) {
	fmt.Fprintf(c.out, "%-8s %s: not checked: %s\n", "skipped", check, why)
}

// badVariable reports what loadConfig found wrong with name under check; false when nothing.
func (c *checkup) badVariable(check, name string) bool {
	err := c.vars[name]
	if err == nil {
		return false
	}
	c.problem(check, err.Error(), fmt.Sprintf("correct %s in the environment (`rapport help` lists every variable)", name))
	return true
}

// ownVariables are the variables whose problems a check of their own reports; configuration reports
// the others.
var ownVariables = []string{"REDIS_URL", "SLACK_BOT_TOKEN", "RAPPORT_MODE", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET",
	"RAPPORT_RECOGNITION_CHANNEL", "RAPPORT_TIMEZONE"}

func (c *checkup) configuration() {
	const check = "configuration"
	found := false
	for _, v := range variables {
		if !slices.Contains(ownVariables, v.name) && c.badVariable(check, v.name) {
			found = true
		}
	}
	if !found {
		c.ok(check, "every variable is valid")
	}
}

// redis checks that Redis answers, may not evict Rapport's keys and writes them to disk, with the
// start-up check's rules (evictionIssue, persistenceIssue). It returns what closes its client.
func (c *checkup) redis(ctx context.Context) (closeRedis func()) {
	closeRedis = func() {}
	if c.badVariable("Redis", "REDIS_URL") {
		c.skipped("Redis eviction", "REDIS_URL is not valid")
		c.skipped("Redis persistence", "REDIS_URL is not valid")
		return closeRedis
	}
	host := c.cfg.RedisURL
	if u, err := url.Parse(c.cfg.RedisURL); err == nil {
		host = u.Host
	}
	rdb, err := storage.Open(c.cfg.RedisURL, c.cfg.RedisSentinelMaster)
	if err == nil {
		closeRedis = func() { rdb.Close() }
		var opts []storage.Option
		if c.cfg.OAuth != nil && c.cfg.OAuth.Keys != nil {
			opts = append(opts, storage.WithTokenKeys(c.cfg.OAuth.Keys))
		}
		store := storage.New(rdb, opts...)
		if err = store.Ping(ctx); err == nil {
			c.store = store
		}
	}
	if err != nil {
		c.problem("Redis", fmt.Sprintf("Redis at %s does not answer: %v", host, err),
			"start Redis, or set REDIS_URL to where it listens, with its password if it has one (redis://:password@host:port/0)")
		c.skipped("Redis eviction", "Redis does not answer")
		c.skipped("Redis persistence", "Redis does not answer")
		return closeRedis
	}
	c.ok("Redis", "answers at %s", host)

	d, err := c.store.Durability(ctx)
	if err != nil {
		c.problem("Redis eviction", fmt.Sprintf("Redis did not say its maxmemory-policy and persistence: %v", err),
			"run rapport doctor again once Redis answers")
		c.skipped("Redis persistence", "Redis did not answer")
		return closeRedis
	}
	if ev := evictionIssue(d); ev != nil {
		what := ev.what
		if d.Evicts() && c.cfg.AllowEviction {
			what += " (RAPPORT_ALLOW_EVICTION=1 lets Rapport start anyway)"
		}
		c.problem("Redis eviction", what, ev.fix)
	} else {
		c.ok("Redis eviction", "maxmemory-policy %s: Redis never deletes Rapport's keys", d.Policy)
	}
	if per := persistenceIssue(d); per != nil {
		c.problem("Redis persistence", per.what, per.fix)
	} else {
		c.ok("Redis persistence", "%s", map[string]string{storage.PersistAOF: "append-only file (appendonly yes)",
			storage.PersistRDB: "RDB snapshots", storage.PersistAOFRDB: "append-only file and RDB snapshots"}[d.Persistence])
	}
	return closeRedis
}

// settings reads the group's settings as the bot would: the environment's, overridden by what an
// admin chose in /refer settings. Without Redis or the team, the environment's stand.
func (c *checkup) settings(ctx context.Context) {
	if c.store == nil || c.id == nil || c.vars["RAPPORT_TIMEZONE"] != nil {
		return
	}
	s := handlers.NewSettings(c.store, c.id.TeamID, c.cfg.Settings(), time.Now, zap.NewNop())
	if s.Refresh(ctx) == nil {
		c.set = s.Snapshot()
	}
}

// timeZone reports the group's zone (loadConfig proved RAPPORT_TIMEZONE loads) and its time now, for
// the installer to recognise.
func (c *checkup) timeZone() {
	const check = "time zone"
	if c.badVariable(check, "RAPPORT_TIMEZONE") {
		return
	}
	loc, from := c.set.TimeZone, "from RAPPORT_TIMEZONE"
	if loc.String() != c.cfg.TimeZone.String() {
		from = "chosen in /refer settings; RAPPORT_TIMEZONE is " + c.cfg.TimeZone.String()
	}
	c.ok(check, "%s (%s), where it is %s now", loc, from, time.Now().In(loc).Format("Mon 15:04"))
}

// installations checks, with the OAuth install, that every stored bot token opens with the
// keyring (RAPPORT_TOKEN_KEY and RAPPORT_TOKEN_KEY_OLD), and says how many workspaces are installed.
func (c *checkup) installations(ctx context.Context) {
	const check = "installations"
	switch {
	case c.cfg.OAuth == nil:
		return
	case c.vars["RAPPORT_TOKEN_KEY"] != nil || c.vars["RAPPORT_TOKEN_KEY_OLD"] != nil:
		c.skipped(check, "the token key is not valid")
		return
	case c.store == nil:
		c.skipped(check, "Redis does not answer")
		return
	}
	n, after := 0, ""
	var unread []error
	for {
		ins, next, err := c.store.ListInstallations(ctx, after, 500)
		n += len(ins)
		if err != nil {
			unread = append(unread, err)
		}
		if next == "" {
			break
		}
		after = next
	}
	if len(unread) > 0 {
		c.problem(check, fmt.Sprintf("%d workspaces installed and served; some are not: %v", n, errors.Join(unread...)),
			"put the key their tokens were sealed under back in RAPPORT_TOKEN_KEY_OLD, then run rapport rotate-token-key "+
				"to re-seal them under RAPPORT_TOKEN_KEY; if Redis failed, run rapport doctor again")
		return
	}
	c.ok(check, "%d workspaces installed; every bot token opens with RAPPORT_TOKEN_KEY", n)
}
