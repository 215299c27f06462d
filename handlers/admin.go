package handlers

import (
	"context"

	"github.com/rapportbot/rapport"
)

// requireAdmin lets the group's admins through and refuses anyone else with "Only the group's
// admins can <what>." Admins are the people named in RAPPORT_ADMINS (no I/O) and the workspace's
// admins and owners as the member directory has them (one Redis read).
func (h *Handlers) requireAdmin(ctx context.Context, team, user, what string) error {
	admin, err := h.isAdmin(ctx, team, user)
	switch {
	case err != nil:
		return err
	case !admin:
		return rapport.Errorf(rapport.EFORBIDDEN, "Only the group's admins can %s.", what)
	}
	return nil
}

// isAdmin reports whether user is one of the group's admins, by rapport.Member.GroupAdmin: the
// people named in RAPPORT_ADMINS (no I/O), and the workspace's admins and owners as the member
// directory has them (one Redis read).
func (h *Handlers) isAdmin(ctx context.Context, team, user string) (bool, error) {
	if (rapport.Member{ID: user}).GroupAdmin(h.cfg.Admins) {
		return true, nil
	}
	m, err := h.store.Member(ctx, team, user)
	switch {
	case err == nil:
		return m.GroupAdmin(h.cfg.Admins), nil
	case rapport.ErrorCode(err) == rapport.ENOTFOUND:
		return false, nil
	}
	return false, err
}
