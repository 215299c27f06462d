package rapport_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

// fiveFields stands in for the cron parser the handlers pass: the domain only relays its verdict.
func fiveFields(spec string) error {
	if len(strings.Fields(spec)) != 5 {
		return errors.New("not five fields")
	}
	return nil
}

func TestSettingsApply(t *testing.T) {
	base := rapport.Settings{FollowUpSLA: 24 * time.Hour, ReportBackAfter: 168 * time.Hour, DigestSchedule: "0 9 * * 1",
		TimeZone: time.UTC, Currency: "USD", ExpireAfter: 2160 * time.Hour}
	got, errs := base.Apply(map[string]string{
		rapport.SetFollowUpSLA: "48h", rapport.SetTimeZone: "Europe/London", rapport.SetPublicValues: "true",
		rapport.SetCurrency: "eur", rapport.SetQuietHours: "off", rapport.SetInactivityWeeks: "4",
		rapport.SetRecognitionChannel: "C123", rapport.SetDigestSchedule: "0 8 * * 5",
		rapport.SetExpireAfter: "720h", rapport.SetNudgeWeekends: "true",
	}, fiveFields)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got.FollowUpSLA != 48*time.Hour || got.TimeZone.String() != "Europe/London" || !got.PublicValues ||
		got.Currency != "EUR" || !got.QuietHours.Off() || got.InactivityWeeks != 4 || got.RecognitionChannel != "C123" || got.DigestSchedule != "0 8 * * 5" ||
		got.ExpireAfter != 720*time.Hour || !got.NudgeWeekends || got.Timing().ExpireAfter != 720*time.Hour {
		t.Errorf("applied: %+v", got)
	}
	if back, errs := base.Apply(got.Values(), fiveFields); len(errs) > 0 || back.Values()[rapport.SetFollowUpSLA] != "48h" {
		t.Errorf("Values does not round-trip: %v %v", back.Values(), errs)
	}
	bad := map[string]string{
		rapport.SetFollowUpSLA: "a day", rapport.SetDigestSchedule: "mondays", rapport.SetTimeZone: "Mars/Base",
		rapport.SetQuietHours: "night", rapport.SetPublicValues: "maybe", rapport.SetCurrency: "dollars",
		rapport.SetInactivityWeeks: "-1", rapport.SetRecognitionChannel: "#wins", rapport.SetReportBackAfter: "0s",
		rapport.SetExpireAfter: "1h", rapport.SetNudgeWeekends: "sometimes",
	}
	kept, errs := base.Apply(bad, fiveFields)
	for name := range bad {
		if errs[name] == "" {
			t.Errorf("%s = %q accepted", name, bad[name])
		}
	}
	if kept.FollowUpSLA != base.FollowUpSLA || kept.Currency != "USD" {
		t.Errorf("bad values changed the settings: %+v", kept)
	}
}

// TestPairingSchedule: pairing is off unless an admin sets a schedule; empty turns it off again,
// and a schedule that does not parse is refused in words.
func TestPairingSchedule(t *testing.T) {
	base := rapport.Settings{TimeZone: time.UTC}
	if base.PairingSchedule != "" || base.Values()[rapport.SetPairingSchedule] != "" {
		t.Fatalf("pairing on by default: %q", base.PairingSchedule)
	}
	on, errs := base.Apply(map[string]string{rapport.SetPairingSchedule: "0 9 * * 1"}, fiveFields)
	if len(errs) > 0 || on.PairingSchedule != "0 9 * * 1" {
		t.Fatalf("a schedule: %q, %v", on.PairingSchedule, errs)
	}
	for _, off := range []string{"", rapport.SettingNone} {
		if got, errs := on.Apply(map[string]string{rapport.SetPairingSchedule: off}, fiveFields); len(errs) > 0 || got.PairingSchedule != "" {
			t.Errorf("%q: %q, %v; want off", off, got.PairingSchedule, errs)
		}
	}
	if _, errs := base.Apply(map[string]string{rapport.SetPairingSchedule: "mondays"}, fiveFields); !strings.Contains(errs[rapport.SetPairingSchedule], "leave it empty") {
		t.Errorf("a bad schedule: %v", errs)
	}
}
