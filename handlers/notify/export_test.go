package notify

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rapportbot/rapport"
)

func TestInert(t *testing.T) {
	tests := []struct{ in, want string }{
		{`=HYPERLINK("http://x")`, `'=HYPERLINK("http://x")`}, {"+1 480", "'+1 480"}, {"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"}, {"Dana = Reyes", "Dana = Reyes"}, {"", ""},
	}
	for _, tt := range tests {
		if got := inert(tt.in); got != tt.want {
			t.Errorf("inert(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 250000: "2500.00", 250050: "2500.50", 199: "1.99", -199: "-1.99"} {
		if got := decimal(cents); got != want {
			t.Errorf("decimal(%d) = %q, want %q", cents, got, want)
		}
	}
}

func TestExportCSV(t *testing.T) {
	phoenix, _ := time.LoadLocation("America/Phoenix")
	created := time.Date(2026, 3, 3, 5, 0, 0, 0, time.UTC) // still March 2 in Phoenix
	refs := []rapport.Referral{
		{Number: 7, Created: created, Status: rapport.StatusWon, Value: 123456, Currency: "EUR",
			Draft: rapport.Draft{Giver: "UA", Receiver: "UB", Facts: rapport.Facts{Spoke: true, MayShare: true, Expects: true},
				Prospect: rapport.Prospect{Name: "Zoë \"Z\" Ñúñez", Company: "Line one\nline two, Inc.", Phone: "+14805550142", Email: "z@x.example"}}},
		{Number: 8, Created: created, Status: rapport.StatusNew, Draft: rapport.Draft{Giver: "UGONE", Receiver: "UB",
			Prospect: rapport.Prospect{Name: "-1 Corp"}}},
	}
	facts := []rapport.Fact{{Ref: 7, FirstContact: created.Add(90 * time.Minute)}, {Ref: 8}}
	b, err := exportCSV(refs, facts, map[string]string{"UA": "Alice", "UB": "=Bob"}, phoenix)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := bytes.CutPrefix(b, []byte("\uFEFF"))
	if !ok {
		t.Fatal("no byte order mark")
	}
	if bytes.Contains(b, []byte("5550142")) || bytes.Contains(b, []byte("z@x.example")) {
		t.Error("the export carries a phone or an email")
	}
	// Every line end is CRLF, the one inside the quoted company too (RFC 4180).
	if !bytes.HasSuffix(body, []byte("\r\n")) || bytes.Count(body, []byte("\n")) != 4 || bytes.Count(body, []byte("\r\n")) != 4 {
		t.Errorf("want CRLF line ends only:\n%q", body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		exportHeader,
		{"R-7", "2026-03-02", "Alice", "'=Bob", "Zoë \"Z\" Ñúñez", "Line one\nline two, Inc.", "hot", "Closed business", "2026-03-02", "1.5", "1234.56", "EUR"},
		{"R-8", "2026-03-02", "UGONE", "'=Bob", "'-1 Corp", "", "cold", "New", "", "", "", ""},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestExportPeriod(t *testing.T) {
	phoenix, _ := time.LoadLocation("America/Phoenix")
	now := time.Date(2026, 3, 31, 3, 0, 0, 0, time.UTC) // March 30, 20:00 in Phoenix
	tests := []struct {
		name     string
		from, to time.Time
		ok       bool
	}{
		{"", time.Date(2026, 3, 1, 0, 0, 0, 0, phoenix), time.Date(2026, 3, 31, 0, 0, 0, 0, phoenix), true},
		{"week", time.Date(2026, 3, 30, 0, 0, 0, 0, phoenix), time.Date(2026, 4, 6, 0, 0, 0, 0, phoenix), true},
		{"month", time.Date(2026, 3, 1, 0, 0, 0, 0, phoenix), time.Date(2026, 4, 1, 0, 0, 0, 0, phoenix), true},
		{"decade", time.Time{}, time.Time{}, false},
	}
	for _, tt := range tests {
		p, ok := exportPeriod(tt.name, now, phoenix)
		if ok != tt.ok || !p.From.Equal(tt.from) || !p.To.Equal(tt.to) {
			t.Errorf("exportPeriod(%q) = %v to %v, %v; want %v to %v, %v", tt.name, p.From, p.To, ok, tt.from, tt.to, tt.ok)
		}
	}
}
