package storage

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
)

// Field names of the referral hash. They are short because each is stored once per referral;
// empty optional fields are not stored at all. Unknown fields (message slots written by
// RecordOutbox, fields of later versions) are ignored when reading. These constants are the one
// spelling of each name: referralFields lists them for the scripts (lua.go), factFields picks the
// statistics' columns from them (facts.go).
//
// Text longer than chunkLen bytes is stored in pieces (nd, nd2, nd3, …): Redis keeps a hash whose
// values are all ≤ 64 bytes (hash-max-listpack-value) as a compact listpack, about 2.5 times
// smaller than the hashtable a single longer value turns it into. That is what keeps a typical
// referral under 2 KB.
const (
	fGiver        = "g"
	fReceiver     = "r"
	fName         = "pn"
	fCompany      = "pc"
	fPhone        = "pp"
	fEmail        = "pe"
	fNeed         = "nd"
	fBestTime     = "bt"
	fNote         = "nt"
	fSpoke        = "sp" // facts as 0/1
	fMayShare     = "ms"
	fExpects      = "ex"
	fStatus       = "st"
	fCreated      = "c" // Unix ms
	fUpdated      = "u" // Unix ms
	fVersion      = "ver"
	fPassedBy     = "pb"
	fPassedOf     = "po"
	fValue        = "val" // closed business, minor units
	fCurrency     = "cur"
	fDue          = "due" // the pending reminder's ID in the due zset (rapport.DueID)
	fProspect     = "pk"  // pk1, pk2: digests of the prospect's email and phone (keys.prospectDigest)
	fFirstAction  = "fa"  // Unix ms of the receiver's first move (the move script)
	fFirstContact = "fc"  // Unix ms of the first contacted, meeting or won
	fWonAt        = "wa"  // Unix ms business closed; gone when a correction reopens it
	fCreditElse   = "ce"  // "1": the giver referred it again in place of a passed-on link (rapport.Fact.CreditElsewhere)
	// The receiver's last step, while it may be undone (mend.go): what the step changed, to put back.
	fUndoFrom     = "uf" // the status before the step
	fUndoAt       = "ua" // Unix ms of the step (rapport.Referral.LastStep)
	fUndoFlags    = "ux" // what the step set first: "a" first_action, "c" first_contact
	fUndoDue      = "ud" // the reminder pending before the step, and its due ms
	fUndoDueAt    = "ut"
	fUndoValue    = "uv" // the value and currency before the step
	fUndoCurrency = "uc"
	fAsked        = "ak"  // Unix ms the giver last asked for an update
	fAggrCreated  = "ap"  // the periods (periodsField) its creation counts in: aggregates (aggr.go)
	fAggrWon      = "aw"  // the periods its closing counts in, while won
	slotPrefix    = "dm_" // message slots written by RecordOutbox: dm_<slot> = "channel|ts"
)

// hashField is one field of the referral hash as the scripts see it.
type hashField struct {
	name   string // in the hash: one of the f… constants
	lua    string // in the scripts: F.<lua>
	text   bool   // stored in chunks (name, name2, name3, …) by encodeReferral
	linked bool   // copied to the referral a pass on creates (the move script)
}

// referralFields is every field of the referral hash, the one list the scripts' field names
// (F.status, …) and the move script's copy rule are generated from (lua.go). A field a pass on
// does not copy is the old referral's own: its status, people, times, value, reminder, the
// mover's note and the qualification facts (the new referral gets the mover's note, and the facts
// the mover vouched for about the new receiver, instead), and its message slots.
var referralFields = []hashField{
	{fGiver, "giver", true, true},
	{fReceiver, "receiver", true, false},
	{fName, "name", true, true},
	{fCompany, "company", true, true},
	{fPhone, "phone", true, true},
	{fEmail, "email", true, true},
	{fNeed, "need", true, true},
	{fBestTime, "best_time", true, true},
	{fNote, "note", true, false},
	{fSpoke, "spoke", false, false},
	{fMayShare, "may_share", false, false},
	{fExpects, "expects", false, false},
	{fStatus, "status", false, false},
	{fCreated, "created", false, false},
	{fUpdated, "updated", false, false},
	{fVersion, "version", false, false},
	{fPassedBy, "passed_by", true, false},
	{fPassedOf, "passed_of", false, false},
	{fValue, "value", false, false},
	{fCurrency, "currency", false, false},
	{fDue, "due", false, false},
	{fProspect, "prospect", false, true},
	{fFirstAction, "first_action", false, false},
	{fFirstContact, "first_contact", false, false},
	{fWonAt, "won_at", false, false},
	{fCreditElse, "credit_elsewhere", false, false},
	{fUndoFrom, "undo_from", false, false},
	{fUndoAt, "undo_at", false, false},
	{fUndoFlags, "undo_flags", false, false},
	{fUndoDue, "undo_due", false, false},
	{fUndoDueAt, "undo_due_at", false, false},
	{fUndoValue, "undo_value", false, false},
	{fUndoCurrency, "undo_currency", false, false},
	{fAsked, "asked", false, false},
	{fAggrCreated, "aggr_created", false, false},
	{fAggrWon, "aggr_won", false, false},
}

// undoFields are the fields of the receiver's undoable step: written by a step of theirs, removed
// by any other move, an undo, or an undo refused for being late.
var undoFields = []string{fUndoFrom, fUndoAt, fUndoFlags, fUndoDue, fUndoDueAt, fUndoValue, fUndoCurrency}

// chunkLen is Redis's default hash-max-listpack-value.
const chunkLen = 64

// encodeReferral returns r as HSET field/value pairs.
func encodeReferral(r rapport.Referral) []any {
	kv := []any{
		fSpoke, bit(r.Facts.Spoke), fMayShare, bit(r.Facts.MayShare), fExpects, bit(r.Facts.Expects),
		fStatus, string(r.Status), fCreated, r.Created.UnixMilli(), fUpdated, r.Updated.UnixMilli(),
		fVersion, r.Version,
	}
	if r.PassedOf != 0 {
		kv = append(kv, fPassedOf, r.PassedOf)
	}
	if r.Value != 0 {
		kv = append(kv, fValue, r.Value, fCurrency, r.Currency)
	}
	i := 1
	for _, c := range [...]struct{ kind, v string }{{"email", r.Prospect.Email}, {"phone", r.Prospect.Phone}} {
		if c.v != "" {
			kv = append(kv, fProspect+strconv.Itoa(i), prospectDigest(c.kind, c.v))
			i++
		}
	}
	for _, f := range [...]struct{ name, v string }{
		{fGiver, r.Giver}, {fReceiver, r.Receiver}, {fName, r.Prospect.Name},
		{fCompany, r.Prospect.Company}, {fPhone, r.Prospect.Phone}, {fEmail, r.Prospect.Email},
		{fNeed, r.Need}, {fBestTime, r.BestTime}, {fNote, r.Note}, {fPassedBy, r.PassedBy},
	} {
		for i, piece := range chunks(f.v) {
			kv = append(kv, chunkField(f.name, i), piece)
		}
	}
	return kv
}

// chunks splits s into pieces of at most chunkLen bytes, on rune boundaries so that each piece
// reads as text in redis-cli. An empty s has no pieces.
func chunks(s string) []string {
	var out []string
	for len(s) > chunkLen {
		i := chunkLen
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// chunkField names piece i of a text field: name, name2, name3, …
func chunkField(name string, i int) string {
	if i == 0 {
		return name
	}
	return name + strconv.Itoa(i+1)
}

// text reassembles a text field stored by chunks.
func text(h map[string]string, name string) string {
	s, ok := h[name]
	for i := 1; ok; i++ {
		var piece string
		if piece, ok = h[chunkField(name, i)]; ok {
			s += piece
		}
	}
	return s
}

// decodeReferral reads a referral hash (HGETALL) whose number is n.
func decodeReferral(n int64, h map[string]string) (rapport.Referral, error) {
	r := rapport.Referral{
		Draft: rapport.Draft{
			Giver:    text(h, fGiver),
			Receiver: text(h, fReceiver),
			Prospect: rapport.Prospect{
				Name: text(h, fName), Company: text(h, fCompany), Phone: text(h, fPhone), Email: text(h, fEmail),
			},
			Need:     text(h, fNeed),
			BestTime: text(h, fBestTime),
			Note:     text(h, fNote),
			Facts:    rapport.Facts{Spoke: h[fSpoke] == "1", MayShare: h[fMayShare] == "1", Expects: h[fExpects] == "1"},
		},
		Number:   n,
		Status:   rapport.Status(h[fStatus]),
		PassedBy: text(h, fPassedBy),
		Currency: h[fCurrency],
	}
	for f, v := range h {
		if strings.HasPrefix(f, slotPrefix) {
			if r.Posted == nil {
				r.Posted = map[string]string{}
			}
			r.Posted[f] = v
		}
	}
	var created, updated, step, asked int64
	for _, f := range [...]struct {
		name string
		dst  *int64
	}{{fVersion, &r.Version}, {fPassedOf, &r.PassedOf}, {fValue, &r.Value}, {fCreated, &created}, {fUpdated, &updated},
		{fUndoAt, &step}, {fAsked, &asked}} {
		v, err := parseInt(h, f.name)
		if err != nil {
			return rapport.Referral{}, fmt.Errorf("decode %s: %w", rapport.FormatID(n), err)
		}
		*f.dst = v
	}
	r.Created, r.Updated = time.UnixMilli(created), time.UnixMilli(updated)
	if step > 0 {
		r.LastStep = time.UnixMilli(step)
	}
	if asked > 0 {
		r.LastAsk = time.UnixMilli(asked)
	}
	return r, nil
}

// parseInt reads an integer field; a missing field is 0.
func parseInt(h map[string]string, name string) (int64, error) {
	v, ok := h[name]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", name, err)
	}
	return n, nil
}

// pairs turns a flat HGETALL reply from a script into a map.
func pairs(v any) (map[string]string, error) {
	flat, ok := v.([]any)
	if !ok || len(flat)%2 != 0 {
		return nil, fmt.Errorf("unexpected hash reply %T", v)
	}
	h := make(map[string]string, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		k, _ := flat[i].(string)
		h[k], _ = flat[i+1].(string)
	}
	return h, nil
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
