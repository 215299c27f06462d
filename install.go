package rapport

import (
	"fmt"
	"time"
)

// Installation is Rapport installed in one workspace through Slack's OAuth v2 flow: what HTTP mode
// needs to serve that team. A re-install replaces it.
type Installation struct {
	Team           string    // team ID (T…)
	TeamName       string    // as Slack named the workspace at install time
	Enterprise     string    // Enterprise Grid org ID (E…), "" outside a grid
	EnterpriseName string    //
	AppID          string    // the app Slack installed (A…)
	BotUserID      string    // the bot's own user (U…): referrals to it are refused
	BotToken       Secret    // xoxb-…; the store keeps it encrypted, and never in a log
	Scopes         []string  // the bot scopes Slack granted
	Installer      string    // the member who clicked Allow (U…): welcomed with the next steps
	InstalledAt    time.Time //

	// UninstalledAt is when Slack said the app was uninstalled or its bot token revoked; zero while
	// installed. An uninstalled team has no token and its data waits until PurgeAfter to be deleted.
	UninstalledAt time.Time
	PurgeAfter    time.Time
}

// Installed reports whether the team is served: installed and not uninstalled since.
func (in Installation) Installed() bool { return in.UninstalledAt.IsZero() && in.BotToken != "" }

// DefaultRetainAfterUninstall is how long a team's data is kept after Rapport is uninstalled from it
// (RAPPORT_RETAIN_AFTER_UNINSTALL): a re-install within it finds everything as it was.
const DefaultRetainAfterUninstall = 30 * 24 * time.Hour

// Secret is a credential (a bot token). It prints as "[redacted]" through fmt's verbs, JSON and
// zap's reflection, so a struct holding one can be logged by mistake without leaking it; Reveal
// gives the value to the one call that sends it.
type Secret string

// Reveal returns the credential itself.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return "[redacted]" }
func (s Secret) GoString() string { return `"[redacted]"` }

// Format covers %v, %s, %q, %x and the rest: none may print the value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// MarshalJSON keeps the value out of JSON (and so out of zap.Any).
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// MarshalText keeps the value out of text encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }
