package rapport_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rapportbot/rapport"
)

func validDraft() rapport.Draft {
	return rapport.Draft{
		Giver:    "UALICE",
		Receiver: "UBOB",
		Prospect: rapport.Prospect{Name: "Dana Reyes", Company: "Reyes Bakery", Phone: "(480) 555-0100", Email: "Dana@Example.com"},
		Need:     "A new roof before the monsoon",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*rapport.Draft)
		fields []string // fields that must carry an error
	}{
		{"OK", func(*rapport.Draft) {}, nil},
		{"OKPhoneOnly", func(d *rapport.Draft) { d.Prospect.Email = "" }, nil},
		{"OKEmailOnly", func(d *rapport.Draft) { d.Prospect.Phone = "" }, nil},
		{"OKInternational", func(d *rapport.Draft) { d.Prospect.Phone = "+44 20 7946 0958" }, nil},
		{"ErrSelfReferral", func(d *rapport.Draft) { d.Receiver = d.Giver }, []string{rapport.FieldReceiver}},
		{"ErrNoReceiver", func(d *rapport.Draft) { d.Receiver = "" }, []string{rapport.FieldReceiver}},
		{"ErrNoName", func(d *rapport.Draft) { d.Prospect.Name = "   " }, []string{rapport.FieldName}},
		{"ErrNoNeed", func(d *rapport.Draft) { d.Need = "" }, []string{rapport.FieldNeed}},
		{"ErrNoContact", func(d *rapport.Draft) { d.Prospect.Phone, d.Prospect.Email = "", " " }, []string{rapport.FieldPhone, rapport.FieldEmail}},
		{"ErrBadEmail", func(d *rapport.Draft) { d.Prospect.Email = "dana@" }, []string{rapport.FieldEmail}},
		{"ErrEmailNoDot", func(d *rapport.Draft) { d.Prospect.Email = "dana@localhost" }, []string{rapport.FieldEmail}},
		{"ErrEmailWithName", func(d *rapport.Draft) { d.Prospect.Email = "Dana <dana@example.com>" }, []string{rapport.FieldEmail}},
		{"ErrBadPhone", func(d *rapport.Draft) { d.Prospect.Phone = "call me maybe" }, []string{rapport.FieldPhone}},
		{"ErrShortPhone", func(d *rapport.Draft) { d.Prospect.Phone = "12" }, []string{rapport.FieldPhone}},
		{"ErrLongName", func(d *rapport.Draft) { d.Prospect.Name = strings.Repeat("é", 101) }, []string{rapport.FieldName}},
		{"ErrLongNeed", func(d *rapport.Draft) { d.Need = strings.Repeat("x", 1001) }, []string{rapport.FieldNeed}},
		{"ErrLongNote", func(d *rapport.Draft) { d.Note = strings.Repeat("x", 1001) }, []string{rapport.FieldNote}},
		{"ErrLongCompany", func(d *rapport.Draft) { d.Prospect.Company = strings.Repeat("x", 101) }, []string{rapport.FieldCompany}},
		{"ErrSeveral", func(d *rapport.Draft) { d.Receiver, d.Prospect.Name = d.Giver, "" }, []string{rapport.FieldReceiver, rapport.FieldName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDraft()
			tt.edit(&d)
			_, errs := rapport.Validate(d)
			var got []string
			for f, msg := range errs {
				if msg == "" {
					t.Errorf("field %s has an empty message", f)
				}
				got = append(got, f)
			}
			if diff := cmp.Diff(tt.fields, got, cmpSorted, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("fields with errors (-want +got):\n%s\nerrors: %v", diff, errs)
			}
		})
	}
}

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func TestValidateNormalises(t *testing.T) {
	d, errs := rapport.Validate(validDraft())
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	if d.Prospect.Phone != "+14805550100" {
		t.Errorf("phone = %q, want +14805550100", d.Prospect.Phone)
	}
	if d.Prospect.Email != "dana@example.com" {
		t.Errorf("email = %q, want dana@example.com", d.Prospect.Email)
	}
}

func TestMemberCanReceive(t *testing.T) {
	tests := []struct {
		m    rapport.Member
		want bool
	}{
		{rapport.Member{ID: "UBOB"}, true},
		{rapport.Member{ID: "UBOT", IsBot: true}, false},
		{rapport.Member{ID: "UGONE", Deleted: true}, false},
		{rapport.Member{ID: rapport.SlackbotID}, false},
	}
	for _, tt := range tests {
		if got := tt.m.CanReceive(); got != tt.want {
			t.Errorf("%+v.CanReceive() = %v, want %v", tt.m, got, tt.want)
		}
	}
}
