package rapport

import "slices"

// Member is a person in the workspace, as the member directory keeps them.
type Member struct {
	ID       string `json:"id"`
	Name     string `json:"name"`      // display name or, failing that, the handle
	RealName string `json:"real_name"` // full name
	TZ       string `json:"tz"`        // IANA zone from Slack's profile
	IsBot    bool   `json:"bot,omitempty"`
	Deleted  bool   `json:"deleted,omitempty"`
	Admin    bool   `json:"admin,omitempty"` // a workspace admin or owner: a group admin too
}

// SlackbotID is Slackbot's user ID: listed as a person (is_bot false) but never a member.
const SlackbotID = "USLACKBOT"

// CanReceive reports whether m may be sent a referral: people only, not bots, Slackbot or the
// deactivated.
func (m Member) CanReceive() bool {
	return !m.IsBot && !m.Deleted && m.ID != SlackbotID
}

// GroupAdmin reports whether m is one of the group's admins: a person named in configured
// (RAPPORT_ADMINS), or a workspace admin or owner as the directory has them.
func (m Member) GroupAdmin(configured []string) bool {
	return m.Admin || slices.Contains(configured, m.ID)
}

// GroupAdmins lists the group's admins who can be written to: those named in configured and the
// directory's admins among members who may receive a message, sorted, each once.
func GroupAdmins(configured []string, members []Member) []string {
	admins := slices.Clone(configured)
	for _, m := range members {
		if m.GroupAdmin(configured) && m.CanReceive() {
			admins = append(admins, m.ID)
		}
	}
	slices.Sort(admins)
	return slices.Compact(admins)
}
