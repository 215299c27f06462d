package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.APIURL != "https://slack.com/api/" || c.RedisURL != "redis://localhost:6379/0" || c.HTTPAddr != ":8080" {
		t.Errorf("defaults: %+v", c)
	}
	if c.FollowUpSLA != 24*time.Hour || c.ReportBackAfter != 168*time.Hour || c.TimeZone.String() != "UTC" {
		t.Errorf("durations/zone: %v %v %v", c.FollowUpSLA, c.ReportBackAfter, c.TimeZone)
	}
	if c.QuietHours.String() != "21:00-08:00" || !c.RateLimits || c.AllowEviction {
		t.Errorf("quiet hours %s, rate limits %v, allow eviction %v", c.QuietHours, c.RateLimits, c.AllowEviction)
	}
	if c.ExpireAfter != 2160*time.Hour || c.NudgeWeekends {
		t.Errorf("expire after %v, nudge on weekends %v; want 90 days and off", c.ExpireAfter, c.NudgeWeekends)
	}
	if s := c.Settings(); s.ExpireAfter != 2160*time.Hour || s.NudgeWeekends {
		t.Errorf("the settings' defaults: %+v", s)
	}
	if c, err := loadConfig(env("RAPPORT_NUDGE_WEEKENDS", "on", "RAPPORT_EXPIRE_AFTER", "720h")); err != nil || !c.NudgeWeekends || c.ExpireAfter != 720*time.Hour {
		t.Errorf("on and 720h read as %v, %v (%v)", c.NudgeWeekends, c.ExpireAfter, err)
	}
	if c.MaxInFlight != 512 {
		t.Errorf("max in flight %d; want 512", c.MaxInFlight)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  func(string) string
		want []string // each must appear in the error
	}{
		{"ErrMissingTokens", func(string) string { return "" }, []string{"SLACK_APP_TOKEN: missing", "SLACK_BOT_TOKEN: missing"}},
		{"ErrSwappedTokens", env("SLACK_APP_TOKEN", "xoxb-1", "SLACK_BOT_TOKEN", "xapp-1"), []string{"SLACK_APP_TOKEN: must start with xapp-", "SLACK_BOT_TOKEN: must start with xoxb-"}},
		{"ErrDuration", env("RAPPORT_FOLLOWUP_SLA", "a day"), []string{"RAPPORT_FOLLOWUP_SLA", "not a duration"}},
		{"ErrNegativeDuration", env("RAPPORT_REPORT_BACK_AFTER", "-1h"), []string{"RAPPORT_REPORT_BACK_AFTER", "positive"}},
		{"ErrCron", env("RAPPORT_DIGEST_SCHEDULE", "every monday"), []string{"RAPPORT_DIGEST_SCHEDULE", "not a cron spec"}},
		{"ErrSweepCron", env("RAPPORT_SWEEP_SCHEDULE", "@every banana"), []string{"RAPPORT_SWEEP_SCHEDULE"}},
		{"ErrZone", env("RAPPORT_TIMEZONE", "Mars/Olympus"), []string{"RAPPORT_TIMEZONE", "IANA"}},
		{"ErrQuietHours", env("RAPPORT_QUIET_HOURS", "9pm-8am"), []string{"RAPPORT_QUIET_HOURS"}},
		{"ErrRedisURL", env("REDIS_URL", "localhost:6379"), []string{"REDIS_URL"}},
		{"ErrRedisURLOption", env("REDIS_URL", "redis://localhost:6379?banana=1"), []string{"REDIS_URL", "unexpected option: banana"}},
		{"ErrRedisClusterDB", env("REDIS_URL", "redis://n1:7000/2?addr=n2:7000"), []string{"REDIS_URL", "only database 0"}},
		{"ErrRedisClusterAddr", env("REDIS_URL", "redis://n1:7000?addr=n2"), []string{"REDIS_URL", "addr"}},
		{"ErrRedisMasterInURL", env("REDIS_URL", "redis://s1:26379?master_name=m"), []string{"REDIS_URL", "REDIS_SENTINEL_MASTER"}},
		{"ErrSentinelMasterNoURL", env("REDIS_SENTINEL_MASTER", "mymaster"), []string{"REDIS_SENTINEL_MASTER", "set REDIS_URL to the sentinels"}},
		{"ErrSentinelMasterURL", env("REDIS_SENTINEL_MASTER", "redis://s1:26379", "REDIS_URL", "redis://s1:26379"), []string{"REDIS_SENTINEL_MASTER", "not a master's name"}},
		{"ErrStateDir", env("RAPPORT_STATE_DIR", "state"), []string{"RAPPORT_STATE_DIR", "absolute"}},
		{"ErrAPIURL", env("SLACK_API_URL", "slack"), []string{"SLACK_API_URL"}},
		{"ErrAdmins", env("RAPPORT_ADMINS", "U123,@carol"), []string{"RAPPORT_ADMINS", "@carol"}},
		{"ErrChannel", env("RAPPORT_RECOGNITION_CHANNEL", "#wins"), []string{"RAPPORT_RECOGNITION_CHANNEL", "channel ID"}},
		{"ErrRateLimits", env("RAPPORT_RATE_LIMITS", "none"), []string{"RAPPORT_RATE_LIMITS"}},
		{"ErrAllowEviction", env("RAPPORT_ALLOW_EVICTION", "yes"), []string{"RAPPORT_ALLOW_EVICTION", "must be 1"}},
		{"ErrMaxInFlight", env("RAPPORT_MAX_IN_FLIGHT", "lots"), []string{"RAPPORT_MAX_IN_FLIGHT", "positive whole number"}},
		{"ErrNudgeWeekends", env("RAPPORT_NUDGE_WEEKENDS", "yes"), []string{"RAPPORT_NUDGE_WEEKENDS", "must be on"}},
		{"ErrExpireAfter", env("RAPPORT_EXPIRE_AFTER", "90 days"), []string{"RAPPORT_EXPIRE_AFTER", "not a duration"}},
		{"ErrExpireAfterShort", env("RAPPORT_EXPIRE_AFTER", "1h"), []string{"RAPPORT_EXPIRE_AFTER", "out of range"}},
		{"ErrMaxInFlightZero", env("RAPPORT_MAX_IN_FLIGHT", "0"), []string{"RAPPORT_MAX_IN_FLIGHT"}},
	}
	t.Run("ErrRedisURLHidesPassword", func(t *testing.T) {
		for _, u := range []string{"http://:s3cretpw@redis.example:6379/0", "redis://:s3cretpw@[bad"} {
			_, err := loadConfig(env("REDIS_URL", u))
			if err == nil || !strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), "s3cretpw") {
				t.Errorf("REDIS_URL %s: error %v; want one that names REDIS_URL without its password", u, err)
			}
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(tt.env)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigValues(t *testing.T) {
	c, err := loadConfig(env("SLACK_API_URL", "http://127.0.0.1:9/api", "RAPPORT_QUIET_HOURS", "off",
		"RAPPORT_ADMINS", " U1 , W2 ,", "RAPPORT_TIMEZONE", "America/Phoenix", "RAPPORT_RATE_LIMITS", "off",
		"RAPPORT_ALLOW_EVICTION", "1", "RAPPORT_MAX_IN_FLIGHT", " 64 "))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIURL != "http://127.0.0.1:9/api/" {
		t.Errorf("API URL %q should gain its trailing slash", c.APIURL)
	}
	if !c.QuietHours.Off() || len(c.Admins) != 2 || c.Admins[1] != "W2" || c.TimeZone.String() != "America/Phoenix" || c.RateLimits || !c.AllowEviction || c.MaxInFlight != 64 {
		t.Errorf("parsed %+v", c)
	}
}

// TestLoadConfigRedisForms: REDIS_URL names one server, a cluster, or with REDIS_SENTINEL_MASTER the
// sentinels.
func TestLoadConfigRedisForms(t *testing.T) {
	for _, kv := range [][]string{
		{"REDIS_URL", "rediss://:pw@redis.example:6380/1"},
		{"REDIS_URL", "redis://:pw@n1:7000?addr=n2:7000&addr=n3:7000"},
		{"REDIS_URL", "redis://s1:26379?addr=s2:26379&password=pw", "REDIS_SENTINEL_MASTER", "mymaster"},
	} {
		c, err := loadConfig(env(kv...))
		if err != nil {
			t.Errorf("%v: %v", kv, err)
			continue
		}
		if c.RedisURL != kv[1] || (len(kv) == 4 && c.RedisSentinelMaster != kv[3]) {
			t.Errorf("%v read as %q, %q", kv, c.RedisURL, c.RedisSentinelMaster)
		}
	}
}

func TestHelpListsEveryVariable(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, env(), &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, v := range variables {
		if !strings.Contains(out.String(), v.name) || (v.def != "" && !strings.Contains(out.String(), v.def)) {
			t.Errorf("--help lacks %s (default %q)", v.name, v.def)
		}
	}
}

func TestRunRefusesBadConfigBeforeConnecting(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"run"}, env("REDIS_URL", "nope", "SLACK_API_URL", "http://127.0.0.1:1/api/"), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Fatalf("err = %v, want a REDIS_URL configuration error", err)
	}
}
