package kit

import "testing"

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
	if got := Unesc(Esc("a < b & c > d")); got != "a < b & c > d" {
		t.Errorf("Unesc(esc) = %q", got)
	}
	if got := Quote("line one\n<!here>"); got != ">line one\n>&lt;!here&gt;" {
		t.Errorf("Quote = %q", got)
	}
}
