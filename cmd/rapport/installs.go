package main

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/install"
)

// installed is an installation saved by this process's install pages: its installer is welcomed.
type installed struct {
	in    rapport.Installation
	fresh bool
}

// installCheck is how often a process looks at the store for installs and uninstalls another
// replica took (this one's own are seen at once): one GET of the installations' version, and a read
// of them all only when it changed, or every fullLookEvery checks (a change whose version bump
// Redis refused).
const (
	installCheck  = 5 * time.Second
	fullLookEvery = 12
)

// running is one workspace's work started by serveInstalls.
type running struct {
	token string
	stop  context.CancelFunc
	done  chan struct{}
	up    chan struct{} // closed once its start-up steps ran, or it failed to start
}

// startWait bounds how long /readyz waits for the workspaces installed at start to start: one whose
// Slack does not answer must not keep the others' requests away.
const startWait = 20 * time.Second

// serveInstalls runs one workspace's work for each workspace Rapport is installed in (HTTP mode
// with the OAuth install): those the store lists, at start and every installCheck, and each
// installed here at once. A workspace uninstalled stops; one installed again with another token
// starts again with it. Each workspace has its own outbox sender, so one's backlog or Slack's 429s
// for it hold up no other's.
func (a *app) serveInstalls(ctx context.Context) {
	run := map[string]*running{}
	defer func() {
		for _, r := range run {
			<-r.done // ctx is done: each drains and stops
		}
	}()
	start := func(in rapport.Installation, welcome bool) {
		token := in.BotToken.Reveal()
		if r := run[in.Team]; r != nil {
			select {
			case <-r.done: // ended on its own (Slack refused its token at start): try again
			default:
				if r.token == token {
					return
				}
				r.stop() // installed again with a new token
				<-r.done
			}
		}
		wctx, stop := context.WithCancel(ctx)
		r := &running{token: token, stop: stop, done: make(chan struct{}), up: make(chan struct{})}
		run[in.Team] = r
		go func() {
			defer close(r.done)
			defer stop()
			w, err := a.newWorkspace(wctx, token)
			if err != nil {
				close(r.up)
				a.log.Error("installed workspace not served", zap.String("installed_team", in.Team), zap.Error(err))
				return
			}
			go func() {
				select {
				case <-w.ready:
				case <-wctx.Done():
				}
				close(r.up)
			}()
			w.log.Info("serving the installed workspace")
			if welcome && in.Installer != "" {
				if err := w.catalogue.WelcomeInstaller(wctx, in.Installer, in.InstalledAt); err != nil {
					w.log.Warn("installer not welcomed", zap.Error(err))
				}
			}
			if err := a.runWorkspace(wctx, w); err != nil && wctx.Err() == nil {
				w.log.Error("the workspace's work stopped", zap.Error(err))
			}
		}()
	}
	stop := func(team string) {
		if r := run[team]; r != nil {
			r.stop()
			<-r.done
			delete(run, team)
			a.log.Info("the workspace's work stopped: uninstalled", zap.String("uninstalled_team", team))
		}
	}
	// seenVersion is the installations' version the last whole look saw (-1: none yet); looks
	// counts the ticks since, for a whole look every fullLookEvery whatever the version says.
	seenVersion, looks := int64(-1), 0
	look := func() {
		version, verr := a.store.InstallsVersion(ctx)
		looks++
		if verr == nil && version == seenVersion && looks < fullLookEvery {
			return // nothing saved or removed since: nothing to start or stop
		}
		looks = 0
		seen, whole := map[string]bool{}, true
		after := ""
		for {
			ins, next, err := a.store.ListInstallations(ctx, after, 500)
			if err != nil && ctx.Err() == nil {
				a.log.Warn("installations not all read; looking again shortly", zap.Error(err))
			}
			if err != nil {
				whole = false // what was not read is not known to be gone
			}
			for _, in := range ins {
				seen[in.Team] = true
				start(in, false)
			}
			if next == "" {
				break
			}
			after = next
		}
		for team := range run {
			if whole && !seen[team] {
				stop(team)
			}
		}
		if whole && verr == nil {
			seenVersion = version
		}
		if len(run) == 0 {
			a.log.Info("no workspace installed yet: waiting for an install at " + install.InstallPath)
		}
	}
	look()
	initial := make([]*running, 0, len(run))
	for _, r := range run {
		initial = append(initial, r)
	}
	go func() { // ready once the workspaces installed at start serve, or after startWait
		t := time.NewTimer(startWait)
		defer t.Stop()
		for _, r := range initial {
			select {
			case <-r.up:
			case <-t.C:
				a.log.Warn("ready before every installed workspace started: some are slow to start")
				a.startedUp.Store(true)
				return
			case <-ctx.Done():
				return
			}
		}
		a.startedUp.Store(true)
	}()
	every := a.deps.installCheck
	if every <= 0 {
		every = installCheck
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case i := <-a.installs:
			start(i.in, i.fresh)
		case team := <-a.uninstalls:
			stop(team)
		case <-tick.C:
			look()
		}
	}
}

// installedHere answers the gateway about a request of a workspace this replica does not serve:
// true when the store holds its installation (taken on another replica, not yet seen by this one's
// look), and then it starts here now rather than at the next look; an error when the store did
// not answer. A workspace is woken at most
// once per installCheck, so the requests of one that cannot start do not start it again each.
func (a *app) installedHere(ctx context.Context, team string) (bool, error) {
	if a.installer == nil {
		return false, nil // SLACK_BOT_TOKEN: one workspace, served or not
	}
	in, err := a.store.Installation(ctx, team)
	switch {
	case rapport.ErrorCode(err) == rapport.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	case !in.Installed():
		return false, nil
	}
	now := time.Now()
	a.wokenMu.Lock()
	last, ok := a.woken[team]
	wake := !ok || now.Sub(last) >= installCheck
	if wake {
		if a.woken == nil {
			a.woken = map[string]time.Time{}
		}
		a.woken[team] = now
	}
	a.wokenMu.Unlock()
	if wake {
		select {
		case a.installs <- installed{in, false}:
			a.log.Info("a request woke a workspace installed on another replica", zap.String("installed_team", team))
		default: // a burst of installs: the next look finds it
		}
	}
	return true, nil
}

// onInstall is told of each installation the install pages saved (install.Config.OnInstall).
func (a *app) onInstall(_ context.Context, in rapport.Installation) error {
	select {
	case a.installs <- installed{in, true}:
	default: // a burst of installs: serveInstalls finds this one in the store within installCheck
		a.log.Warn("installs arrive faster than they start; this one starts within seconds", zap.String("installed_team", in.Team))
	}
	return nil
}

// onUninstall stops the workspace's work (install.Config.OnUninstall).
func (a *app) onUninstall(_ context.Context, team string) error {
	select {
	case a.uninstalls <- team:
	default: // serveInstalls finds the installation gone within installCheck
	}
	return nil
}

// started reports whether the process serves what it should at start: its workspace's start-up
// steps ran (SLACK_BOT_TOKEN), or those of the workspaces installed at start (OAuth). /readyz
// waits for it, so a rollout routes no request to a replica still starting.
func (a *app) started() bool {
	if a.single != nil {
		select {
		case <-a.single.ready:
			return true
		default:
			return false
		}
	}
	return a.startedUp.Load()
}
