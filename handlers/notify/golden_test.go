package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rapportbot/rapport"
)

// update rewrites the golden files instead of comparing: go test ./handlers/notify -update.
var update = flag.Bool("update", false, "rewrite testdata/*.golden from what the code draws now")

// golden compares v, as indented JSON, with testdata/<name>.golden; with -update it writes it.
// Block Kit is compared as Slack receives it, so a change to what people see shows in review.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encode %s: %v", name, err)
	}
	got := unescapeHTML(buf.String())
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers/notify -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from %s (-want +got); run with -update if the change is meant:\n%s", name, path, diff)
	}
}

// unescapeHTML undoes encoding/json's HTML-safe escapes (which nested MarshalJSON methods apply
// whatever the encoder says), so JSON reads as Slack renders it: still valid JSON.
var unescapeHTML = strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace

// fixedSettings stands in for handlers.Settings: the group's settings, unchanging.
type fixedSettings rapport.Settings

func (f fixedSettings) Get(context.Context) rapport.Settings { return rapport.Settings(f) }
