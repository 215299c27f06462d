package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
)

// betterAsks are asks of members who may receive a referral: Carol asks for what the sample
// referral's prospect needs (a new roof before the monsoon), Dave for something else.
var betterAsks = []rapport.Ask{
	{Member: "UCAROL", Text: "Roofs & gutters: repairs before the monsoon <!here>", At: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
	{Member: "UDAVE", Text: "Families planning an estate", At: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
}

// TestGiverToldOfABetterAsk: the giver's confirmation names the member whose ask fits the need
// when the receiver's does not, escaped; not when the receiver's fits, when no ask fits, or once the
// receiver has acted.
func TestGiverToldOfABetterAsk(t *testing.T) {
	bobRoofs := append([]rapport.Ask{{Member: "UBOB", Text: "Roof repairs and replacements", At: betterAsks[0].At}}, betterAsks...)
	for _, tc := range []struct {
		name   string
		asks   []rapport.Ask
		status rapport.Status
		kind   string
		want   string // "" for no better ask named
	}{
		{"OK", betterAsks, rapport.StatusNew, "referral.sent",
			"<@UCAROL>’s ask fits this need: “Roofs &amp; gutters: repairs before the monsoon &lt;!here&gt;” (*Roofs*, *monsoon*). Worth a referral to them too?"},
		{"RedrawnWhileNew", betterAsks, rapport.StatusNew, "referral.update.giver", "<@UCAROL>’s ask fits this need"},
		{"ReceiversAskFits", bobRoofs, rapport.StatusNew, "referral.sent", ""},
		{"NoAskFits", betterAsks[1:], rapport.StatusNew, "referral.sent", ""},
		{"NoAsks", nil, rapport.StatusNew, "referral.sent", ""},
		{"ReceiverActed", betterAsks, rapport.StatusAccepted, "referral.update.giver", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newSampleStore()
			st.ref.Status, st.receiving = tc.status, tc.asks
			p, owed, err := sampleCatalogue(st, sampleSettings).Render(t.Context(), "T1", samples(t)[tc.kind])
			if err != nil || !owed {
				t.Fatalf("Render = owed %v, %v", owed, err)
			}
			s := deliveryJSON(t, p)
			if !strings.Contains(s, "Saved *R-12*") {
				t.Fatalf("not the giver's confirmation: %s", s)
			}
			if tc.want == "" && strings.Contains(s, "ask fits this need") || tc.want != "" && !strings.Contains(s, tc.want) {
				t.Errorf("want %q named; the confirmation says %s", tc.want, s)
			}
		})
	}
}

// asksDown is the sample store with the asks unreadable.
type asksDown struct{ *sampleStore }

func (asksDown) AsksOfReceivers(context.Context, string) ([]rapport.Ask, error) {
	return nil, errors.New("redis: connection refused")
}

// TestGiverConfirmedWithoutAsks: asks that cannot be read leave the confirmation whole, without a
// better ask, rather than hold it back.
func TestGiverConfirmedWithoutAsks(t *testing.T) {
	st := newSampleStore()
	st.ref.Status, st.receiving = rapport.StatusNew, betterAsks
	c := New(zap.NewNop(), asksDown{st}, fixedSettings(sampleSettings), "T1", nil, func() time.Time { return homeNow }, nil)
	p, owed, err := c.Render(t.Context(), "T1", samples(t)["referral.sent"])
	if err != nil || !owed || !strings.Contains(deliveryJSON(t, p), "Saved *R-12*") || strings.Contains(deliveryJSON(t, p), "ask fits this need") {
		t.Errorf("with the asks unread: owed %v, %v, %s; want the confirmation without a better ask", owed, err, deliveryJSON(t, p))
	}
}
