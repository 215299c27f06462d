package install

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Uninstalled records that Rapport was uninstalled from team: the events handler calls it on
// app_uninstalled, and on tokens_revoked when the event's tokens.bot is not empty (a revoked user
// token alone changes nothing for Rapport). The two events may come in either order, and Slack may
// send each again: only the first call sets the purge deadline (now + Retain), and OnUninstall is
// told every time (stopping a team's work twice is harmless). It returns that deadline.
func (i *Installer) Uninstalled(ctx context.Context, team string) (time.Time, error) {
	deadline, err := i.cfg.Store.RemoveInstallation(ctx, team, i.cfg.Now(), i.cfg.Retain)
	if err != nil {
		return time.Time{}, fmt.Errorf("uninstall %s: %w", team, err)
	}
	i.cfg.Log.Info("slack uninstall", zap.String("team", team), zap.Time("purge_after", deadline))
	if i.cfg.OnUninstall != nil {
		if err := i.cfg.OnUninstall(ctx, team); err != nil {
			return deadline, fmt.Errorf("uninstall %s: stop its work: %w", team, err)
		}
	}
	return deadline, nil
}
