package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2500", 250000, true}, {"$2,500.50", 250050, true}, {"2,500.5", 250050, true}, {" 12 ", 1200, true},
		{".75", 75, true}, {"0", 0, true}, {"€1.200", 0, false}, {"abc", 0, false}, {"", 0, false},
		{"-5", 0, false}, {"1.234", 0, false}, {"2000000000", 0, false},
	}
	for _, tt := range tests {
		got, err := parseMoney(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseMoney(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLeadingMention(t *testing.T) {
	for in, want := range map[string][]string{
		"<@U123|bob> needs a roof": {"U123", "needs a roof"},
		"<@W9ZZ> ":                 {"W9ZZ", ""},
		"<@U1|b>":                  {"U1", ""},
	} {
		m := leadingMention.FindStringSubmatch(in)
		if m == nil || m[1] != want[0] || m[2] != want[1] {
			t.Errorf("%q: got %v, want %v", in, m, want)
		}
	}
	for _, in := range []string{"list", "<#C123|general>", "@bob needs"} {
		if leadingMention.MatchString(in) {
			t.Errorf("%q matched as a mention", in)
		}
	}
}

// TestCloseFormInTheGroupsCurrency: the closed-business form starts in the group's currency, as
// /refer set and every board count it.
func TestCloseFormInTheGroupsCurrency(t *testing.T) {
	v := outcomeModal(rapport.ActWon, rapport.Referral{Number: 12}, "EUR")
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"initial_value":"EUR"`) || strings.Contains(string(b), `"USD"`) {
		t.Errorf("close form: %s", b)
	}
}
