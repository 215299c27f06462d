package slackfake

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// Workspace is one Slack workspace (team) the fake serves, with Rapport installed in it: its
// members, the bot's DMs and messages, the views and Home tabs it showed, its uploads, and the
// faults a test injects into its Web API. One Server serves every workspace behind one API URL,
// as Slack does: the token of each call selects the workspace whose state it reads and writes,
// and every workspace's envelopes reach the one app through the same sockets or HTTP targets.
//
// The Server's own builders and inspectors (SlashCommand, DMs, FailNext…) are those of its
// default workspace, TeamID; AddWorkspace adds others. All methods are safe for concurrent use.
type Workspace struct {
	s *Server

	// Fixed at creation.
	id, name, domain         string
	botToken, installedToken string
	botUserID, botID         string

	// Guarded by s.mu.
	botRefused string          // when set, every call with the bot token answers this error (a revoked token)
	scopes     []string        // granted to the bot token (X-OAuth-Scopes)
	outside    map[string]bool // channels the bot is not in: posting there is not_in_channel
	failures   map[string]*failure
	slow       map[string]*rateNext // SlowNext: replies held back after the call's work
	rateNext   map[string]*rateNext
	limits     map[string]*sustainedLimit
	users      []slack.User
	dms        map[string]string // user id → D… id
	messages   []Message
	views      []View
	homeViews  map[string]string  // user id → view id of the published home tab
	uploads    map[string]*upload // file id → upload in any step
	completed  []string           // file ids in completion order

	// Runs of the app's workflow steps (functions.go), by function_execution_id, and those the app
	// completed, in order.
	executions  map[string]*execution
	completions []Completion
	// viewState (guarded by s.mu) is what each view's inputs hold (viewstate.go): view id →
	// block_id → action_id → the value as state.values has it.
	viewState map[string]map[string]map[string]any
}

// AddWorkspace makes the fake serve another workspace, id (a T… id, not one served already), named
// name, with users besides its Slackbot and its bot user. The app is installed there already:
// BotToken is its bot token and the manifest's scopes are granted; an OAuth install into it
// (Consent{Team: id}) issues InstalledBotToken, which its Web API takes as well.
func (s *Server) AddWorkspace(id, name string, users ...slack.User) *Workspace {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" || s.teams[id] != nil {
		panic(fmt.Sprintf("slackfake: AddWorkspace(%q): an empty or already served team id", id))
	}
	lower := strings.ToLower(id)
	w := s.newWorkspaceLocked(id, name, lower, "xoxb-"+lower+"-bot", "xoxb-"+lower+"-fake-installed-token",
		"U"+id+"BOT", "B"+id)
	for _, u := range users {
		w.addUserLocked(u)
	}
	s.notifyLocked()
	return w
}

// Workspace is the workspace id the fake serves (TeamID is the default one), or nil.
func (s *Server) Workspace(id string) *Workspace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.teams[id]
}

// newWorkspaceLocked adds a workspace with its Slackbot and bot user and the manifest's scopes,
// and makes the Web API take its bot token.
func (s *Server) newWorkspaceLocked(id, name, domain, botToken, installedToken, botUserID, botID string) *Workspace {
	w := &Workspace{s: s, id: id, name: name, domain: domain, botToken: botToken, installedToken: installedToken,
		botUserID: botUserID, botID: botID,
		scopes:    manifestScopes(),
		failures:  map[string]*failure{},
		rateNext:  map[string]*rateNext{},
		limits:    map[string]*sustainedLimit{},
		dms:       map[string]string{},
		homeViews: map[string]string{},
		viewState: map[string]map[string]map[string]any{},
		uploads:   map[string]*upload{},
	}
	w.executions = map[string]*execution{}
	w.addUserLocked(slack.User{ID: SlackbotUserID, Name: "slackbot", RealName: "Slackbot",
		Profile: slack.UserProfile{RealName: "Slackbot", DisplayName: "Slackbot"}})
	w.addUserLocked(slack.User{ID: botUserID, Name: "rapport", RealName: "Rapport", IsBot: true,
		Profile: slack.UserProfile{RealName: "Rapport", BotID: botID}})
	s.teams[id] = w
	s.tokens[botToken] = w
	return w
}

// ID is the workspace's team id (TeamID for the default workspace).
func (w *Workspace) ID() string { return w.id }

// Name is the workspace's name, as auth.test and oauth.v2.access give it.
func (w *Workspace) Name() string { return w.name }

// BotToken is the bot token the app holds for this workspace: BotToken for the default
// workspace, "xoxb-<id in lower case>-bot" for one AddWorkspace added.
func (w *Workspace) BotToken() string { return w.botToken }

// InstalledBotToken is the bot token an OAuth install into this workspace issues: InstalledBotToken
// for the default workspace. The Web API takes it once issued.
func (w *Workspace) InstalledBotToken() string { return w.installedToken }

// BotUserID is the bot's user id in this workspace (BotUserID in the default one, "U<id>BOT" else).
func (w *Workspace) BotUserID() string { return w.botUserID }

// BotID is the bot's bot id in this workspace (BotID in the default one, "B<id>" else).
func (w *Workspace) BotID() string { return w.botID }

// Calls returns the recorded Web API calls to method made with this workspace's bot tokens, or
// all of them for "". Server.Calls has every call, whatever its token.
func (w *Workspace) Calls(method string) []Call {
	var out []Call
	for _, c := range w.s.Calls(method) {
		if c.Team == w.id {
			out = append(out, c)
		}
	}
	return out
}

// Send is Server.Send: the app is one for every workspace, so are its sockets and HTTP targets.
// It is here so that a test's person can be driven through their workspace alone.
func (w *Workspace) Send(ctx context.Context, typ string, payload any) (Ack, error) {
	return w.s.Send(ctx, typ, payload)
}

// WaitFor is Server.WaitFor: it wakes on a change in any workspace.
func (w *Workspace) WaitFor(ctx context.Context, cond func() bool) error {
	return w.s.WaitFor(ctx, cond)
}
