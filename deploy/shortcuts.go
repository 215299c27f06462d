package deploy

// The callback IDs of the manifest's shortcuts, here because the manifest names them and the
// handlers route by them (as the HTTP paths are, PathEvents…).
const (
	// ShortcutReferMessage is "Refer this", a message shortcut: the referral form filled in from
	// the message it was used on.
	ShortcutReferMessage = "refer_message"
	// ShortcutGiveReferral is "Give a referral", a global shortcut: the empty referral form, from
	// anywhere in Slack.
	ShortcutGiveReferral = "give_referral"
)
