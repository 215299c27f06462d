package notify

// about says in a few words what each kind of message is, for admins who look at the messages
// Slack refused (/refer outbox): the kinds' names are for the code.
var about = map[string]string{
	"referral.received":           "a new referral's DM to its receiver",
	"referral.sent":               "the giver's confirmation of a referral",
	"referral.announce":           "the announcement of a hot referral",
	"referral.update":             "the receiver's referral DM, redrawn",
	"referral.update.giver":       "the giver's referral DM, redrawn",
	"referral.report":             "a report-back to the giver",
	"referral.withdrawn":          "the notice of a withdrawn referral",
	"referral.corrected":          "the notice of an admin's correction",
	"referral.shoutout":           "the thank-you for closed business",
	"referral.shoutout.withdrawn": "the withdrawal of a thank-you whose business was undone",
	"nudge.ack":                   "a reminder to follow up",
	"nudge.ack2":                  "a second reminder to follow up",
	"nudge.ack2.giver":            "the giver's notice of a late follow-up",
	"nudge.report":                "a reminder to report the outcome",
	"nudge.report2":               "a second reminder to report the outcome",
	"home":                        "an App Home",
	"recognition.thanks":          "a public thank-you",
	"recognition.vouch":           "the notice of a recommendation",
	"board.share":                 "a shared leaderboard",
	"digest.weekly":               "the weekly digest",
	"digest.chart":                "the weekly digest's chart",
	"admin.export":                "a spreadsheet export",
	"settings.saved":              "the confirmation of saved settings",
	"admin.alert":                 "an alert to admins",
	"digest.inactive":             "a friendly nudge to give",
	"referral.edited":             "the notice of a giver's edit",
	"referral.asked":              "a giver's request for an update",
	"referral.expired":            "the notice of an expired referral",
	"nudge.leader":                "an admin's nudge to follow up",
	"member.welcome":              "a welcome to a new member",
	"member.answer":               "an answer to a DM typed to Rapport",
}

// About says what a message of kind is, in words; an unknown kind (an old one, still in the
// outbox) is named as it is stored.
func About(kind string) string {
	if w, ok := about[kind]; ok {
		return w
	}
	return "a message (" + kind + ")"
}
