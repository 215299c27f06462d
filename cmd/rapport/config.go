package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // a slim image still knows every zone

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/install"
	"github.com/rapportbot/rapport/deploy"
	"github.com/rapportbot/rapport/storage"
	"github.com/robfig/cron/v3"
)

// variable is one setting read from the environment.
type variable struct {
	name, def, help string
}

// variables lists every setting with its default; --help prints this table and the README mirrors it.
var variables = []variable{
	{"RAPPORT_MODE", "socket", "socket (one workspace, no public URL: Slack is reached over a WebSocket) or http (Slack POSTs signed requests to /slack/events, /slack/interactivity and /slack/commands on RAPPORT_HTTP_ADDR, behind a public HTTPS URL)"},
	{"SLACK_APP_TOKEN", "", "required in Socket Mode: App-Level token (xapp-…) with connections:write"},
	{"SLACK_SIGNING_SECRET", "", "required in HTTP mode: the app's Signing Secret (Basic Information → App Credentials); requests it did not sign get 401"},
	{"SLACK_BOT_TOKEN", "", "required, but in HTTP mode with the OAuth install (then unset): Bot User OAuth token (xoxb-…)"},
	{"SLACK_CLIENT_ID", "", "HTTP mode: the app's Client ID (Basic Information); set, it turns on the OAuth install at /slack/install, and SLACK_BOT_TOKEN becomes optional"},
	{"SLACK_CLIENT_SECRET", "", "with SLACK_CLIENT_ID: the app's Client Secret"},
	{"RAPPORT_PUBLIC_URL", "", "with SLACK_CLIENT_ID: this deployment's public https base URL; Slack's Redirect URL is its /slack/oauth_redirect"},
	{"RAPPORT_STATE_SECRET", "", "with SLACK_CLIENT_ID: at least 32 bytes signing the OAuth state (openssl rand -base64 32), the same on every replica"},
	{"RAPPORT_TOKEN_KEY", "", "with SLACK_CLIENT_ID: 32 bytes in base64 (openssl rand -base64 32) encrypting installed bot tokens at rest (AES-256-GCM)"},
	{"RAPPORT_TOKEN_KEY_OLD", "", "earlier RAPPORT_TOKEN_KEY values, comma-separated, still decrypting tokens during a key rotation"},
	{"RAPPORT_RETAIN_AFTER_UNINSTALL", "720h", "how long a workspace's data is kept after Rapport is uninstalled from it; then it is deleted"},
	{"SLACK_API_URL", "https://slack.com/api/", "Slack Web API base URL (tests and the demo point it at a fake)"},
	{"REDIS_URL", "redis://localhost:6379/0", "Redis holding all of Rapport's state: one server (redis:// or rediss://), a Redis Cluster (a node and the others as addr=: redis://n1:6379?addr=n2:6379&addr=n3:6379), or with REDIS_SENTINEL_MASTER the sentinels (redis://s1:26379?addr=s2:26379&addr=s3:26379)"},
	{"REDIS_SENTINEL_MASTER", "", "the name of the master Sentinel watches (e.g. mymaster); REDIS_URL then lists the sentinels: its password is theirs, the master's goes in a password= parameter"},
	{"RAPPORT_HTTP_ADDR", ":8080", "address of /healthz and /readyz, and in HTTP mode of Slack's endpoints"},
	{"RAPPORT_RECOGNITION_CHANNEL", "", "channel ID (C…) for public shout-outs; invite Rapport to it"},
	{"RAPPORT_FOLLOWUP_SLA", "24h", "how soon a receiver should act before being nudged"},
	{"RAPPORT_REPORT_BACK_AFTER", "168h", "silence after contacted/meeting before the receiver is asked how it went"},
	{"RAPPORT_SWEEP_SCHEDULE", "@every 1m", "cron spec of the reminder sweep"},
	{"RAPPORT_DIGEST_SCHEDULE", "0 9 * * 1", "cron spec of the weekly digest, in RAPPORT_TIMEZONE"},
	{"RAPPORT_TIMEZONE", "UTC", "the group's IANA time zone (e.g. America/Phoenix)"},
	{"RAPPORT_QUIET_HOURS", "21:00-08:00", "no nudges in this window of each receiver's own time zone; off disables"},
	{"RAPPORT_NUDGE_WEEKENDS", "off", "on nudges on weekends too; off holds a nudge due on the receiver's Saturday or Sunday until Monday 09:00 in their time zone"},
	{"RAPPORT_EXPIRE_AFTER", "2160h", "an open referral with no event this long (2160h is 90 days) closes as expired, both members told"},
	{"RAPPORT_ADMINS", "", "comma-separated user IDs of the group's admins"},
	{"RAPPORT_RATE_LIMITS", "slack", "slack paces calls at Slack's published rates; off lifts the pacing"},
	{"RAPPORT_OUTBOX_RECLAIM_AFTER", "30s", "how long a message held by a live but stuck replica waits before another sends it (a dead replica is taken over in seconds)"},
	{"RAPPORT_STATE_DIR", "", "a directory that outlives restarts (a volume), where a message Slack accepted and Redis did not record by shutdown waits for the next start; empty: $TMPDIR/rapport"},
	{"RAPPORT_ALLOW_EVICTION", "0", "1 starts even if Redis's maxmemory-policy may evict keys (losing referrals); 0 refuses to"},
	{"RAPPORT_MAX_IN_FLIGHT", strconv.Itoa(bot.DefaultMaxInFlight), "envelopes handled at once (and, apart, after-ack jobs); beyond it they are acked at once as busy"},
}

// Config is Rapport's validated configuration.
type Config struct {
	// HTTPMode: Slack's requests come signed to the HTTP endpoints, not over Socket Mode.
	HTTPMode           bool
	AppToken, BotToken string
	SigningSecret      string
	// OAuth is set in HTTP mode when SLACK_CLIENT_ID is: workspaces install Rapport at /slack/install.
	OAuth              *OAuthConfig
	APIURL             string
	RedisURL           string
	HTTPAddr           string
	RecognitionChannel string
	FollowUpSLA        time.Duration
	ReportBackAfter    time.Duration
	SweepSchedule      string
	DigestSchedule     string
	TimeZone           *time.Location
	QuietHours         rapport.QuietHours
	NudgeWeekends      bool
	ExpireAfter        time.Duration
	Admins             []string
	RateLimits         bool
	ReclaimAfter       time.Duration
	// StateDir is where the outbox journals deliveries Redis did not record by shutdown.
	StateDir string
	// AllowEviction lets Rapport run on a Redis whose maxmemory-policy may delete its keys.
	AllowEviction bool
	// MaxInFlight bounds the envelopes handled at once (bot.Config.MaxInFlight).
	MaxInFlight int
	// RedisSentinelMaster names the master Sentinel watches; RedisURL then lists the sentinels.
	RedisSentinelMaster string
}

// varError is what is wrong with one variable: rapport doctor shows each beside the check it belongs to.
type varError struct{ name, msg string }

func (e *varError) Error() string { return e.name + ": " + e.msg }

// loadConfig reads and checks every variable before anything connects; each error names the variable
// and says what is wrong. All problems are reported at once.
func loadConfig(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range variables {
			if v.name == name {
				return v.def
			}
		}
		return ""
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, &varError{name, fmt.Sprintf(format, args...)})
	}
	c := Config{
		AppToken: get("SLACK_APP_TOKEN"), BotToken: get("SLACK_BOT_TOKEN"),
		APIURL: get("SLACK_API_URL"), RedisURL: get("REDIS_URL"), HTTPAddr: get("RAPPORT_HTTP_ADDR"),
		RecognitionChannel: get("RAPPORT_RECOGNITION_CHANNEL"),
		SweepSchedule:      get("RAPPORT_SWEEP_SCHEDULE"), DigestSchedule: get("RAPPORT_DIGEST_SCHEDULE"),
	}
	token := func(name, value, prefix, what string) {
		switch {
		case value == "":
			bad(name, "missing: set it to the %s (%s…) from the Slack app's settings", what, prefix)
		case !strings.HasPrefix(value, prefix):
			bad(name, "must start with %s (it is the %s)", prefix, what)
		}
	}
	switch get("RAPPORT_MODE") {
	case "socket":
		token("SLACK_APP_TOKEN", c.AppToken, "xapp-", "App-Level token")
	case "http":
		c.HTTPMode, c.AppToken = true, ""
		if c.SigningSecret = get("SLACK_SIGNING_SECRET"); c.SigningSecret == "" {
			bad("SLACK_SIGNING_SECRET", "missing: HTTP mode checks every request's signature with it; copy the Signing Secret from the Slack app's Basic Information page")
		}
	default:
		bad("RAPPORT_MODE", "%q must be socket (one workspace over a WebSocket) or http (Slack POSTs to RAPPORT_HTTP_ADDR)", get("RAPPORT_MODE"))
	}
	if c.HTTPMode && get("SLACK_CLIENT_ID") != "" {
		c.OAuth = loadOAuth(get, bad)
		if c.BotToken != "" {
			// Both would serve the token's workspace outside the installs: its uninstall would
			// not stop it, and its data would be purged while it is served.
			bad("SLACK_BOT_TOKEN", "set it (one workspace) or SLACK_CLIENT_ID (workspaces install Rapport at /slack/install), not both")
		}
	}
	if c.OAuth == nil {
		token("SLACK_BOT_TOKEN", c.BotToken, "xoxb-", "Bot User OAuth token")
	}

	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("SLACK_API_URL", "%q is not an http(s) URL", c.APIURL)
	} else if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/" // slack-go joins method names onto it
	}
	// The URL may carry Redis's password: a message quotes it redacted, or not at all.
	c.RedisSentinelMaster = get("REDIS_SENTINEL_MASTER")
	if u, err := url.Parse(c.RedisURL); err != nil {
		bad("REDIS_URL", "is not a URL (redis://[:password@]host:port/db)")
	} else if u.Scheme != "redis" && u.Scheme != "rediss" {
		bad("REDIS_URL", "%q is not a redis:// or rediss:// URL", u.Redacted())
	} else if err := storage.CheckURL(c.RedisURL, c.RedisSentinelMaster); err != nil {
		bad("REDIS_URL", "%s", strings.TrimPrefix(err.Error(), "redis: "))
	}
	switch m := c.RedisSentinelMaster; {
	case m == "":
	case strings.Contains(m, "://") || strings.ContainsAny(m, " \t/@?"):
		bad("REDIS_SENTINEL_MASTER", "%q is not a master's name: give the name Sentinel knows the master by (e.g. mymaster); REDIS_URL lists the sentinels", m)
	case strings.TrimSpace(getenv("REDIS_URL")) == "":
		bad("REDIS_SENTINEL_MASTER", "set REDIS_URL to the sentinels' addresses too (redis://s1:26379?addr=s2:26379&addr=s3:26379)")
	}
	if ch := c.RecognitionChannel; ch != "" && !(strings.HasPrefix(ch, "C") || strings.HasPrefix(ch, "G")) {
		bad("RAPPORT_RECOGNITION_CHANNEL", "%q is not a channel ID: use the ID (C…) from the channel's details, not its name", ch)
	}
	duration := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		switch {
		case err != nil:
			bad(name, "%q is not a duration (e.g. 24h, 90m)", get(name))
		case d <= 0:
			bad(name, "must be positive, not %s", get(name))
		}
		return d
	}
	c.FollowUpSLA = duration("RAPPORT_FOLLOWUP_SLA")
	c.ReportBackAfter = duration("RAPPORT_REPORT_BACK_AFTER")
	c.ReclaimAfter = duration("RAPPORT_OUTBOX_RECLAIM_AFTER")
	if c.ExpireAfter = duration("RAPPORT_EXPIRE_AFTER"); c.ExpireAfter > 0 && (c.ExpireAfter < rapport.MinExpireAfter || c.ExpireAfter > rapport.MaxExpireAfter) {
		bad("RAPPORT_EXPIRE_AFTER", "%s is out of range: use between 24h (a day) and 87600h (3650 days)", get("RAPPORT_EXPIRE_AFTER"))
	}
	if c.StateDir = get("RAPPORT_STATE_DIR"); c.StateDir == "" {
		c.StateDir = filepath.Join(os.TempDir(), "rapport")
	} else if !filepath.IsAbs(c.StateDir) {
		bad("RAPPORT_STATE_DIR", "%q is not an absolute path", c.StateDir)
	}
	for _, name := range []string{"RAPPORT_SWEEP_SCHEDULE", "RAPPORT_DIGEST_SCHEDULE"} {
		if _, err := cron.ParseStandard(get(name)); err != nil {
			bad(name, "%q is not a cron spec (e.g. \"0 9 * * 1\" or \"@every 1m\"): %v", get(name), err)
		}
	}
	loc, err := time.LoadLocation(get("RAPPORT_TIMEZONE"))
	if err != nil {
		bad("RAPPORT_TIMEZONE", "%q is not an IANA time zone (e.g. Europe/London, America/Phoenix)", get("RAPPORT_TIMEZONE"))
	}
	c.TimeZone = loc
	if c.QuietHours, err = rapport.ParseQuietHours(get("RAPPORT_QUIET_HOURS")); err != nil {
		bad("RAPPORT_QUIET_HOURS", "%v", err)
	}
	for _, id := range strings.Split(get("RAPPORT_ADMINS"), ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !(strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W")) || strings.ToUpper(id) != id {
			bad("RAPPORT_ADMINS", "%q is not a user ID (U…): copy it from the member's profile", id)
			continue
		}
		c.Admins = append(c.Admins, id)
	}
	switch get("RAPPORT_NUDGE_WEEKENDS") {
	case "on":
		c.NudgeWeekends = true
	case "off":
	default:
		bad("RAPPORT_NUDGE_WEEKENDS", "%q must be on (nudge on weekends too) or off (wait for Monday 09:00)", get("RAPPORT_NUDGE_WEEKENDS"))
	}
	switch get("RAPPORT_RATE_LIMITS") {
	case "slack":
		c.RateLimits = true
	case "off":
	default:
		bad("RAPPORT_RATE_LIMITS", "%q must be slack or off", get("RAPPORT_RATE_LIMITS"))
	}
	switch get("RAPPORT_ALLOW_EVICTION") {
	case "1":
		c.AllowEviction = true
	case "0":
	default:
		bad("RAPPORT_ALLOW_EVICTION", "%q must be 1 (start even on a Redis that may evict keys) or 0", get("RAPPORT_ALLOW_EVICTION"))
	}
	if n, err := strconv.Atoi(get("RAPPORT_MAX_IN_FLIGHT")); err != nil || n <= 0 {
		bad("RAPPORT_MAX_IN_FLIGHT", "%q must be a positive whole number (e.g. 512)", get("RAPPORT_MAX_IN_FLIGHT"))
	} else {
		c.MaxInFlight = n
	}
	return c, errors.Join(errs...)
}

// OAuthConfig is HTTP mode's OAuth install (SLACK_CLIENT_ID and the variables that go with it).
type OAuthConfig struct {
	ClientID, ClientSecret string
	// RedirectURL is RAPPORT_PUBLIC_URL's /slack/oauth_redirect.
	RedirectURL string
	StateSecret []byte
	Keys        *storage.Keyring
	Retain      time.Duration
}

// loadOAuth reads the OAuth install's variables, reporting each problem through bad.
func loadOAuth(get func(string) string, bad func(name, format string, args ...any)) *OAuthConfig {
	o := &OAuthConfig{ClientID: get("SLACK_CLIENT_ID"), ClientSecret: get("SLACK_CLIENT_SECRET"),
		StateSecret: []byte(get("RAPPORT_STATE_SECRET"))}
	if o.ClientSecret == "" {
		bad("SLACK_CLIENT_SECRET", "missing: with SLACK_CLIENT_ID set, copy the Client Secret from the Slack app's Basic Information page")
	}
	if n := len(o.StateSecret); n < 32 {
		bad("RAPPORT_STATE_SECRET", "is %d bytes; want at least 32 (openssl rand -base64 32), the same on every replica", n)
	}
	if pub, err := deploy.PublicBase(get("RAPPORT_PUBLIC_URL")); err != nil {
		bad("RAPPORT_PUBLIC_URL", "%v; its /slack/oauth_redirect is in the Slack app's Redirect URLs", err)
	} else {
		o.RedirectURL = pub + install.RedirectPath
	}
	var err error
	if o.Keys, err = storage.ParseKeyring(get("RAPPORT_TOKEN_KEY"), get("RAPPORT_TOKEN_KEY_OLD")); err != nil {
		name := "RAPPORT_TOKEN_KEY"
		if strings.HasPrefix(err.Error(), "RAPPORT_TOKEN_KEY_OLD") {
			name = "RAPPORT_TOKEN_KEY_OLD"
		}
		bad(name, "%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), name), " "))
	}
	d, err := time.ParseDuration(get("RAPPORT_RETAIN_AFTER_UNINSTALL"))
	if err != nil || d <= 0 {
		bad("RAPPORT_RETAIN_AFTER_UNINSTALL", "%q is not a positive duration (e.g. 720h for 30 days)", get("RAPPORT_RETAIN_AFTER_UNINSTALL"))
	}
	o.Retain = d
	return o
}

// authorizeURL is Slack's OAuth consent page beside the Web API at apiURL: https://slack.com/oauth/v2/authorize
// for https://slack.com/api/ (a fake Slack serves both the same way).
func authorizeURL(apiURL string) string {
	return strings.TrimSuffix(strings.TrimSuffix(apiURL, "/"), "/api") + "/oauth/v2/authorize"
}

// printVariables writes the configuration table for --help.
func printVariables(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, v := range variables {
		def := v.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.name, def, v.help)
	}
	tw.Flush()
}
