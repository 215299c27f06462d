package main

import (
	"bytes"
	"context"
	"testing"
)

// TestDemo runs the README's first command and checks the story a newcomer reads.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	if err := contains(out.String(),
		"DM from Rapport to Bob", "New referral R-1", "🔥 Hot referral", // the hot referral
		"cold lead", "To turn a lead into a referral", // the coaching
		"You can't refer a prospect to yourself",                           // the refused self-referral
		"already has an open referral", "@Bob has R-1", "New referral R-3", // the duplicate warning, then send anyway
		"@Bob accepted", "Closed business!", "In #general, for everyone", // report-back and the shout-out
		"waiting on you", "Second reminder", "hasn't acted on *R-2*", // nudges
		"Leaderboard", // the numbers
	); err != nil {
		t.Error(err)
	}
	if bytes.Contains(out.Bytes(), []byte("<!channel>")) {
		t.Error("the demo printed unescaped user text")
	}
}
