package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/deploy"
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
		c.api = slackAPI(cfg, c.scopes)
	}

	c.configuration()
	closeRedis := c.redis(ctx)
	defer closeRedis()
	c.botToken(ctx)
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
var ownVariables = []string{"REDIS_URL", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "RAPPORT_RECOGNITION_CHANNEL", "RAPPORT_TIMEZONE"}

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
	rdb, err := storage.Open(c.cfg.RedisURL)
	if err == nil {
		closeRedis = func() { rdb.Close() }
		store := storage.New(rdb)
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

// botToken proves SLACK_BOT_TOKEN as the start-up does (bot.Connect: auth.test).
func (c *checkup) botToken(ctx context.Context) {
	const check = "bot token"
	if c.badVariable(check, "SLACK_BOT_TOKEN") {
		return
	}
	if c.api == nil {
		c.skipped(check, "SLACK_API_URL is not valid")
		return
	}
	id, err := bot.Connect(ctx, c.api)
	if err != nil {
		c.slackProblem(check, err)
		return
	}
	c.id = &id
	c.ok(check, "%s is the bot user %s in %s (%s)", hint(c.cfg.BotToken), id.UserID, id.Team, id.TeamID)
}

// slackProblem reports a refused token with its fix, and any other failure as Slack out of reach.
func (c *checkup) slackProblem(check string, err error) {
	var te *bot.TokenError
	if errors.As(err, &te) {
		c.problem(check, te.Problem, te.Fix)
		return
	}
	c.problem(check, err.Error(), fmt.Sprintf("check that this machine reaches Slack's Web API at %s (SLACK_API_URL)", c.cfg.APIURL))
}

// grantedScopes compares the scopes Slack granted the bot token (X-OAuth-Scopes of auth.test's
// reply) with the manifest's.
func (c *checkup) grantedScopes() {
	const check = "scopes"
	if c.id == nil {
		c.skipped(check, "needs a bot token Slack accepts")
		return
	}
	want, err := deploy.BotScopes()
	if err != nil {
		c.problem(check, err.Error(), "rebuild rapport from an unmodified source")
		return
	}
	granted, told := c.scopes.get()
	if !told {
		c.problem(check, "Slack's reply to auth.test named no granted scopes (no X-OAuth-Scopes header)",
			fmt.Sprintf("check that SLACK_API_URL (%s) is Slack's Web API, https://slack.com/api/", c.cfg.APIURL))
		return
	}
	var missing []string
	for _, s := range want {
		if !slices.Contains(granted, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		c.problem(check, fmt.Sprintf("the bot token lacks %s, which the manifest asks for", strings.Join(missing, ", ")),
			"in the app's settings at https://api.slack.com/apps add them (OAuth & Permissions → Bot Token Scopes, or paste "+
				"the output of `rapport manifest` in App Manifest), then reinstall the app (Install App → Reinstall to Workspace)")
		return
	}
	c.ok(check, "the bot token has the manifest's %d scopes (%s)", len(want), strings.Join(want, ", "))
}

// modeSettings checks what the connection mode needs of its own. Socket Mode, the only mode so far,
// needs SLACK_APP_TOKEN: an xapp- token (loadConfig) that Slack accepts (bot.CheckAppToken). Another
// mode's settings (HTTP mode's SLACK_SIGNING_SECRET, …) are checked here under its own name.
func (c *checkup) modeSettings(ctx context.Context) {
	const check = "Socket Mode"
	if c.badVariable(check, "SLACK_APP_TOKEN") {
		return
	}
	if c.api == nil {
		c.skipped(check, "SLACK_API_URL is not valid")
		return
	}
	if err := bot.CheckAppToken(ctx, c.api); err != nil {
		c.slackProblem(check, err)
		return
	}
	c.ok(check, "SLACK_APP_TOKEN %s opens connections", hint(c.cfg.AppToken))
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

// recognitionChannel checks that the channel exists and that Rapport is in it: posts there and the
// digest's chart upload need membership.
func (c *checkup) recognitionChannel(ctx context.Context) {
	const check = "recognition channel"
	if c.badVariable(check, "RAPPORT_RECOGNITION_CHANNEL") {
		return
	}
	id, from := c.set.RecognitionChannel, "from RAPPORT_RECOGNITION_CHANNEL"
	if id != c.cfg.RecognitionChannel {
		from = "chosen in /refer settings"
	}
	if id == "" {
		c.ok(check, "none set, so shout-outs, thanks and the weekly digest are not posted "+
			"(set RAPPORT_RECOGNITION_CHANNEL or choose one in /refer settings)")
		return
	}
	if c.id == nil {
		c.skipped(check, "needs a bot token Slack accepts")
		return
	}
	invite := "in the channel, type /invite @Rapport"
	ch, err := c.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "channel_not_found":
		c.problem(check, fmt.Sprintf("%s (%s) is not found (channel_not_found): no such channel, or a private one Rapport is not in", id, from),
			"if it is private, "+invite+"; otherwise copy the ID (C…) from the bottom of the channel's details")
	case errors.As(err, &se) && se.Err == "not_in_channel":
		c.problem(check, fmt.Sprintf("Rapport is not in %s (not_in_channel)", id), invite)
	case errors.As(err, &se) && se.Err == "missing_scope":
		c.problem(check, "Slack refused conversations.info (missing_scope)", "grant the scopes named under scopes above")
	case err != nil:
		c.slackProblem(check, fmt.Errorf("conversations.info: %w", err))
	case ch.IsArchived:
		c.problem(check, fmt.Sprintf("#%s (%s) is archived", ch.Name, id),
			"unarchive it, or choose another channel (RAPPORT_RECOGNITION_CHANNEL or /refer settings)")
	case !ch.IsMember:
		c.problem(check, fmt.Sprintf("Rapport is not a member of #%s (%s): its posts there are refused (not_in_channel)", ch.Name, id),
			"in #"+ch.Name+", type /invite @Rapport")
	default:
		c.ok(check, "#%s (%s, %s): Rapport is a member", ch.Name, id, from)
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

// hint shows a token as its first 5 characters (its kind: xoxb-, xapp-) and no more.
func hint(token string) string {
	if len(token) > 12 {
		return token[:5] + "…"
	}
	return "…"
}

// grantedScopes is a RoundTripper that keeps the X-OAuth-Scopes header of auth.test's reply: the
// scopes Slack granted the bot token, which slack-go does not expose.
type grantedScopes struct {
	next http.RoundTripper

	mu     sync.Mutex
	scopes []string
	told   bool
}

func (g *grantedScopes) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/auth.test") {
		return resp, err
	}
	if v, ok := resp.Header[http.CanonicalHeaderKey("X-OAuth-Scopes")]; ok {
		var scopes []string
		for _, s := range strings.Split(strings.Join(v, ","), ",") {
			if s = strings.TrimSpace(s); s != "" {
				scopes = append(scopes, s)
			}
		}
		g.mu.Lock()
		g.scopes, g.told = scopes, true
		g.mu.Unlock()
	}
	return resp, err
}

func (g *grantedScopes) get() ([]string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.scopes, g.told
}
