package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// recognitionLimit bounds a thank-you or a recommendation.
const recognitionLimit = 500

// shoutout thanks the giver and the receiver of closed business in public (rule 4). It names no
// prospect: public posts carry neither contact details nor who the client was.
func shoutout(ref rapport.Referral, events []rapport.Event, set rapport.Settings, channel string) bot.Post {
	g, r := mention(ref.Giver), mention(ref.Receiver)
	text := fmt.Sprintf(":tada: *Closed business!* %s closed business from a referral by %s (%s). Thank you, %s!", r, g, ref.ID(), g)
	blocks := []slack.Block{section(text)}
	if set.PublicValues && ref.Value > 0 {
		blocks = append(blocks, section("*Value:* "+money(ref.Value, ref.Currency)))
	}
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Action == rapport.ActWon {
			if e.Note != "" {
				blocks = append(blocks, section(r+" says:\n"+quote(e.Note)))
			}
			break
		}
	}
	blocks = append(blocks, contextBlock("Give a referral with `/refer`; thank anyone with `/refer thanks @member …`"))
	return bot.Post{Channel: channel, Text: text, Blocks: blocks}
}

// announcement tells the channel a hot referral was given, when the group asked for that.
func announcement(ref rapport.Referral, channel string) bot.Post {
	text := fmt.Sprintf(":fire: %s just gave %s a hot referral (%s): spoke with the prospect, may share the contact, and the call is expected. That's how it's done!",
		mention(ref.Giver), mention(ref.Receiver), ref.ID())
	return bot.Post{Channel: channel, Text: text, Blocks: []slack.Block{section(text)}}
}

// renderGroup draws the messages that belong to no referral.
func (h *Handlers) renderGroup(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Post, bool, error) {
	switch e.Kind {
	case KindThanks, KindVouch:
		var rec rapport.Recognition
		if err := json.Unmarshal([]byte(e.Fields["body"]), &rec); err != nil {
			return bot.Post{}, false, rapport.Errorf(rapport.ENOTFOUND, "unreadable %s entry", e.Kind)
		}
		if e.Kind == KindThanks {
			text := fmt.Sprintf(":pray: %s thanks %s:", mention(rec.From), mention(rec.To))
			return bot.Post{Channel: e.To, Text: text + " " + esc(clip(rec.Text, 200)),
				Blocks: []slack.Block{section(text + "\n" + quote(rec.Text))}}, true, nil
		}
		text := fmt.Sprintf(":handshake: %s vouched for you:", mention(rec.From))
		return bot.Post{Channel: e.To, Text: text + " " + esc(clip(rec.Text, 200)),
			Blocks: []slack.Block{section(text + "\n" + quote(rec.Text)), contextBlock("Recommendations are counted apart from referrals. Pass it forward with `/refer vouch @member …`")}}, true, nil
	case KindBoard:
		return h.sharedBoard(ctx, team, e)
	}
	return bot.Post{}, false, rapport.Errorf(rapport.ENOTFOUND, "unknown outbox kind %q", e.Kind)
}

// thanks answers "/refer thanks @member text": a public thank-you for any help, counted as recognition.
func (h *Handlers) thanks(ctx context.Context, r *bot.Request, rest string) (any, error) {
	return h.recognize(ctx, r, rest, rapport.RecognitionThanks)
}

// vouch answers "/refer vouch @member text": a recommendation with no live need, counted apart.
func (h *Handlers) vouch(ctx context.Context, r *bot.Request, rest string) (any, error) {
	return h.recognize(ctx, r, rest, rapport.RecognitionVouch)
}

func (h *Handlers) recognize(ctx context.Context, r *bot.Request, rest, kind string) (any, error) {
	usage := "Type `/refer thanks @member what they did`."
	if kind == rapport.RecognitionVouch {
		usage = "Type `/refer vouch @member to whom you recommended them, and why`."
	}
	m := leadingMention.FindStringSubmatch(strings.TrimSpace(rest))
	if m == nil || strings.TrimSpace(m[2]) == "" {
		return bot.Ephemeral(usage), nil
	}
	from, to, text := r.Command.UserID, m[1], strings.TrimSpace(unesc(m[2]))
	if to == from {
		return bot.Ephemeral("That's you! " + usage), nil
	}
	if n := utf8.RuneCountInString(text); n > recognitionLimit {
		return bot.Ephemeral(fmt.Sprintf("Keep it under %d characters (it has %d).", recognitionLimit, n)), nil
	}
	dest, kindOut := to, KindVouch
	if kind == rapport.RecognitionThanks {
		dest, kindOut = h.settings.Snapshot().RecognitionChannel, KindThanks
		if dest == "" {
			return bot.Ephemeral("There is no recognition channel yet: ask an admin to choose one with `/refer settings`."), nil
		}
	}
	rec := rapport.Recognition{Kind: kind, From: from, To: to, Text: text, At: h.now()}
	if err := h.store.Recognize(ctx, r.Team, r.EnvelopeID, rec, kindOut, dest); isUserFacing(err) {
		return bot.Ephemeral(rapport.ErrorMessage(err)), nil
	} else if err != nil {
		h.log.Error("recognition not saved", zap.Error(err), zap.String("user", from))
		return nil, rapport.Errorf(rapport.EUNAVAILABLE, "*Not saved.* Rapport can't reach its database right now. Please try again in a minute.")
	}
	if kind == rapport.RecognitionThanks {
		return bot.Ephemeral(fmt.Sprintf("Your thanks to %s is going up in <#%s>.", mention(to), dest)), nil
	}
	return bot.Ephemeral(fmt.Sprintf("Recorded: you vouched for %s. I've let them know.", mention(to))), nil
}
