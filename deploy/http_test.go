package deploy

import (
	"bytes"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// decodeHTTP decodes HTTPManifest(base) twice: into the Socket Mode shape with the request URLs
// added (KnownFields: a key Slack does not know fails), and as the raw text for the header.
func decodeHTTP(t *testing.T, base string) (httpFields, manifest, string) {
	t.Helper()
	out, err := HTTPManifest(base)
	if err != nil {
		t.Fatalf("HTTPManifest(%q): %v", base, err)
	}
	var h httpFields
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(&h); err != nil {
		t.Fatalf("parse the HTTP manifest: %v\n%s", err, out)
	}
	var m manifest
	if err := yaml.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return h, m, string(out)
}

// httpFields is the HTTP manifest's schema: Slack's keys for the request URLs and the redirect URL
// (docs.slack.dev/reference/app-manifest) beside those the Socket Mode manifest uses.
type httpFields struct {
	Metadata           yaml.Node `yaml:"_metadata"`
	DisplayInformation yaml.Node `yaml:"display_information"`
	Functions          yaml.Node `yaml:"functions"`
	Features           struct {
		AppHome       yaml.Node `yaml:"app_home"`
		BotUser       yaml.Node `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
		Shortcuts []shortcut `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuthConfig struct {
		RedirectURLs []string  `yaml:"redirect_urls"`
		Scopes       yaml.Node `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		OrgDeployEnabled     bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled    bool `yaml:"socket_mode_enabled"`
		TokenRotationEnabled bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

func TestHTTPManifest(t *testing.T) {
	const base = "https://rapport.example.com"
	h, m, text := decodeHTTP(t, base)

	t.Run("RequestURLs", func(t *testing.T) {
		if len(h.Features.SlashCommands) != 1 || h.Features.SlashCommands[0].URL != base+"/slack/commands" {
			t.Errorf("slash_commands = %+v, want /refer's url %s/slack/commands", h.Features.SlashCommands, base)
		}
		if got := h.Settings.EventSubscriptions.RequestURL; got != base+"/slack/events" {
			t.Errorf("settings.event_subscriptions.request_url = %q, want %s/slack/events", got, base)
		}
		if got := h.Settings.Interactivity.RequestURL; got != base+"/slack/interactivity" || !h.Settings.Interactivity.IsEnabled {
			t.Errorf("settings.interactivity = %+v, want enabled at %s/slack/interactivity", h.Settings.Interactivity, base)
		}
		if got, want := h.OAuthConfig.RedirectURLs, []string{base + "/slack/oauth_redirect"}; !slices.Equal(got, want) {
			t.Errorf("oauth_config.redirect_urls = %v, want %v", got, want)
		}
	})

	t.Run("NoSocketMode", func(t *testing.T) {
		if h.Settings.SocketModeEnabled {
			t.Error("settings.socket_mode_enabled is true: Slack would send nothing to the request URLs")
		}
		if h.Settings.TokenRotationEnabled || !h.Settings.OrgDeployEnabled {
			t.Errorf("token_rotation_enabled %v, org_deploy_enabled %v: want false and true as in Socket Mode",
				h.Settings.TokenRotationEnabled, h.Settings.OrgDeployEnabled)
		}
	})

	t.Run("SameAppAsSocketMode", func(t *testing.T) {
		// Everything but the HTTP settings is the Socket Mode manifest's, so the two cannot drift.
		want := parseManifest(t)
		want.Settings.SocketModeEnabled = false
		want.Settings.EventSubscriptions.BotEvents = append(want.Settings.EventSubscriptions.BotEvents, "app_uninstalled", "tokens_revoked")
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("HTTP manifest differs from the Socket Mode one beyond its HTTP settings (-want +got):\n%s", diff)
		}
	})

	t.Run("Header", func(t *testing.T) {
		header, _, _ := strings.Cut(text, "\n_metadata:")
		for _, want := range []string{"RAPPORT_MODE=http", "SLACK_SIGNING_SECRET", "Basic Information → App Credentials",
			"SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "RAPPORT_PUBLIC_URL=" + base, "RAPPORT_STATE_SECRET", "RAPPORT_TOKEN_KEY",
			base + "/slack/install", "SLACK_BOT_TOKEN", "# Events: app_home_opened", "app_uninstalled and tokens_revoked"} {
			if !strings.Contains(header, want) {
				t.Errorf("header comment lacks %q:\n%s", want, header)
			}
		}
		for _, socket := range []string{"Socket Mode", "SLACK_APP_TOKEN", "connections:write"} {
			if strings.Contains(header, socket) {
				t.Errorf("header comment still speaks of %q:\n%s", socket, header)
			}
		}
	})

	t.Run("Base", func(t *testing.T) {
		for base, want := range map[string]string{
			"https://rapport.example.com/": "https://rapport.example.com/slack/events",
			"https://example.com/rapport":  "https://example.com/rapport/slack/events",
			"https://example.com:8443":     "https://example.com:8443/slack/events",
			"http://localhost:8080":        "http://localhost:8080/slack/events",
			"http://127.0.0.1:8080/":       "http://127.0.0.1:8080/slack/events",
		} {
			if h, _, _ := decodeHTTP(t, base); h.Settings.EventSubscriptions.RequestURL != want {
				t.Errorf("HTTPManifest(%q) events at %q, want %q", base, h.Settings.EventSubscriptions.RequestURL, want)
			}
		}
	})

	t.Run("ErrBase", func(t *testing.T) {
		for _, base := range []string{"", "rapport.example.com", "/slack", "http://rapport.example.com",
			"ftp://rapport.example.com", "https://", "https://user:pw@rapport.example.com",
			"https://rapport.example.com/?x=1", "https://rapport.example.com/#top", "https://rapport example.com",
			"http://localhost.evil.com", "https://rapport.example.com/\n_metadata: {}"} {
			out, err := HTTPManifest(base)
			if err == nil {
				t.Errorf("HTTPManifest(%q) = a manifest, want an error:\n%s", base, out)
				continue
			}
			// The argument is quoted as url.URL.Redacted shows it (no password), or not at all when
			// it does not parse.
			quoted := strconv.Quote(base)
			if u, err := url.Parse(base); err != nil {
				quoted = `"(unreadable)"`
			} else {
				quoted = strconv.Quote(u.Redacted())
			}
			msg := err.Error()
			if !strings.Contains(msg, quoted) || !strings.Contains(msg, "https://rapport.example.com") {
				t.Errorf("HTTPManifest(%q) error %q: want it to quote %s and show an example", base, msg, quoted)
			}
			if strings.Contains(msg, "pw@") {
				t.Errorf("HTTPManifest(%q) error %q shows the password", base, msg)
			}
		}
	})
}
