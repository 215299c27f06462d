package rapport_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
)

func TestSecretNeverPrints(t *testing.T) {
	in := rapport.Installation{Team: "T1", BotToken: "xoxb-secret-token"}
	js, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(in), fmt.Sprintf("%+v %#v %q %x %s", in, in, in.BotToken, in.BotToken, in.BotToken), string(js)} {
		if strings.Contains(s, "secret") {
			t.Errorf("printed the token: %s", s)
		}
	}
	if in.BotToken.Reveal() != "xoxb-secret-token" {
		t.Error("Reveal does not give the token")
	}
}
