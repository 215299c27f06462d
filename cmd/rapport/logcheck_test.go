package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/rapportbot/rapport/bot/slackfake"
)

// logLines keeps every log line of a harness as production writes it (zap's JSON), so that the
// test can check what an operator's log would hold.
type logLines struct{ syncBuffer }

func (l *logLines) Sync() error { return nil }

// tee returns log writing to l too, in production's JSON encoding.
func (l *logLines) tee(log *zap.Logger) *zap.Logger {
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), l, zapcore.DebugLevel)
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, core) }))
}

// secrets are what no log line may carry: the tokens (a workflow step's run brings one of its own,
// xwfp-…), the test prospect's contact details, and a word of a message a shortcut was used on
// (shortcut_test.go).
var secrets = []string{slackfake.BotToken, slackfake.AppToken, "xwfp-", "555-0142", "5550142", "dana@reyesbakery.example", shortcutMarker}

// check fails t for a line that carries a key twice, or a secret.
func (l *logLines) check(t testing.TB) {
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if k := duplicateKey(line); k != "" {
			t.Errorf("log line carries %q twice: %s", k, line)
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log line carries a secret (%.6s…): %s", s, line)
			}
		}
	}
}

// duplicateKey returns a top-level key the JSON object line holds more than once, or "".
func duplicateKey(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		if seen[key] {
			return key
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

func TestDuplicateKey(t *testing.T) {
	if k := duplicateKey(`{"team":"T1","msg":"x","team":"T1"}`); k != "team" {
		t.Errorf("duplicateKey found %q; want team", k)
	}
	if k := duplicateKey(`{"team":"T1","nested":{"team":"T1"}}`); k != "" {
		t.Errorf("duplicateKey found %q in a nested object; want none", k)
	}
}

// syncBuffer collects output written by one goroutine (exec's copying, a logger) and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
