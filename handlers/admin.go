package handlers

import (
	"context"
	"slices"

	"github.com/rapportbot/rapport"
)

// requireAdmin lets the group's admins through and refuses anyone else with "Only the group's
// admins can <what>." Admins are the people named in RAPPORT_ADMINS (no I/O) and the workspace's
// admins and owners as the member directory has them (one Redis read).
func (h *Handlers) requireAdmin(ctx context.Context, team, user, what string) error {
	if slices.Contains(h.cfg.Admins, user) {
		return nil
	}
	m, err := h.store.Member(ctx, team, user)
	switch {
	case err == nil && m.Admin:
		return nil
	case err != nil && rapport.ErrorCode(err) != rapport.ENOTFOUND:
		return err
	}
	return rapport.Errorf(rapport.EFORBIDDEN, "Only the group's admins can %s.", what)
}
