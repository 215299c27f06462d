package notify

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/rapportbot/rapport"
)

// exportHeader is the first row of the admins' CSV export. Prospects appear by name and company
// only: their phone and email never leave Rapport (rule 10).
var exportHeader = []string{"Number", "Created", "Giver", "Receiver", "Prospect", "Company", "Temperature",
	"Status", "First contact", "Hours to first contact", "Closed value", "Currency"}

// exportCSV writes referrals as RFC 4180 CSV for a spreadsheet: UTF-8 with a byte order mark (so
// Excel does not read the names as Latin-1), CRLF line ends, dates in loc. facts[i] is refs[i]'s;
// names maps a user ID to the name to show.
func exportCSV(refs []rapport.Referral, facts []rapport.Fact, names map[string]string, loc *time.Location) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(exportHeader) // a bytes.Buffer does not fail; w.Error reports anything else
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	for i, r := range refs {
		var f rapport.Fact
		if i < len(facts) {
			f = facts[i]
		}
		var contact, hours, value, currency string
		if !f.FirstContact.IsZero() {
			contact = f.FirstContact.In(loc).Format(time.DateOnly)
			hours = strconv.FormatFloat(f.FirstContact.Sub(r.Created).Hours(), 'f', 1, 64)
		}
		if r.Status == rapport.StatusWon {
			value, currency = decimal(r.Value), r.Currency
		}
		row := []string{r.ID(), r.Created.In(loc).Format(time.DateOnly), name(r.Giver), name(r.Receiver),
			r.Prospect.Name, r.Prospect.Company, string(r.Temperature()), r.Status.Label(), contact, hours, value, currency}
		for j := range row {
			row[j] = inert(row[j])
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// inert keeps a spreadsheet from reading a cell as a formula (CSV injection): a cell that starts
// with =, +, -, @, a tab or a carriage return gets a leading apostrophe, which Excel, LibreOffice and
// Google Sheets show as text.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// decimal writes minor units as a plain number with two decimals and no thousands separator
// (250000 → 2500.00), which a spreadsheet reads as a number.
func decimal(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return sign + strconv.FormatInt(minor/100, 10) + "." + strconv.FormatInt(minor%100/10, 10) + strconv.FormatInt(minor%10, 10)
}
