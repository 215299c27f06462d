package notify

import (
	"testing"

	"github.com/rapportbot/rapport"
)

func TestSettingsSaved(t *testing.T) {
	before := map[string]string{rapport.SetFollowUpSLA: "24h", rapport.SetRecognitionChannel: "", rapport.SetAnnounceHot: "false", rapport.SetCurrency: "USD"}
	after := map[string]string{rapport.SetFollowUpSLA: "48h", rapport.SetRecognitionChannel: "C1", rapport.SetAnnounceHot: "true", rapport.SetCurrency: "<!here>"}
	got := settingsSaved([]string{rapport.SetRecognitionChannel, rapport.SetFollowUpSLA, rapport.SetAnnounceHot, rapport.SetCurrency}, before, after)
	want := ":white_check_mark: *Settings saved.* They apply now, on every Rapport instance within a minute:" +
		"\n• Recognition channel: <#C1> (was none)" +
		"\n• Follow-up window: 2 days (was 24 hours)" +
		"\n• Announce new hot referrals: on (was off)" +
		"\n• Currency: `&lt;!here&gt;` (was `USD`)"
	if got != want {
		t.Errorf("settingsSaved =\n%s\nwant\n%s", got, want)
	}
	if got := settingsSaved(nil, before, before); got != ":white_check_mark: Settings saved; nothing changed." {
		t.Errorf("nothing changed: %q", got)
	}
}
