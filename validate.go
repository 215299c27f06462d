package rapport

import (
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Field names of the referral form. The Slack modal uses them as block IDs, so a FieldErrors map is
// also the modal's response_action errors.
const (
	FieldReceiver = "receiver"
	FieldName     = "prospect_name"
	FieldCompany  = "company"
	FieldPhone    = "phone"
	FieldEmail    = "email"
	FieldNeed     = "need"
	FieldBestTime = "best_time"
	FieldFacts    = "facts"
	FieldNote     = "note"
	FieldConfirm  = "confirm" // "Send anyway" on the duplicate-prospect step
	// FieldGiver is the giver when someone other than the giver names them (a Workflow Builder
	// step): the form's giver is who submits it.
	FieldGiver = "giver"
)

// Limits on what a giver may type, in characters. They keep a referral under 2 KB in Redis and every
// message about it well inside Slack's block limits.
var limits = map[string]int{
	FieldName:     100,
	FieldCompany:  100,
	FieldPhone:    40,
	FieldEmail:    254,
	FieldNeed:     1000,
	FieldBestTime: 200,
	FieldNote:     1000,
}

// Limits on the other texts members type, in characters: an ask, a thank-you or recommendation, a
// note with a move (a reason, a pass-on note, a thank-you for closed business, an admin's why).
// Renderers show each within Slack's limits even when every character needs escaping.
const (
	MaxAsk         = 300
	MaxRecognition = 500
	MaxMoveNote    = 1000
)

// MaxLen is the longest text accepted in a form field (0: not a text field).
func MaxLen(field string) int { return limits[field] }

// DefaultPhoneRegion is how a number written without a country code is read.
const DefaultPhoneRegion = "US"

// FieldErrors maps a form field to what is wrong with it, in words for the giver.
type FieldErrors map[string]string

func (e FieldErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e[k]
	}
	return "invalid referral: " + strings.Join(parts, "; ")
}

// Validate checks a draft against the rules a form can check on its own (not the member directory
// nor open referrals, which storage checks atomically) and returns it normalised: text trimmed, the
// email lower-cased, the phone in E.164. An empty FieldErrors means the draft is acceptable.
func Validate(d Draft) (Draft, FieldErrors) {
	errs := FieldErrors{}
	d.Prospect.Name = strings.TrimSpace(d.Prospect.Name)
	d.Prospect.Company = strings.TrimSpace(d.Prospect.Company)
	d.Need = strings.TrimSpace(d.Need)
	d.BestTime = strings.TrimSpace(d.BestTime)
	d.Note = strings.TrimSpace(d.Note)

	switch {
	case d.Receiver == "":
		errs[FieldReceiver] = "Choose the member who should receive this referral."
	case d.Receiver == d.Giver:
		errs[FieldReceiver] = "You can't refer a prospect to yourself. Choose another member."
	}
	if d.Prospect.Name == "" {
		errs[FieldName] = "Give the prospect's name."
	}
	if d.Need == "" {
		errs[FieldNeed] = "Say what the prospect needs, so the receiver knows why to call."
	}

	phone, email := strings.TrimSpace(d.Prospect.Phone), strings.TrimSpace(d.Prospect.Email)
	if phone == "" && email == "" {
		// Said under both fields, as their labels say: phone or email, at least one.
		msg := "Phone or email: give at least one, so the receiver can reach the prospect."
		errs[FieldPhone], errs[FieldEmail] = msg, msg
	}
	if phone != "" {
		if p, ok := NormalizePhone(phone); ok {
			d.Prospect.Phone = p
		} else {
			errs[FieldPhone] = "That doesn't look like a phone number. Use digits, with the country code outside North America (e.g. +44 20 7946 0958)."
		}
	}
	if email != "" {
		if e, ok := NormalizeEmail(email); ok {
			d.Prospect.Email = e
		} else {
			errs[FieldEmail] = "That doesn't look like an email address (name@example.com)."
		}
	}

	texts := map[string]string{
		FieldName: d.Prospect.Name, FieldCompany: d.Prospect.Company, FieldPhone: phone,
		FieldEmail: email, FieldNeed: d.Need, FieldBestTime: d.BestTime, FieldNote: d.Note,
	}
	for field, text := range texts {
		if n := utf8.RuneCountInString(text); n > limits[field] {
			errs[field] = fmt.Sprintf("Keep this under %d characters (it has %d).", limits[field], n)
		}
	}
	return d, errs
}

// NormalizePhone returns the number in E.164 (+14805550100) when it is a possible phone number.
// Numbers without a leading + are read as DefaultPhoneRegion's.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > limits[FieldPhone] {
		return "", false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789+-(). /", r) && !strings.ContainsRune("xX", r) {
			return "", false
		}
	}
	n, err := phonenumbers.Parse(s, DefaultPhoneRegion)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// NormalizeEmail returns the address lower-cased when it is a plain address with a dotted domain.
func NormalizeEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > limits[FieldEmail] {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return "", false
	}
	return strings.ToLower(s), true
}

// DisplayPhone writes a normalised number the way people read it (+1 480-555-0142).
func DisplayPhone(e164 string) string {
	n, err := phonenumbers.Parse(e164, DefaultPhoneRegion)
	if err != nil {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}
