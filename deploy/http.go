package deploy

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The paths Rapport serves in HTTP mode, here because the manifest names them and every package
// that serves or calls them (bot, bot/install, the fake Slack) can import deploy.
const (
	PathEvents        = "/slack/events"
	PathInteractivity = "/slack/interactivity"
	PathCommands      = "/slack/commands"
	PathOAuthRedirect = "/slack/oauth_redirect"
	PathInstall       = "/slack/install"
)

// httpEvents are the events only HTTP mode subscribes to: with OAuth, many workspaces share the
// process, and each one's work stops when it uninstalls Rapport or revokes its token. (A Socket
// Mode install is one workspace whose process an operator stops.)
var httpEvents = []string{"app_uninstalled", "tokens_revoked"}

// PublicBase checks that base is where Slack can reach Rapport: an absolute https URL (http only
// on localhost or 127.0.0.1, for testing), without query, fragment or credentials. It returns it
// without a trailing slash, ready for a path to be appended.
func PublicBase(base string) (string, error) {
	const want = "want the https URL Slack reaches Rapport at, such as https://rapport.example.com (http only for localhost or 127.0.0.1)"
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("public URL %q is not an absolute URL: %s", redacted(base, u, err), want)
	}
	switch host := u.Hostname(); {
	case u.Scheme == "https":
	case u.Scheme == "http" && (host == "localhost" || host == "127.0.0.1"):
	default:
		return "", fmt.Errorf("public URL %q: Slack sends its requests over https only: %s", u.Redacted(), want)
	}
	if u.User != nil || strings.ContainsAny(base, "?#") {
		return "", fmt.Errorf("public URL %q has credentials, a query or a fragment: %s", u.Redacted(), want)
	}
	return strings.TrimRight(base, "/"), nil
}

// redacted is base as an error may quote it: without a password, and not at all when it does not
// parse (it might hold one).
func redacted(base string, u *url.URL, err error) string {
	if err != nil {
		return "(unreadable)"
	}
	return u.Redacted()
}

// HTTPManifest is the Slack app manifest for RAPPORT_MODE=http with Rapport reachable at base:
// Manifest (one source: same display information, scopes, command and events) with Socket Mode
// off, each request URL under base, the OAuth redirect URL, the uninstall events, and a header
// that says what to set.
func HTTPManifest(base string) ([]byte, error) {
	base, err := PublicBase(base)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(Manifest, &doc); err != nil {
		return nil, fmt.Errorf("read manifest.yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode || len(doc.Content[0].Content) == 0 {
		return nil, fmt.Errorf("read manifest.yaml: not a mapping")
	}
	root := doc.Content[0]
	first := root.Content[0]
	_, events, ok := strings.Cut(first.HeadComment, "# Events:")
	if !ok {
		return nil, fmt.Errorf("read manifest.yaml: its header has no \"# Events:\" paragraph")
	}
	first.HeadComment = httpHeader(base) + "# Events:" + events + "\n" +
		"# app_uninstalled and tokens_revoked stop a workspace's work when it removes Rapport."

	edits := []struct {
		path []string
		edit func(*yaml.Node) error
	}{
		{[]string{"features", "slash_commands"}, func(cmds *yaml.Node) error {
			if cmds.Kind != yaml.SequenceNode || len(cmds.Content) == 0 {
				return fmt.Errorf("no slash command")
			}
			for _, c := range cmds.Content {
				if err := set(c, "url", str(base+PathCommands), "command"); err != nil {
					return err
				}
			}
			return nil
		}},
		{[]string{"oauth_config"}, func(o *yaml.Node) error {
			urls := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{str(base + PathOAuthRedirect)}}
			return set(o, "redirect_urls", urls, "")
		}},
		{[]string{"settings", "event_subscriptions"}, func(es *yaml.Node) error {
			if err := set(es, "request_url", str(base+PathEvents), ""); err != nil {
				return err
			}
			bot := lookup(es, "bot_events")
			if bot == nil || bot.Kind != yaml.SequenceNode {
				return fmt.Errorf("no bot_events list")
			}
			for _, ev := range httpEvents {
				bot.Content = append(bot.Content, str(ev))
			}
			return nil
		}},
		{[]string{"settings", "interactivity"}, func(in *yaml.Node) error {
			return set(in, "request_url", str(base+PathInteractivity), "is_enabled")
		}},
		{[]string{"settings"}, func(s *yaml.Node) error {
			v := lookup(s, "socket_mode_enabled")
			if v == nil || v.Kind != yaml.ScalarNode {
				return fmt.Errorf("no socket_mode_enabled")
			}
			v.Value = "false"
			return nil
		}},
	}
	for _, e := range edits {
		n := root
		for _, key := range e.path {
			if n = lookup(n, key); n == nil {
				break
			}
		}
		if n == nil {
			return nil, fmt.Errorf("read manifest.yaml: no %s", strings.Join(e.path, "."))
		}
		if err := e.edit(n); err != nil {
			return nil, fmt.Errorf("read manifest.yaml: %s: %w", strings.Join(e.path, "."), err)
		}
	}

	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("write the HTTP manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write the HTTP manifest: %w", err)
	}
	return b.Bytes(), nil
}

// httpHeader is the HTTP manifest's header comment, up to its events paragraph.
func httpHeader(base string) string {
	return `# Slack app manifest for Rapport in HTTP mode (RAPPORT_MODE=http): Slack POSTs its requests to
#   ` + base + `
#
# Install: api.slack.com/apps → Create New App → From an app manifest → paste this file.
# Then, in the app's settings and Rapport's environment:
#   1. Basic Information → App Credentials: the Signing Secret is SLACK_SIGNING_SECRET.
#   2. Start Rapport (RAPPORT_MODE=http) behind that URL; in Event Subscriptions, let Slack verify
#      the Request URL (Rapport answers its signed challenge).
#   3. Many workspaces, each installing through OAuth: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
#      (Basic Information → App Credentials), RAPPORT_STATE_SECRET and RAPPORT_TOKEN_KEY (each
#      openssl rand -base64 32), and RAPPORT_PUBLIC_URL=` + base + `
#      Manage Distribution → Activate Public Distribution lets other workspaces install; share
#      ` + base + PathInstall + `
#      One workspace without OAuth instead: Install App → Install to Workspace; the Bot User
#      OAuth Token (xoxb-…) is SLACK_BOT_TOKEN.
#   4. Invite @rapport to the recognition channel (file uploads need membership).
`
}

// lookup is the value under key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// set puts key: v into mapping m: in place if key is there, else right after the key named after
// ("" for first), or last when after is absent.
func set(m *yaml.Node, key string, v *yaml.Node, after string) error {
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a mapping", key)
	}
	at := 0
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch m.Content[i].Value {
		case key:
			m.Content[i+1] = v
			return nil
		case after:
			at = i + 2
		}
	}
	if after != "" && at == 0 {
		at = len(m.Content)
	}
	m.Content = append(m.Content[:at], append([]*yaml.Node{str(key), v}, m.Content[at:]...)...)
	return nil
}

// str is a plain string scalar.
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}
