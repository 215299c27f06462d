package main

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/install"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// startInstallable is a Rapport in HTTP mode with the OAuth install on and no bot token: it serves
// nothing but its install pages until a workspace installs it. It returns the public base URL.
func startInstallable(t *testing.T) (*harness, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	h := launchEnv(t, 1, false, func(d *deps) { d.listener = ln }, map[string]string{
		"RAPPORT_MODE": "http", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "",
		"SLACK_CLIENT_ID": slackfake.ClientID, "SLACK_CLIENT_SECRET": slackfake.ClientSecret,
		"RAPPORT_PUBLIC_URL": base, "RAPPORT_STATE_SECRET": strings.Repeat("s", 32),
		"RAPPORT_TOKEN_KEY": base64.StdEncoding.EncodeToString(key),
	})
	return h, base
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
