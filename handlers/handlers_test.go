package handlers

import (
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

func TestMoney(t *testing.T) {
	tests := []struct {
		cents int64
		cur   string
		want  string
	}{
		{250000, "USD", "$2,500.00"}, {5, "", "$0.05"}, {123456789, "EUR", "1,234,567.89 EUR"}, {100, "<b>", "1.00 &lt;b&gt;"},
	}
	for _, tt := range tests {
		if got := money(tt.cents, tt.cur); got != tt.want {
			t.Errorf("money(%d, %q) = %q, want %q", tt.cents, tt.cur, got, tt.want)
		}
	}
}

func TestEscape(t *testing.T) {
	if got := esc("<!channel> & <https://x|y>"); got != "&lt;!channel&gt; &amp; &lt;https://x|y&gt;" {
		t.Errorf("esc = %q", got)
	}
	if got := unesc(esc("a < b & c > d")); got != "a < b & c > d" {
		t.Errorf("unesc(esc) = %q", got)
	}
	if got := quote("line one\n<!here>"); got != ">line one\n>&lt;!here&gt;" {
		t.Errorf("quote = %q", got)
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

func TestNoticesReportToWhoeverDidNotMove(t *testing.T) {
	kinds := func(ns []rapport.Notice) string {
		var s []string
		for _, n := range ns {
			s = append(s, n.Kind+">"+string(n.To))
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		m    rapport.Move
		want string
	}{
		{rapport.Move{Action: rapport.ActAccept}, "referral.update>receiver referral.update.giver>giver referral.report>giver"},
		{rapport.Move{Action: rapport.ActWithdraw}, "referral.update>receiver referral.update.giver>giver referral.withdrawn>receiver"},
		{rapport.Move{Action: rapport.ActPassOn, LinkTo: "UM"}, "referral.update>receiver referral.update.giver>giver referral.report>giver referral.received>linked"},
		{rapport.Move{Action: rapport.ActWon}, "referral.update>receiver referral.update.giver>giver referral.report>giver"},
		{rapport.Move{Action: rapport.ActCorrect}, "referral.update>receiver referral.update.giver>giver referral.corrected>giver referral.corrected>receiver"},
	}
	for _, tt := range tests {
		if got := kinds(notices(tt.m, "")); got != tt.want {
			t.Errorf("%s: %s\nwant %s", tt.m.Action, got, tt.want)
		}
	}
}

func TestReceiverButtonsFollowStatus(t *testing.T) {
	tests := []struct {
		s    rapport.Status
		want string
	}{
		{rapport.StatusNew, "accept contacted meeting won decline pass_on"},
		{rapport.StatusAccepted, "contacted meeting won decline pass_on"},
		{rapport.StatusContacted, "meeting won lost"},
		{rapport.StatusMeeting, "won lost"},
		{rapport.StatusWon, ""},
		{rapport.StatusWithdrawn, ""},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range rapport.ReceiverActions(tt.s) {
			got = append(got, string(a))
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: %v, want %s", tt.s, got, tt.want)
		}
	}
}
