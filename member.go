package rapport

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
