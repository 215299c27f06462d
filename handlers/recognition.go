package handlers

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
)

// rapport.MaxRecognition bounds a thank-you or a recommendation.

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
	from, to, text := r.Command.UserID, m[1], strings.TrimSpace(kit.Unesc(m[2]))
	if to == from {
		return bot.Ephemeral("That's you! " + usage), nil
	}
	if n := utf8.RuneCountInString(text); n > rapport.MaxRecognition {
		return bot.Ephemeral(fmt.Sprintf("Keep it under %d characters (it has %d).", rapport.MaxRecognition, n)), nil
	}
	dest, kindOut := to, notify.Vouch.Kind
	if kind == rapport.RecognitionThanks {
		dest, kindOut = h.settings.Snapshot().RecognitionChannel, notify.Thanks.Kind
		if dest == "" {
			return bot.Ephemeral("There is no recognition channel yet: ask an admin to choose one with `/refer settings`."), nil
		}
	}
	rec := rapport.Recognition{Kind: kind, From: from, To: to, Text: text, At: h.now()}
	if err := h.store.Recognize(ctx, r.Team, r.EnvelopeID, rec, kindOut, dest); err != nil {
		return nil, err
	}
	if kind == rapport.RecognitionThanks {
		return bot.Ephemeral(fmt.Sprintf("Your thanks to %s is going up in <#%s>.", kit.Mention(to), dest)), nil
	}
	return bot.Ephemeral(fmt.Sprintf("Recorded: you vouched for %s. I've let them know.", kit.Mention(to))), nil
}
