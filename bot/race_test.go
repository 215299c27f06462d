//go:build race

package bot_test

// raceEnabled reports a build with the race detector, which makes every step several times slower:
// tests that measure time against Slack's deadlines check it only without.
const raceEnabled = true
