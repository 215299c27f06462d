package deploy

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// BotScopes are the bot token scopes the manifest asks for, in its order: what an install must
// have granted (`rapport doctor` compares them with Slack's X-OAuth-Scopes), and what the fake
// Slack grants its bot token.
func BotScopes() ([]string, error) {
	var m struct {
		OAuthConfig struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.NewDecoder(bytes.NewReader(Manifest)).Decode(&m); err != nil {
		return nil, fmt.Errorf("read manifest.yaml: %w", err)
	}
	return m.OAuthConfig.Scopes.Bot, nil
}
