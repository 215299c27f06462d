package rapport_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

func TestParseQuietHours(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"21:00-08:00", "21:00-08:00", false},
		{" 22:30 - 06:15 ", "22:30-06:15", false},
		{"off", "off", false},
		{"OFF", "off", false},
		{"09:00-17:00", "09:00-17:00", false},
		{"21:00", "", true},
		{"25:00-08:00", "", true},
		{"21:00-8am", "", true},
		{"08:00-08:00", "", true},
	}
	for _, tt := range tests {
		q, err := rapport.ParseQuietHours(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseQuietHours(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && q.String() != tt.want {
			t.Errorf("ParseQuietHours(%q) = %s, want %s", tt.in, q, tt.want)
		}
	}
	q, _ := rapport.ParseQuietHours("21:00-08:00")
	if q.Start != 21*time.Hour || q.End != 8*time.Hour {
		t.Errorf("window = %v..%v", q.Start, q.End)
	}
}
