package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// ActionGiveReferral is the action_id of "Give a referral" (the Home's intro, the welcome, the
// answer to a DM): the handlers open the referral form on it.
const ActionGiveReferral = "home:give"

// memberState is a message to one member that needs nothing stored but the settings.
type memberState struct {
	to  string
	set rapport.Settings
}

func readMember(ctx context.Context, c *Catalogue, _ string, e rapport.OutboxEntry) (memberState, error) {
	if e.To == "" {
		return memberState{}, unreadable(e, errNoField)
	}
	return memberState{to: e.To, set: c.settings.Get(ctx)}, nil
}

// commandsText is the three commands that matter, as the welcome and the answer to a DM list them.
const commandsText = "• `/refer` — give a referral: a short form (or `/refer @member what they need`)\n" +
	"• `/refer list` — your open referrals, given and received\n" +
	"• `/refer help` — everything else Rapport can do"

// qualificationText says how the form rates a referral (rule 1).
func qualificationText() string {
	return fmt.Sprintf("*How a referral is rated:* the form asks three things: you spoke with them about the member, they agreed you share their contact, and they expect the call. "+
		"All three make it %s *hot* (a qualified referral), some make it %s *warm*, none make it a %s *lead*: welcome too, but a name alone rarely turns into business.",
		TempEmoji(rapport.Hot), TempEmoji(rapport.Warm), TempEmoji(rapport.Cold))
}

// giveButton is the actions block with "Give a referral".
func giveButton(blockID string) slack.Block {
	b := slack.NewButtonBlockElement(ActionGiveReferral, "give", kit.Plain("Give a referral"))
	b.Style = slack.StylePrimary
	return slack.NewActionBlock(blockID, b)
}

// welcomePost is a member's welcome (rule 16): what Rapport does, the three commands, how
// qualification works.
func welcomePost(s memberState) bot.Delivery {
	head := ":wave: *Welcome to Rapport*, the group's referral desk in Slack. When you know someone who needs what a member does, " +
		"Rapport takes it to that member, tells you what happens at every step, and thanks you both in public when it turns into business."
	sla := ""
	if s.set.FollowUpSLA > 0 {
		sla = fmt.Sprintf(" Referrals you receive arrive here, with buttons: act within %s and the giver hears back at once.", kit.Duration(s.set.FollowUpSLA))
	}
	text := head + "\n\n*Three commands are all you need:*\n" + commandsText + "\n\n" + qualificationText() +
		"\n\nYour *Home* tab (Rapport, under Apps) shows what waits on you." + sla
	return bot.Delivery{Channel: s.to, Text: head, Blocks: []slack.Block{kit.Section(text), giveButton("welcome:give")}}
}

// WelcomeInstaller queues the next steps to the member who installed Rapport, once per install
// (installedAt tells a re-install from a second call for the same one).
func (c *Catalogue) WelcomeInstaller(ctx context.Context, installer string, installedAt time.Time) error {
	once := "install:" + installer + ":" + strconv.FormatInt(installedAt.UnixMilli(), 10)
	return c.store.Enqueue(ctx, c.team, once, InstallWelcome.Kind, installer, nil)
}

// installWelcomePost is the installer's welcome: Rapport works at once, and three steps make it the
// group's.
func installWelcomePost(s memberState) bot.Delivery {
	head := ":tada: *Rapport is installed.* Members can give referrals with `/refer` right away."
	text := head + "\n\n*Three steps make it your group's:*\n" +
		"1. Invite me to the channel where the group celebrates business (`/invite @Rapport`), then pick it in `/refer settings` " +
		"for public thank-yous and the weekly digest.\n" +
		"2. In `/refer settings` (open to the workspace's admins), set the group's time zone, its currency and how soon a receiver should follow up.\n" +
		"3. Tell the group the three commands they need:\n" + commandsText
	return bot.Delivery{Channel: s.to, Text: head, Blocks: []slack.Block{kit.Section(text), giveButton("install:give")}}
}

// answerPost answers a message a member typed to Rapport in its DM: Rapport reads no messages, so
// it says what it can do instead of staying silent.
func answerPost(s memberState) bot.Delivery {
	head := ":wave: I'm Rapport: I don't read messages typed here, but these do everything:"
	text := head + "\n" + commandsText + "\n\nReferrals you receive arrive in this DM with their buttons; your *Home* tab shows what waits on you."
	return bot.Delivery{Channel: s.to, Text: head, Blocks: []slack.Block{kit.Section(text), giveButton("answer:give")}}
}

// homeIntro is the top of the Home of a member who never gave nor received a referral.
func homeIntro() []slack.Block {
	text := ":wave: *Welcome to Rapport.* Give a referral when you know someone who needs what a member does: Rapport takes it to them, " +
		"keeps you posted at every step, and thanks you both in public when it turns into business.\n\n" + qualificationText()
	return []slack.Block{kit.Section(text), giveButton("home:intro")}
}
