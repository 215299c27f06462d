package main

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/install"
	"github.com/rapportbot/rapport/deploy"
	"github.com/rapportbot/rapport/handlers"
	"github.com/rapportbot/rapport/handlers/notify"
)

func TestManifestCommand(t *testing.T) {
	t.Run("Socket", func(t *testing.T) {
		for _, args := range [][]string{{"manifest"}, {"manifest", "socket"}} {
			var out, errOut bytes.Buffer
			if err := run(context.Background(), args, env(), &out, &errOut); err != nil {
				t.Fatalf("rapport %s: %v", strings.Join(args, " "), err)
			}
			if !bytes.Equal(out.Bytes(), deploy.Manifest) {
				t.Errorf("rapport %s printed:\n%s\nwant deploy/manifest.yaml", strings.Join(args, " "), out.String())
			}
		}
	})

	t.Run("HTTP", func(t *testing.T) {
		// The URLs are the routes Rapport serves in HTTP mode, read from the code that serves them.
		const base = "https://x.example"
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"manifest", "http", base + "/"}, env(), &out, &errOut); err != nil {
			t.Fatalf("rapport manifest http: %v", err)
		}
		var m struct {
			Features struct {
				SlashCommands []struct {
					Command string `yaml:"command"`
					URL     string `yaml:"url"`
				} `yaml:"slash_commands"`
			} `yaml:"features"`
			OAuthConfig struct {
				RedirectURLs []string `yaml:"redirect_urls"`
			} `yaml:"oauth_config"`
			Settings struct {
				EventSubscriptions struct {
					RequestURL string `yaml:"request_url"`
				} `yaml:"event_subscriptions"`
				Interactivity struct {
					RequestURL string `yaml:"request_url"`
				} `yaml:"interactivity"`
				SocketModeEnabled bool `yaml:"socket_mode_enabled"`
			} `yaml:"settings"`
		}
		if err := yaml.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("parse the printed manifest: %v\n%s", err, out.String())
		}
		if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].URL != base+bot.PathCommands {
			t.Errorf("features.slash_commands = %+v, want /refer at %s", m.Features.SlashCommands, base+bot.PathCommands)
		}
		for _, c := range []struct{ what, got, want string }{
			{"settings.event_subscriptions.request_url", m.Settings.EventSubscriptions.RequestURL, base + bot.PathEvents},
			{"settings.interactivity.request_url", m.Settings.Interactivity.RequestURL, base + bot.PathInteractivity},
		} {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
			}
		}
		if want := []string{base + install.RedirectPath}; !slices.Equal(m.OAuthConfig.RedirectURLs, want) {
			t.Errorf("oauth_config.redirect_urls = %v, want %v", m.OAuthConfig.RedirectURLs, want)
		}
		if m.Settings.SocketModeEnabled {
			t.Error("settings.socket_mode_enabled is true in the HTTP manifest")
		}
		if !strings.Contains(out.String(), base+install.InstallPath) {
			t.Errorf("the header does not name the install page %s:\n%s", base+install.InstallPath, out.String())
		}
	})

	t.Run("ErrBaseURL", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"manifest", "http", "http://x.example"}, env(), &out, &errOut)
		if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "BASE_URL") ||
			!strings.Contains(err.Error(), `"http://x.example"`) || !strings.Contains(err.Error(), "https") {
			t.Errorf("rapport manifest http http://x.example: err = %v; want one naming BASE_URL, the value and https", err)
		}
		if out.Len() != 0 {
			t.Errorf("printed a manifest for a refused URL:\n%s", out.String())
		}
	})

	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{{"manifest", "https"}, {"manifest", "http"}, {"manifest", "socket", "https://x.example"}} {
			var out, errOut bytes.Buffer
			err := run(context.Background(), args, env(), &out, &errOut)
			if !errors.Is(err, errUsage) {
				t.Errorf("rapport %s: err = %v, want a usage error", strings.Join(args, " "), err)
			}
			if msg := errOut.String(); !strings.Contains(msg, "socket") || !strings.Contains(msg, "http") || !strings.Contains(msg, "BASE_URL") {
				t.Errorf("rapport %s told:\n%s\nwant the modes socket and http BASE_URL named", strings.Join(args, " "), msg)
			}
			if out.Len() != 0 {
				t.Errorf("rapport %s printed:\n%s", strings.Join(args, " "), out.String())
			}
		}
	})
}

// TestManifestStep: the Workflow Builder step the manifest declares is the one the handlers serve:
// its callback ID, its inputs in order, of the types the handlers read (the person who ran the
// workflow as the giver, a member's ID, text, a fact as true or false) and required as the form's fields are, and its output, the one the catalogue completes a run with.
func TestManifestStep(t *testing.T) {
	fs, err := deploy.Functions()
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].CallbackID != handlers.StepCallback {
		t.Fatalf("the manifest's functions = %+v; want the one step %s", fs, handlers.StepCallback)
	}
	types := map[string]string{
		handlers.StepGiver: "slack#/types/user_context", handlers.StepReceiver: "slack#/types/user_id",
		handlers.StepProspect: "string", handlers.StepContact: "string", handlers.StepNeed: "string",
		handlers.FactSpoke: "boolean", handlers.FactMayShare: "boolean", handlers.FactExpects: "boolean",
		handlers.StepCompany: "string", handlers.StepBestTime: "string", handlers.StepNote: "string",
	}
	// Required as the form's fields are: the facts, the company, the best time and the note may be left out.
	optional := map[string]bool{handlers.FactSpoke: true, handlers.FactMayShare: true, handlers.FactExpects: true,
		handlers.StepCompany: true, handlers.StepBestTime: true, handlers.StepNote: true}
	var got []string
	for _, p := range fs[0].Inputs {
		got = append(got, p.Name)
		if p.Type != types[p.Name] {
			t.Errorf("input %s has type %q; the handlers read it as %q", p.Name, p.Type, types[p.Name])
		}
		if p.Required == optional[p.Name] {
			t.Errorf("input %s is_required %v; want it required as the form's field is", p.Name, p.Required)
		}
	}
	if !slices.Equal(got, handlers.StepInputs) {
		t.Errorf("the step's inputs = %v; the handlers read %v", got, handlers.StepInputs)
	}
	if out := fs[0].Outputs; len(out) != 1 || out[0].Name != notify.StepOutputReferral || out[0].Type != "string" || !out[0].Required {
		t.Errorf("the step's outputs = %+v; want the one string %s, required", out, notify.StepOutputReferral)
	}
}
