package kit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMoney(t *testing.T) {
	tests := []struct {
		cents int64
		cur   string
		want  string
	}{
		{250000, "USD", "$2,500.00"}, {5, "", "$0.05"}, {123456789, "EUR", "1,234,567.89 EUR"}, {100, "<b>", "1.00 &lt;b&gt;"},
	}
	for _, tt := range tests {
		if got := Money(tt.cents, tt.cur); got != tt.want {
			t.Errorf("Money(%d, %q) = %q, want %q", tt.cents, tt.cur, got, tt.want)
		}
	}
}

func TestEscape(t *testing.T) {
	if got := Esc("<!channel> & <https://x|y>"); got != "&lt;!channel&gt; &amp; &lt;https://x|y&gt;" {
		t.Errorf("Esc = %q", got)
	}
	if got := Esc("call @channel, @Here or @EVERYONE; mail a@b.example"); got != "call @\u2060channel, @\u2060Here or @\u2060EVERYONE; mail a@b.example" {
		t.Errorf("Esc of typed broadcasts = %q; want each neutralised", got)
	}
	for _, email := range []string{"info@hereford.example", "bob@channelpartners.example", "x@everyonesbank.example", "a.b@here.example"} {
		if got := Esc(email); got != email {
			t.Errorf("Esc(%q) = %q; want the address as typed", email, got)
		}
	}
	if got := Unesc(Esc("a < b & c > d @here")); got != "a < b & c > d @here" {
		t.Errorf("Unesc(esc) = %q", got)
	}
	if got := Quote("line one\n<!here>"); got != ">line one\n>&lt;!here&gt;" {
		t.Errorf("Quote = %q", got)
	}
}

// TestClip: a cut text fits its limit with its "…", and never splits an escape or a <…> token.
func TestClip(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"Short", "abc", 3, "abc"},
		{"Runes", "ééééé", 4, "ééé…"},
		{"BeforeEscape", "ab&amp;cd", 5, "ab…"},
		{"AfterEscape", "ab&amp;cd", 8, "ab&amp;…"},
		{"BeforeMention", "hi <@U123> there", 8, "hi…"},
		{"DateWhole", "on <!date^1^{date_short}|Jan 2> ok", 33, "on <!date^1^{date_short}|Jan 2>…"},
		{"StrayBracket", "a<b c", 4, "a<b…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clip(tt.in, tt.n)
			if got != tt.want || utf8.RuneCountInString(got) > tt.n {
				t.Errorf("Clip(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

// TestEscClipMeasuresAfterEscaping: the limit holds for the text Slack receives.
func TestEscClipMeasuresAfterEscaping(t *testing.T) {
	in := strings.Repeat("&<>", 1000)
	for _, n := range []int{1, 2, 5, 6, 75, 2000, 3000} {
		got := EscClip(in, n)
		if c := utf8.RuneCountInString(got); c > n {
			t.Errorf("EscClip(n=%d) has %d characters", n, c)
		}
		if strings.Contains(strings.TrimSuffix(got, Ellipsis), "…") || strings.ContainsAny(got, "<>") {
			t.Errorf("EscClip(n=%d) = %q: unescaped or cut inside", n, got)
		}
		if rest := strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(got); strings.Contains(rest, "&") {
			t.Errorf("EscClip(n=%d) = %q: an escape split", n, got)
		}
	}
	if got := Section(strings.Repeat("&amp;", 1000)).Text.Text; utf8.RuneCountInString(got) > MaxSectionText {
		t.Errorf("Section holds %d characters", utf8.RuneCountInString(got))
	}
}
