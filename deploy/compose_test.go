package deploy

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// compose is the part of compose.yaml that keeps Rapport's state safe.
type compose struct {
	Services map[string]struct {
		Command     any            `yaml:"command"` // a string or a list, as Compose allows
		Environment map[string]any `yaml:"environment"`
	} `yaml:"services"`
}

// TestDeployComposeRedis checks that the bundled Redis keeps every key (noeviction: Rapport refuses to
// start otherwise) and writes them to disk (AOF).
func TestDeployComposeRedis(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("parse compose.yaml: %v", err)
	}
	redis, ok := c.Services["redis"]
	if !ok {
		t.Fatal("compose.yaml has no redis service")
	}
	args := commandArgs(t, redis.Command)
	if len(args) == 0 || args[0] != "redis-server" {
		t.Fatalf("redis command = %q, want redis-server with its options", args)
	}
	for opt, want := range map[string]string{"--maxmemory-policy": "noeviction", "--appendonly": "yes"} {
		if got := lastValue(args, opt); got != want {
			t.Errorf("redis command %q: %s = %q, want %s", args, opt, got, want)
		}
	}
	if v, ok := c.Services["rapport"].Environment["RAPPORT_ALLOW_EVICTION"]; ok {
		t.Errorf("rapport's environment sets RAPPORT_ALLOW_EVICTION=%v: the bundled Redis never evicts", v)
	}
}

// commandArgs splits a Compose command (a string split on spaces, or a list) into its words.
func commandArgs(t *testing.T, cmd any) []string {
	t.Helper()
	switch cmd := cmd.(type) {
	case string:
		return strings.Fields(cmd)
	case []any:
		var args []string
		for _, a := range cmd {
			args = append(args, fmt.Sprint(a))
		}
		return args
	}
	t.Fatalf("redis command is %T, want a string or a list", cmd)
	return nil
}

// lastValue is the word after the last opt in args, or "": Redis, too, takes an option's last value.
func lastValue(args []string, opt string) string {
	for i := len(args) - 2; i >= 0; i-- {
		if args[i] == opt {
			return args[i+1]
		}
	}
	return ""
}
