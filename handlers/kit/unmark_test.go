package kit

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestUnmark(t *testing.T) {
	names := map[string]string{"UBOB": "Bob Chen", "W0ENT": "Erin"}
	name := func(id string) string { return names[id] }
	tests := []struct{ name, in, want string }{
		{"Plain", "A new roof before the monsoon", "A new roof before the monsoon"},
		{"Mention", "<@UBOB> can help", "@Bob Chen can help"},
		{"MentionWithLabel", "ask <@UBOB|bob>", "ask @Bob Chen"},
		{"EnterpriseMention", "<@W0ENT>", "@Erin"},
		{"UnknownWithLabel", "<@UNEW|newbie> joined", "@newbie joined"},
		{"UnknownBare", "<@UNEW> joined", "@someone joined"},
		{"LinkWithLabel", "see <https://evil.example/x?a=1&amp;b=2|our site>", "see our site"},
		{"BareLink", "<https://example.com/a?b=1&amp;c=2>", "https://example.com/a?b=1&c=2"},
		{"Mailto", "write <mailto:dana@example.com|dana@example.com> or <mailto:sam@example.com>", "write dana@example.com or sam@example.com"},
		{"Channel", "in <#C123|general> and <#C456>", "in #general and #channel"},
		{"Broadcasts", "<!channel> <!here|here> <!everyone>", "@channel @here @everyone"},
		{"Subteam", "<!subteam^S1|@roofers> and <!subteam^S2>", "@roofers and @group"},
		{"Date", "by <!date^1392734382^{date}|Feb 18, 2014>", "by Feb 18, 2014"},
		{"Entities", "Q&amp;A: 3 &lt; 5 &gt; 2 &amp;amp;", "Q&A: 3 < 5 > 2 &amp;"},
		{"EntityInLabel", "<https://x.example|Q&amp;A>", "Q&A"},
		{"Formatting", "*urgent* _today_ `roof`", "*urgent* _today_ `roof`"},
		{"Unclosed", "a <b", "a <b"},
		{"EscapedTagStaysText", "&lt;@UBOB&gt;", "<@UBOB>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unmark(tt.in, name); got != tt.want {
				t.Errorf("Unmark(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMentioned(t *testing.T) {
	got := Mentioned("<@UBOB> <@UCAROL|carol> <@UBOB> <#C1|x> <@W9> <@UDAVE>", 3)
	if want := []string{"UBOB", "UCAROL", "W9"}; !slices.Equal(got, want) {
		t.Errorf("Mentioned = %v, want %v", got, want)
	}
}

func TestClipWords(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"Fits", "a new roof", 10, "a new roof"},
		{"AtAWordBoundary", "a new roof before the monsoon", 12, "a new roof…"},
		{"NeverSplitsAWord", "a new roof before", 15, "a new roof…"},
		{"CutJustBeforeASpace", "a new roof before", 11, "a new roof…"},
		{"OneLongWord", "supercalifragilistic", 8, "superca…"},
		{"LongWordAfterAShortOne", "a supercalifragilistic", 10, "a superca…"},
		{"Runes", "écrire à l'équipe", 9, "écrire à…"},
		{"Newlines", "first line\nsecond line", 14, "first line…"},
		{"Zero", "abc", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClipWords(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("ClipWords(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if utf8.RuneCountInString(got) > tt.n {
				t.Errorf("ClipWords(%q, %d) has %d characters", tt.in, tt.n, utf8.RuneCountInString(got))
			}
		})
	}
	long := strings.Repeat("roof ", 1000)
	if got := ClipWords(long, 1000); utf8.RuneCountInString(got) > 1000 || !strings.HasSuffix(got, "roof…") {
		t.Errorf("5,000 characters clipped to %d ending %q", utf8.RuneCountInString(got), got[len(got)-12:])
	}
}
