//go:build unix

package main

// rapport doctor (issue 12, item 7): through run(ctx, {"doctor"}, …), against the fake Slack and
// redis-servers configured as an operator would.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/deploy"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// sound are the options of a Redis Rapport is content with: it never evicts, and it persists.
var sound = []string{"--maxmemory-policy", "noeviction", "--appendonly", "yes"}

// runDoctor runs `rapport doctor` against fake and the Redis at redisURL, in a sound environment
// changed by kv, and returns what it printed and its error.
func runDoctor(t *testing.T, fake *slackfake.Server, redisURL string, kv ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	getenv := env(append([]string{"SLACK_APP_TOKEN", slackfake.AppToken, "SLACK_BOT_TOKEN", slackfake.BotToken,
		"SLACK_API_URL", fake.APIURL(), "REDIS_URL", redisURL, "RAPPORT_TIMEZONE", "America/Phoenix",
		"RAPPORT_RECOGNITION_CHANNEL", slackfake.GeneralChannelID}, kv...)...)
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"doctor"}, getenv, &out, &errOut)
	if errOut.Len() > 0 {
		t.Errorf("doctor wrote to stderr: %s", errOut.String())
	}
	for _, secret := range []string{slackfake.BotToken, slackfake.AppToken, "fake-bot", "fake-app"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("doctor's output shows a token (%q):\n%s", secret, out.String())
		}
	}
	return out.String(), err
}

func TestDoctorAllOK(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	rs := redistest.StartOwn(t, sound...)
	out, err := runDoctor(t, fake, rs.URL())
	if err != nil {
		t.Errorf("doctor = %v, want no error (exit 0). It printed:\n%s", err, out)
	}
	scopes, _ := deploy.BotScopes()
	want := strings.Join([]string{
		"ok       configuration: every variable is valid",
		"ok       Redis: answers at " + rs.Addr(),
		"ok       Redis eviction: maxmemory-policy noeviction: Redis never deletes Rapport's keys",
		"ok       Redis persistence: append-only file (appendonly yes)",
		"ok       bot token: xoxb-… is the bot user UBOT in Fake Team (T0FAKE)",
		"ok       scopes: the bot token has the manifest's 8 scopes (" + strings.Join(scopes, ", ") + ")",
		"ok       Socket Mode: SLACK_APP_TOKEN xapp-… opens connections",
		"ok       recognition channel: #general (C0GENERAL, from RAPPORT_RECOGNITION_CHANNEL): Rapport is a member",
		"ok       time zone: America/Phoenix (from RAPPORT_TIMEZONE), where it is DAY HH:MM now",
	}, "\n") + "\n"
	got := regexp.MustCompile(`where it is \w{3} \d\d:\d\d now`).ReplaceAllString(out, "where it is DAY HH:MM now")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("doctor's output (-want +got):\n%s", diff)
	}
	if n := fake.Connections(); n != 0 {
		t.Errorf("%d sockets left open by doctor, want none", n)
	}
}

// TestDoctorSettings: the channel and zone an admin chose in /refer settings are the ones checked.
func TestDoctorSettings(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	rs := redistest.StartOwn(t, sound...)
	if err := storage.New(rs.Client(t)).PutSettings(t.Context(), slackfake.TeamID, "E1", map[string]string{
		rapport.SetRecognitionChannel: "C0SHOUTS", rapport.SetTimeZone: "Europe/London"}, rapport.OutboxEntry{}); err != nil {
		t.Fatal(err)
	}
	fake.RemoveBot("C0SHOUTS")
	out, err := runDoctor(t, fake, rs.URL())
	if err == nil {
		t.Errorf("doctor = nil, want the problem of a channel Rapport is not in. It printed:\n%s", out)
	}
	wantLines(t, out,
		"problem  recognition channel: Rapport is not a member of #c0shouts (C0SHOUTS)",
		"ok       time zone: Europe/London (chosen in /refer settings; RAPPORT_TIMEZONE is America/Phoenix)")
}

func TestDoctorProblems(t *testing.T) {
	good := redistest.StartOwn(t, sound...)
	down := redistest.StartOwn(t)
	down.Stop()
	manifest, _ := deploy.BotScopes()
	tests := []struct {
		name      string
		redisArgs []string                // a Redis of the test's own; nil: a sound one
		redisURL  string                  // instead of either
		env       []string                // changes to the sound environment
		slack     func(*slackfake.Server) // the workspace's state
		want      [][2]string             // each problem's line and its fix's, by prefix
		also      []string                // other lines, by prefix
	}{
		// First: go-redis retries a failed dial on a goroutine of its own for a second after.
		{name: "RedisDown", redisURL: down.URL(),
			want: [][2]string{{"problem  Redis: Redis at " + down.Addr() + " does not answer", "         fix: start Redis, or set REDIS_URL to where it listens"}},
			also: []string{"skipped  Redis eviction: not checked: Redis does not answer", "ok       bot token:", "ok       recognition channel:"}},
		{name: "AllKeysLRU", redisArgs: []string{"--maxmemory-policy", "allkeys-lru", "--appendonly", "yes"},
			want: [][2]string{{"problem  Redis eviction: Redis's maxmemory-policy is allkeys-lru: when its memory is full it deletes keys",
				"         fix: Set maxmemory-policy noeviction (in redis.conf"}},
			also: []string{"ok       Redis persistence: append-only file"}},
		{name: "AllKeysLRUAllowed", redisArgs: []string{"--maxmemory-policy", "allkeys-lru", "--appendonly", "yes"}, env: []string{"RAPPORT_ALLOW_EVICTION", "1"},
			want: [][2]string{{"problem  Redis eviction: Redis's maxmemory-policy is allkeys-lru", "         fix: Set maxmemory-policy noeviction"}}},
		{name: "MemoryOnly", redisArgs: []string{"--maxmemory-policy", "noeviction"},
			want: [][2]string{{"problem  Redis persistence: Redis keeps Rapport's state in memory only", "         fix: set appendonly yes (or RDB save rules)"}},
			also: []string{"ok       Redis eviction: maxmemory-policy noeviction"}},
		{name: "MissingScopes", slack: func(s *slackfake.Server) {
			s.SetScopes(slices.DeleteFunc(slices.Clone(manifest), func(sc string) bool { return sc == "files:write" || sc == "groups:read" })...)
		},
			want: [][2]string{{"problem  scopes: the bot token lacks files:write, groups:read, which the manifest asks for",
				"         fix: in the app's settings at https://api.slack.com/apps add them (OAuth & Permissions → Bot Token Scopes, or paste the output of `rapport manifest` in App Manifest), then reinstall the app (Install App → Reinstall to Workspace)"}}},
		{name: "NotInChannel", slack: func(s *slackfake.Server) { s.RemoveBot(slackfake.GeneralChannelID) },
			want: [][2]string{{"problem  recognition channel: Rapport is not a member of #general (C0GENERAL): its posts there are refused (not_in_channel)",
				"         fix: in #general, type /invite @Rapport"}}},
		{name: "PrivateChannelNotFound", env: []string{"RAPPORT_RECOGNITION_CHANNEL", "G0SECRET"}, slack: func(s *slackfake.Server) { s.RemoveBot("G0SECRET") },
			want: [][2]string{{"problem  recognition channel: G0SECRET (from RAPPORT_RECOGNITION_CHANNEL) is not found (channel_not_found)",
				"         fix: if it is private, in the channel, type /invite @Rapport; otherwise copy the ID"}}},
		{name: "NoChannelScope", slack: func(s *slackfake.Server) { s.SetScopes("commands", "chat:write") },
			want: [][2]string{{"problem  scopes: the bot token lacks", "         fix:"},
				{"problem  recognition channel: Slack refused conversations.info (missing_scope)", "         fix: grant the scopes named under scopes above"}}},
		{name: "RefusedBotToken", slack: func(s *slackfake.Server) { s.RefuseBotToken("invalid_auth") },
			want: [][2]string{{"problem  bot token: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)",
				"         fix: copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page"}},
			also: []string{"skipped  scopes: not checked: needs a bot token Slack accepts", "ok       Socket Mode:",
				"skipped  recognition channel: not checked: needs a bot token Slack accepts"}},
		{name: "RefusedAppToken", env: []string{"SLACK_APP_TOKEN", "xapp-1-not-this-app"},
			want: [][2]string{{"problem  Socket Mode: SLACK_APP_TOKEN was refused by Slack (invalid_auth)",
				"         fix: generate an App-Level Token with the scope connections:write"}},
			also: []string{"ok       bot token:"}},
		{name: "BotTokenAsAppToken", env: []string{"SLACK_APP_TOKEN", slackfake.BotToken},
			want: [][2]string{{"problem  Socket Mode: SLACK_APP_TOKEN: must start with xapp- (it is the App-Level token)",
				"         fix: correct SLACK_APP_TOKEN in the environment"}}},
		{name: "Configuration", env: []string{"RAPPORT_TIMEZONE", "Mars/Olympus", "RAPPORT_QUIET_HOURS", "often"},
			want: [][2]string{{"problem  configuration: RAPPORT_QUIET_HOURS:", "         fix: correct RAPPORT_QUIET_HOURS in the environment (`rapport help` lists every variable)"},
				{`problem  time zone: RAPPORT_TIMEZONE: "Mars/Olympus" is not an IANA time zone`, "         fix: correct RAPPORT_TIMEZONE"}},
			also: []string{"ok       Redis:", "ok       bot token:", "ok       recognition channel:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := slackfake.New()
			t.Cleanup(fake.Close)
			if tt.slack != nil {
				tt.slack(fake)
			}
			url := good.URL()
			switch {
			case tt.redisURL != "":
				url = tt.redisURL
			case tt.redisArgs != nil:
				url = redistest.StartOwn(t, tt.redisArgs...).URL()
			}
			out, err := runDoctor(t, fake, url, tt.env...)
			if err == nil || !strings.Contains(err.Error(), "doctor found") {
				t.Errorf("doctor = %v, want it to report problems (exit 1)", err)
			}
			lines := strings.Split(out, "\n")
			for _, w := range tt.want {
				i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, w[0]) })
				switch {
				case i < 0:
					t.Errorf("no line %q in:\n%s", w[0], out)
				case i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], w[1]):
					t.Errorf("line %q is not followed by %q in:\n%s", w[0], w[1], out)
				}
			}
			wantLines(t, out, tt.also...)
			if n := strings.Count(out, "problem  "); n != len(tt.want) {
				t.Errorf("%d problems printed, want %d:\n%s", n, len(tt.want), out)
			}
		})
	}
}

// wantLines checks that out has a line starting with each of prefixes.
func wantLines(t *testing.T, out string, prefixes ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, p := range prefixes {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, p) }) {
			t.Errorf("no line %q in:\n%s", p, out)
		}
	}
}

// TestDoctorHTTPMode: HTTP mode needs the signing secret, not the app token.
func TestDoctorHTTPMode(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	rs := redistest.StartOwn(t, sound...)
	out, err := runDoctor(t, fake, rs.URL(), "RAPPORT_MODE", "http", "SLACK_APP_TOKEN", "")
	if err == nil {
		t.Errorf("doctor in HTTP mode without a signing secret = nil error; want exit 1. It printed:\n%s", out)
	}
	if err := contains(out, "problem  HTTP mode: SLACK_SIGNING_SECRET: missing", "fix: correct SLACK_SIGNING_SECRET"); err != nil {
		t.Error(err)
	}
	out, err = runDoctor(t, fake, rs.URL(), "RAPPORT_MODE", "http", "SLACK_APP_TOKEN", "",
		"SLACK_SIGNING_SECRET", slackfake.SigningSecret)
	if err != nil {
		t.Errorf("doctor in HTTP mode = %v; want exit 0. It printed:\n%s", err, out)
	}
	if err := contains(out, "ok       HTTP mode: SLACK_SIGNING_SECRET is set; Slack's requests come to /slack/events, /slack/interactivity and /slack/commands on :8080"); err != nil {
		t.Error(err)
	}
	if strings.Contains(out, slackfake.SigningSecret) {
		t.Errorf("doctor's output shows the signing secret:\n%s", out)
	}
}

// TestDoctorInstallations: with the OAuth install, the doctor says how many workspaces are
// installed, and names a token the keyring cannot open.
func TestDoctorInstallations(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	rs := redistest.StartOwn(t, sound...)
	key := func() string {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return base64.StdEncoding.EncodeToString(k)
	}
	sealedUnder, other := key(), key()
	kr, err := storage.ParseKeyring(sealedUnder, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.New(rs.Client(t), storage.WithTokenKeys(kr)).SaveInstallation(t.Context(), rapport.Installation{
		Team: slackfake.TeamID, BotUserID: slackfake.BotUserID, BotToken: slackfake.InstalledBotToken, InstalledAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	oauth := func(tokenKey string) []string {
		return []string{"RAPPORT_MODE", "http", "SLACK_SIGNING_SECRET", slackfake.SigningSecret, "SLACK_APP_TOKEN", "",
			"SLACK_BOT_TOKEN", "", "SLACK_CLIENT_ID", slackfake.ClientID, "SLACK_CLIENT_SECRET", slackfake.ClientSecret,
			"RAPPORT_PUBLIC_URL", "https://rapport.example.com", "RAPPORT_STATE_SECRET", strings.Repeat("s", 32),
			"RAPPORT_TOKEN_KEY", tokenKey}
	}
	out, err := runDoctor(t, fake, rs.URL(), oauth(other)...)
	if err == nil {
		t.Errorf("doctor with a key that opens no token = nil error; want exit 1. It printed:\n%s", out)
	}
	if err := contains(out, "problem  installations: 0 workspaces installed and served; some are not", "open "+slackfake.TeamID+"'s bot token",
		"fix: put the key their tokens were sealed under back in RAPPORT_TOKEN_KEY_OLD"); err != nil {
		t.Error(err)
	}
	out, err = runDoctor(t, fake, rs.URL(), oauth(sealedUnder)...)
	if err != nil {
		t.Errorf("doctor with the right key = %v; want exit 0. It printed:\n%s", err, out)
	}
	if err := contains(out, "ok       installations: 1 workspaces installed; every bot token opens with RAPPORT_TOKEN_KEY",
		"skipped  bot token: not checked: no SLACK_BOT_TOKEN"); err != nil {
		t.Error(err)
	}
	if strings.Contains(out, sealedUnder) || strings.Contains(out, slackfake.InstalledBotToken) {
		t.Errorf("doctor's output shows the token key or a token:\n%s", out)
	}
}
