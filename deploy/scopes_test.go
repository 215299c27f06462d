package deploy

import (
	"slices"
	"testing"
)

func TestBotScopes(t *testing.T) {
	got, err := BotScopes()
	if err != nil {
		t.Fatal(err)
	}
	if want := parseManifest(t).OAuthConfig.Scopes.Bot; len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("BotScopes() = %v, want the manifest's %v", got, want)
	}
}
