package handlers

import (
	"context"

	"github.com/rapportbot/rapport"
)

// requireAdmin lets the group's admins through and refuses anyone else with "Only the group's
// admins can <what>." Admins are the people named in RAPPORT_ADMINS (no I/O) and the workspace's
// admins and owners as the member directory has them (one Redis read).
func (h *Handlers) requireAdmin(ctx context.Context, team, user, what string) error {
	if (rapport.Member{ID: user}).GroupAdmin(h.cfg.Admins) {
		return nil // named in RAPPORT_ADMINS: no I/O
	}
	m, err := h.store.Member(ctx, team, user)
	switch {
	case err == nil && m.GroupAdmin(h.cfg.Admins):
		return nil
	case err != nil && rapport.ErrorCode(err) != rapport.ENOTFOUND:
		return err
	}
	return rapport.Errorf(rapport.EFORBIDDEN, "Only the group's admins can %s.", what)
}
