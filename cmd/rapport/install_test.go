package main

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/install"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// startInstallable is a Rapport in HTTP mode with the OAuth install on and no bot token: it serves
// nothing but its install pages until a workspace installs it. It returns the public base URL.
func startInstallable(t *testing.T) (*harness, string) { return startInstallableAt(t, nil) }

// startInstallableAt is startInstallable with the replicas' clock now (nil: time.Now).
func startInstallableAt(t *testing.T, now func() time.Time) (*harness, string) {
	t.Helper()
	ln, base, env := installableEnv(t)
	first := true
	h := launchEnv(t, 1, false, func(d *deps) {
		if first { // the public URL's; replicas started later get listeners of their own
			d.listener, first = ln, false
		}
		d.now = now
	}, env)
	return h, base
}

// installableEnv is the environment of a Rapport in HTTP mode with the OAuth install on and no bot
// token (a fresh token key), with the listener of its public URL, base.
func installableEnv(t testing.TB) (ln net.Listener, base string, env map[string]string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + ln.Addr().String()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return ln, base, map[string]string{
		"RAPPORT_MODE": "http", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "",
		"SLACK_CLIENT_ID": slackfake.ClientID, "SLACK_CLIENT_SECRET": slackfake.ClientSecret,
		"RAPPORT_PUBLIC_URL": base, "RAPPORT_STATE_SECRET": strings.Repeat("s", 32),
		"RAPPORT_TOKEN_KEY": base64.StdEncoding.EncodeToString(key),
	}
}

// installFromBrowser is an admin adding Rapport to the workspace: /slack/install, Slack's consent
// page (the fake's answer), back to /slack/oauth_redirect. It returns the page they end on.
func (h *harness) installFromBrowser(base string) string {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := browser.Get(base + install.InstallPath)
	if err != nil {
		h.t.Fatalf("install: %v", err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("install ended on %d: %s", resp.StatusCode, page)
	}
	return string(page)
}

// TestInstallThenRefer: HTTP mode with OAuth install and no SLACK_BOT_TOKEN. An admin installs
// Rapport from the browser; the installer is DMed the next steps, the group refers at once with the
// installed token, and once Slack says the app was uninstalled the workspace's work stops.
func TestInstallThenRefer(t *testing.T) {
	h, base := startInstallable(t)
	h.fake.Consent(slackfake.Consent{User: "UDAVE"})
	// Before any install, a command from the workspace finds no one to serve it.
	if ack, err := h.alice.command(h.ctx, ""); err != nil || ack.Payload != nil {
		t.Fatalf("a command before the install: ack %s, %v; want a bare ack", ack.Payload, err)
	}

	start := time.Now()
	if page := h.installFromBrowser(base); !strings.Contains(page, "Rapport is installed") {
		t.Fatalf("the install's last page does not say it worked:\n%s", page)
	}
	in, err := h.store.Installation(h.ctx, slackfake.TeamID)
	if err != nil || !in.Installed() || in.Installer != "UDAVE" {
		t.Fatalf("installation = %+v, %v; want installed by UDAVE", in, err)
	}
	h.wait("the installer's welcome", func() bool {
		for _, m := range h.dave.dms() {
			if strings.Contains(m.Text, "Rapport is installed") {
				return true
			}
		}
		return false
	})
	h.referred()
	t.Logf("install to the first referral's DMs: %v", time.Since(start))

	// Slack says the app was uninstalled: the installation goes, and with it the workspace's work.
	if _, err := h.fake.Send(h.ctx, "events_api", h.fake.AppUninstalled()); err != nil {
		t.Fatal(err)
	}
	h.wait("the installation removed", func() bool {
		in, err := h.store.Installation(h.ctx, slackfake.TeamID)
		return err == nil && !in.Installed() && !in.PurgeAfter.IsZero()
	})
	opens := len(h.fake.Calls("views.open"))
	h.wait("the workspace no longer served", func() bool {
		ack, err := h.alice.command(h.ctx, "")
		return err == nil && ack.Payload == nil
	})
	if n := len(h.fake.Calls("views.open")); n != opens {
		t.Errorf("%d forms opened after the uninstall; want none", n-opens)
	}
}

// TestUninstalledDataPurged: a workspace uninstalled more than RAPPORT_RETAIN_AFTER_UNINSTALL ago
// has its data deleted; one reinstalled within it keeps everything.
func TestUninstalledDataPurged(t *testing.T) {
	var ahead atomic.Int64 // how far the replicas' clock runs ahead of the test's
	h, base := startInstallableAt(t, func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) })
	h.fake.Consent(slackfake.Consent{User: "UDAVE"})
	h.installFromBrowser(base)
	h.wait("the installer's welcome", func() bool { return len(h.dave.dms()) == 1 })
	h.referred()
	if _, err := h.fake.Send(h.ctx, "events_api", h.fake.AppUninstalled()); err != nil {
		t.Fatal(err)
	}
	h.wait("the installation removed", func() bool {
		in, err := h.store.Installation(h.ctx, slackfake.TeamID)
		return err == nil && !in.Installed()
	})
	if n := len(h.keys(":{" + slackfake.TeamID + "}:ref:*")); n == 0 {
		t.Fatal("the referral is gone at once; want it kept through the retention")
	}
	// 31 days later a replica starts: the 30 days of retention are over.
	ahead.Store(int64(31 * 24 * time.Hour))
	h.replicas = append(h.replicas, h.spawn(1))
	h.wait("the workspace's data deleted", func() bool { return len(h.keys(":{"+slackfake.TeamID+"}:*")) == 0 })
}

// TestRotateTokenKey: after the key moves to RAPPORT_TOKEN_KEY_OLD and a new one is set,
// `rapport rotate-token-key` re-seals the stored token, and the old key is no longer needed.
func TestRotateTokenKey(t *testing.T) {
	rs := redistest.StartOwn(t)
	ctx := t.Context()
	key := func() string {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return base64.StdEncoding.EncodeToString(k)
	}
	oldKey, newKey := key(), key()
	open := func(current, old string) *storage.Store {
		kr, err := storage.ParseKeyring(current, old)
		if err != nil {
			t.Fatal(err)
		}
		return storage.New(rs.Client(t), storage.WithTokenKeys(kr))
	}
	if err := open(oldKey, "").SaveInstallation(ctx, rapport.Installation{Team: slackfake.TeamID, BotUserID: slackfake.BotUserID,
		BotToken: slackfake.InstalledBotToken, Installer: "UDAVE", InstalledAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	getenv := env("RAPPORT_MODE", "http", "SLACK_SIGNING_SECRET", slackfake.SigningSecret, "REDIS_URL", rs.URL(), "SLACK_BOT_TOKEN", "",
		"SLACK_CLIENT_ID", slackfake.ClientID, "SLACK_CLIENT_SECRET", slackfake.ClientSecret,
		"RAPPORT_PUBLIC_URL", "https://rapport.example.com", "RAPPORT_STATE_SECRET", strings.Repeat("s", 32),
		"RAPPORT_TOKEN_KEY", newKey, "RAPPORT_TOKEN_KEY_OLD", oldKey)
	if err := run(ctx, []string{"rotate-token-key"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("rotate-token-key: %v", err)
	}
	if !strings.Contains(out.String(), "re-sealed 1 bot tokens") {
		t.Errorf("rotate-token-key printed %q; want 1 token re-sealed", out.String())
	}
	// The new key alone now opens the token.
	in, err := open(newKey, "").Installation(ctx, slackfake.TeamID)
	if err != nil || in.BotToken.Reveal() != slackfake.InstalledBotToken {
		t.Errorf("with the new key alone the token reads %v, %v; want the installed token", in.BotToken, err)
	}
}

// TestOAuthConfig: the OAuth install's variables are checked together, each problem named.
func TestOAuthConfig(t *testing.T) {
	_, err := loadConfig(env("RAPPORT_MODE", "http", "SLACK_SIGNING_SECRET", "s", "SLACK_CLIENT_ID", "1.2",
		"RAPPORT_PUBLIC_URL", "http://rapport.example.com", "RAPPORT_STATE_SECRET", "short", "RAPPORT_TOKEN_KEY", "not-base64!"))
	if err == nil {
		t.Fatal("loadConfig accepted a broken OAuth configuration")
	}
	if err := contains(err.Error(),
		"SLACK_BOT_TOKEN: set it (one workspace) or SLACK_CLIENT_ID",
		"SLACK_CLIENT_SECRET: missing",
		"RAPPORT_STATE_SECRET: is 5 bytes; want at least 32",
		"RAPPORT_PUBLIC_URL: public URL \"http://rapport.example.com\": Slack sends its requests over https only",
		"RAPPORT_TOKEN_KEY: is not base64"); err != nil {
		t.Error(err)
	}
}

// TestInstallSeenByEveryReplica: an install and an uninstall taken on one replica reach the other
// on its next look at the installations' version.
func TestInstallSeenByEveryReplica(t *testing.T) {
	h, base := startInstallable(t)
	h.allow(40 * time.Second)
	h.replicas = append(h.replicas, h.spawn(1))
	other := h.replicas[1].app
	h.wait("the second replica started", other.started)
	h.fake.Consent(slackfake.Consent{User: "UDAVE"})
	h.installFromBrowser(base)
	h.wait("the install served by both replicas", func() bool {
		return h.app.serving(slackfake.TeamID) && other.serving(slackfake.TeamID)
	})
	if _, err := h.fake.Send(h.ctx, "events_api", h.fake.AppUninstalled()); err != nil {
		t.Fatal(err)
	}
	h.wait("the uninstall seen by both replicas", func() bool {
		return !h.app.serving(slackfake.TeamID) && !other.serving(slackfake.TeamID)
	})
}

// TestFirstRequestsAfterInstallOnAnotherReplica: an admin installs Rapport through one replica and
// the group starts at once, while the other replica has not yet looked at the installations. A
// request reaching it is not dropped: the person is told to try again in a few seconds, and that
// replica starts the workspace then, not at its next look.
func TestFirstRequestsAfterInstallOnAnotherReplica(t *testing.T) {
	ln, base, env := installableEnv(t)
	first := true
	h := launchEnv(t, 2, false, func(d *deps) {
		if first {
			d.listener, first = ln, false
		}
		d.installCheck = time.Hour // each replica sees its own installs, and what a request wakes
	}, env)
	other := h.replicas[1].app
	h.fake.Consent(slackfake.Consent{User: "UDAVE"})
	h.installFromBrowser(base)
	h.wait("the install served where it was taken", func() bool { return h.app.serving(slackfake.TeamID) })
	if other.serving(slackfake.TeamID) {
		t.Fatal("the other replica serves the workspace before any request reached it")
	}

	// Slack spreads requests over the replicas in turn: of two in a row, one reaches each.
	var helped, told int
	for range 2 {
		ack, err := h.alice.command(h.ctx, "help")
		if err != nil {
			t.Fatal(err)
		}
		switch text := unjson(ack.Payload); {
		case strings.Contains(text, "/refer list"):
			helped++
		case strings.Contains(text, "still starting up in this workspace") && strings.Contains(text, "Try again in a few seconds"):
			told++
		default:
			t.Errorf("/refer help answered %q; want the help, or to try again in a few seconds", text)
		}
	}
	if helped != 1 || told != 1 {
		t.Errorf("of two /refer help, %d helped and %d said to try again; want one each", helped, told)
	}
	h.wait("the other replica serving the workspace its request woke", func() bool { return other.serving(slackfake.TeamID) })
	for range 2 {
		ack, err := h.alice.command(h.ctx, "help")
		if err != nil || !strings.Contains(unjson(ack.Payload), "/refer list") {
			t.Fatalf("/refer help after the wake: %s, %v; want the help from either replica", ack.Payload, err)
		}
	}
}
