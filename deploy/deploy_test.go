package deploy

import (
	"bytes"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// manifest is the part of Slack's app manifest schema that Rapport relies on.
type manifest struct {
	Metadata struct {
		MajorVersion int `yaml:"major_version"`
	} `yaml:"_metadata"`
	DisplayInformation struct {
		Name            string `yaml:"name"`
		Description     string `yaml:"description"`
		LongDescription string `yaml:"long_description"`
		BackgroundColor string `yaml:"background_color"`
	} `yaml:"display_information"`
	Features struct {
		AppHome struct {
			HomeTabEnabled             bool `yaml:"home_tab_enabled"`
			MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName  string `yaml:"display_name"`
			AlwaysOnline bool   `yaml:"always_online"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
		Shortcuts []shortcut `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			BotEvents []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled bool `yaml:"is_enabled"`
		} `yaml:"interactivity"`
		OrgDeployEnabled     bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled    bool `yaml:"socket_mode_enabled"`
		TokenRotationEnabled bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
	Functions map[string]struct {
		Title            string                       `yaml:"title"`
		Description      string                       `yaml:"description"`
		InputParameters  map[string]manifestParameter `yaml:"input_parameters"`
		OutputParameters map[string]manifestParameter `yaml:"output_parameters"`
	} `yaml:"functions"`
}

// manifestParameter is an input or output of a function, with the keys of Slack's custom steps
// (docs.slack.dev/tools/bolt-js/concepts/custom-steps).
type manifestParameter struct {
	Type        string `yaml:"type"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Hint        string `yaml:"hint"`
	IsRequired  bool   `yaml:"is_required"`
	Name        string `yaml:"name"`
}

// shortcut is one of features.shortcuts.
type shortcut struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	CallbackID  string `yaml:"callback_id"`
	Description string `yaml:"description"`
}

func parseManifest(t *testing.T) manifest {
	t.Helper()
	// KnownFields turns a misspelt key (which Slack would reject on paste) into a test failure.
	dec := yaml.NewDecoder(bytes.NewReader(Manifest))
	dec.KnownFields(true)
	var m manifest
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("parse manifest.yaml: %v", err)
	}
	return m
}

func TestManifest(t *testing.T) {
	m := parseManifest(t)

	t.Run("Metadata", func(t *testing.T) {
		if m.Metadata.MajorVersion != 1 {
			t.Errorf("_metadata.major_version = %d, want 1", m.Metadata.MajorVersion)
		}
		if m.DisplayInformation.Name != "Rapport" {
			t.Errorf("display_information.name = %q, want Rapport", m.DisplayInformation.Name)
		}
		// Slack's limits on the display fields: a manifest over them is refused on paste.
		if n := len(m.DisplayInformation.Description); n == 0 || n > 140 {
			t.Errorf("display_information.description has %d characters, want 1..140", n)
		}
		if n := len(m.DisplayInformation.LongDescription); n != 0 && (n < 175 || n > 4000) {
			t.Errorf("display_information.long_description has %d characters, want 175..4000", n)
		}
		if m.Features.BotUser.DisplayName != "rapport" || !m.Features.BotUser.AlwaysOnline {
			t.Errorf("features.bot_user = %+v, want display_name rapport, always_online", m.Features.BotUser)
		}
	})

	t.Run("SocketMode", func(t *testing.T) {
		if !m.Settings.SocketModeEnabled {
			t.Error("settings.socket_mode_enabled is false: Rapport connects over Socket Mode only")
		}
		if m.Settings.TokenRotationEnabled {
			t.Error("settings.token_rotation_enabled is true: Rapport uses a long-lived bot token")
		}
		// Workflow Builder offers an app's steps only when it is org-ready; that changes nothing for
		// a workspace outside an Enterprise organization.
		if len(m.Functions) > 0 && !m.Settings.OrgDeployEnabled {
			t.Error("settings.org_deploy_enabled is false: Workflow Builder would not offer the functions")
		}
	})

	t.Run("SlashCommand", func(t *testing.T) {
		if len(m.Features.SlashCommands) != 1 {
			t.Fatalf("features.slash_commands has %d commands, want only /refer", len(m.Features.SlashCommands))
		}
		c := m.Features.SlashCommands[0]
		if c.Command != "/refer" {
			t.Errorf("slash command = %q, want /refer", c.Command)
		}
		// Escaped mentions (<@U123|name>) are what the parser reads to find the receiver.
		if !c.ShouldEscape {
			t.Error("/refer should_escape is false: mentions would arrive as plain @names")
		}
		if c.Description == "" || c.UsageHint == "" {
			t.Errorf("/refer description %q, usage_hint %q: want both set", c.Description, c.UsageHint)
		}
	})

	t.Run("Shortcuts", func(t *testing.T) {
		// The callback IDs are those the handlers route: a shortcut with another would reach no
		// handler, and Slack would show the person an error after 3 s.
		want := []shortcut{
			{Name: "Refer this", Type: "message", CallbackID: ShortcutReferMessage},
			{Name: "Give a referral", Type: "global", CallbackID: ShortcutGiveReferral},
		}
		got := m.Features.Shortcuts
		if len(got) != len(want) {
			t.Fatalf("features.shortcuts = %+v, want %d shortcuts", got, len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.Name != w.Name || g.Type != w.Type || g.CallbackID != w.CallbackID {
				t.Errorf("shortcut %d = %+v, want %s (%s) with callback_id %s", i, g, w.Name, w.Type, w.CallbackID)
			}
			// The manifest schema's: a description is required, of at most 150 characters.
			if g.Description == "" || len(g.Description) > 150 {
				t.Errorf("shortcut %q: description %q, want 1..150 characters", g.Name, g.Description)
			}
		}
	})

	t.Run("BotScopes", func(t *testing.T) {
		want := []string{"commands", "chat:write", "im:write", "im:history", "users:read", "files:write", "channels:read", "groups:read"}
		got := slices.Clone(m.OAuthConfig.Scopes.Bot)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("oauth_config.scopes.bot = %v, want exactly %v", got, want)
		}
	})

	t.Run("Events", func(t *testing.T) {
		// Every event the handlers route: the Home tab, a DM typed to Rapport, a new member.
		for _, ev := range []string{"app_home_opened", "message.im", "team_join", "function_executed"} {
			if !slices.Contains(m.Settings.EventSubscriptions.BotEvents, ev) {
				t.Errorf("settings.event_subscriptions.bot_events = %v, want %s", m.Settings.EventSubscriptions.BotEvents, ev)
			}
		}
	})

	t.Run("Functions", func(t *testing.T) {
		// Slack's types for a step's parameters; Rapport reads no other.
		types := []string{"string", "boolean", "slack#/types/user_id", "slack#/types/user_context"}
		fs, err := Functions()
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != len(m.Functions) || len(fs) == 0 {
			t.Fatalf("Functions() read %d functions, the manifest has %d; want the same, at least one", len(fs), len(m.Functions))
		}
		for _, f := range fs {
			if n := len(f.Title); n == 0 || f.Description == "" {
				t.Errorf("function %s: title %q, description %q; want both", f.CallbackID, f.Title, f.Description)
			}
			for _, p := range append(append([]Parameter(nil), f.Inputs...), f.Outputs...) {
				if !slices.Contains(types, p.Type) || p.Title == "" {
					t.Errorf("function %s, parameter %s: type %q, title %q; want a type of %v and a title", f.CallbackID, p.Name, p.Type, p.Title, types)
				}
			}
			if len(f.Inputs) != len(m.Functions[f.CallbackID].InputParameters) || len(f.Outputs) == 0 {
				t.Errorf("function %s: %d inputs read, %d outputs; want every input and at least one output", f.CallbackID, len(f.Inputs), len(f.Outputs))
			}
		}
	})

	t.Run("Interactivity", func(t *testing.T) {
		if !m.Settings.Interactivity.IsEnabled {
			t.Error("settings.interactivity.is_enabled is false: buttons and modals would not reach Rapport")
		}
	})

	t.Run("AppHome", func(t *testing.T) {
		h := m.Features.AppHome
		if !h.HomeTabEnabled {
			t.Error("features.app_home.home_tab_enabled is false")
		}
		if !h.MessagesTabEnabled || h.MessagesTabReadOnlyEnabled {
			t.Errorf("features.app_home messages tab = enabled %v, read-only %v; want enabled, writable",
				h.MessagesTabEnabled, h.MessagesTabReadOnlyEnabled)
		}
	})
}
