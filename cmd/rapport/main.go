// Command rapport runs the Rapport Slack bot, its demo, and its install helpers.
//
//	rapport [run]      start the bot (configured from the environment; see --help)
//	rapport demo       play a short story against an in-process fake Slack and Redis
//	rapport manifest [socket | http BASE_URL]  print the Slack app manifest to paste at api.slack.com/apps
//	rapport healthcheck  exit 0 when the local bot is ready (for container health checks)
//	rapport doctor     check an install, print a fix for each problem, exit 1 if there is any
//	rapport rebuild-aggregates TEAM_ID  recompute a team's numbers from its referrals
//	rapport rotate-token-key  re-seal stored bot tokens under RAPPORT_TOKEN_KEY
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rapportbot/rapport/deploy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, errUsage) {
		fmt.Fprintln(os.Stderr, "rapport:", err)
	}
	if err != nil {
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// run is main without the process: tests call it with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "run":
		cfg, err := loadConfig(getenv)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", indent(err))
		}
		return serve(ctx, cfg, stderr)
	case "demo":
		return demo(ctx, stdout)
	case "manifest":
		return manifest(args[1:], stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "doctor":
		return doctor(ctx, getenv, stdout)
	case "rebuild-aggregates":
		if len(args) != 2 {
			usage(stderr)
			return errUsage
		}
		cfg, err := loadConfig(getenv)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", indent(err))
		}
		return rebuildAggregates(ctx, cfg, args[1], stdout)
	case "rotate-token-key":
		cfg, err := loadConfig(getenv)
		if err != nil {
			return fmt.Errorf("configuration:\n%w", indent(err))
		}
		return rotateTokenKey(ctx, cfg, stdout)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	fmt.Fprintf(stderr, "\nrapport: unknown command %q\n", cmd)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Rapport: the referral bot for business networking groups on Slack.

Usage:
  rapport [run]        start the bot (RAPPORT_MODE: socket or http), configured from the environment
  rapport demo         play a short story against a fake Slack and an in-memory Redis
  rapport manifest [socket]
                       print the Slack app manifest to paste at https://api.slack.com/apps,
                       for Socket Mode (the default)
  rapport manifest http BASE_URL
                       the manifest for RAPPORT_MODE=http, Slack reaching Rapport at BASE_URL
                       (https://rapport.example.com): request URLs, the OAuth redirect URL
  rapport healthcheck  exit 0 when the bot on RAPPORT_HTTP_ADDR is ready
  rapport doctor       check the install: the configuration, Redis (reachable, noeviction, persisted),
                       the Slack tokens and granted scopes, the mode's settings, the installed
                       workspaces' tokens (OAuth install), the recognition channel and the time
                       zone; prints a fix under each problem and exits 1 if there is any
  rapport rebuild-aggregates TEAM_ID
                       recompute the numbers (leaderboards, stats, ledgers) of a workspace from
                       its referrals, in short slices, in the group's time zone: after an upgrade
                       or a change of time zone; the bot may keep running
  rapport rotate-token-key
                       HTTP mode with OAuth: re-seal every stored bot token under RAPPORT_TOKEN_KEY,
                       after the previous key moved to RAPPORT_TOKEN_KEY_OLD
  rapport help         this text

Environment:
`)
	printVariables(w)
}

// manifest prints the Slack app manifest for a mode: socket (the default) or http at a base URL.
func manifest(args []string, stdout, stderr io.Writer) error {
	mode := "socket"
	if len(args) > 0 {
		mode = args[0]
	}
	var (
		out []byte
		err error
	)
	switch {
	case mode == "socket" && len(args) <= 1:
		out = deploy.Manifest
	case mode == "http" && len(args) == 2:
		if out, err = deploy.HTTPManifest(args[1]); err != nil {
			return fmt.Errorf("manifest http BASE_URL: %w", err)
		}
	default:
		usage(stderr)
		fmt.Fprintf(stderr, "\nrapport: manifest takes socket, or http and the public BASE_URL (rapport manifest http https://rapport.example.com); got %q\n", strings.Join(args, " "))
		return errUsage
	}
	_, err = stdout.Write(out)
	return err
}

func indent(err error) error {
	return errors.New("  " + strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

// healthcheck asks the running bot's /readyz; containers built from scratch have no curl.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	addr := getenv("RAPPORT_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("not ready: %s", strings.TrimSpace(string(b)))
	}
	return nil
}
