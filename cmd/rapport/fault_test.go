package main

// Slack's faults end to end (issue 9): a refused token pauses all sending and a refused method
// (a missing scope) pauses that method; nothing is lost or sent twice, and each resumes on its own.

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/robfig/cron/v3"
)

// faultRecheck stands in for the 15 s between tries of a refused token or method, so a test sees
// several tries within its deadline.
const faultRecheck = 300 * time.Millisecond

// startFaulty starts one replica that serves /readyz and tries a refused token or method again
// every faultRecheck; it returns /readyz's URL.
func startFaulty(t *testing.T) (*harness, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // the bot closes it at shutdown; this covers a failed start
	h := startWith(t, 1, func(d *deps) { d.listener, d.noHTTP, d.faultRecheck = ln, false, faultRecheck })
	return h, "http://" + ln.Addr().String() + "/readyz"
}

// readyz is what a load balancer sees at url: the status and the body.
func (h *harness) readyz(url string) (int, string) {
	h.t.Helper()
	code, body := h.get(url)
	return code, strings.TrimSpace(body)
}

// get is GET url: the status and the body.
func (h *harness) get(url string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, url, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Close = true // no idle connection outlives the test
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (h *harness) deadLetters() int64 {
	h.t.Helper()
	n, err := h.store.DeadCount(h.ctx, slackfake.TeamID)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestRefusedTokenHoldsEveryMessageUntilItWorks(t *testing.T) {
	h, readyz := startFaulty(t)
	h.wait("/readyz 200", func() bool { code, _ := h.readyz(readyz); return code == http.StatusOK })

	// Three members open the form while the token works; Slack refuses it before they submit.
	type referral struct {
		giver person
		form  form
	}
	// Three prospects, so none is taken for a duplicate of another.
	another := func(receiver, name, company, phone, email string) form {
		f := hotForm()
		f.receiver, f.name, f.company, f.phone, f.email = receiver, name, company, phone, email
		return f
	}
	refs := []referral{{h.alice, hotForm()},
		{h.carol, another("UDAVE", "Sam Patel", "Patel Law", "480-555-0199", "sam@patel.example")},
		{h.dave, another("UALICE", "Lee Park", "Park Dental", "480-555-0177", "lee@park.example")}}
	views := make([]slackfake.View, len(refs))
	for i, r := range refs {
		v, err := r.giver.openForm(h.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		views[i] = v
	}
	h.fake.RefuseBotToken("invalid_auth")
	checks := len(h.fake.Calls("auth.test"))

	// Saving a referral needs Redis only: each is acknowledged as saved while nothing can be sent.
	submit := func(i int) {
		t.Helper()
		ack, err := refs[i].giver.submit(h.ctx, views[i], refs[i].form)
		if err != nil {
			t.Fatal(err)
		}
		if p := decodeAck(ack); p.ResponseAction != "" || len(p.Errors) != 0 {
			t.Fatalf("referral %d refused while Slack refuses the token: %s", i+1, pretty(p))
		}
	}
	submit(0)
	// In Socket Mode /readyz says why nothing goes out. In HTTP mode it stays ready: readiness
	// routes Slack's requests, and a replica that takes none could not save referrals either.
	wantCode, reason := http.StatusServiceUnavailable, "Slack refuses the bot token (invalid_auth)"
	if h.app.cfg.HTTPMode {
		wantCode, reason = http.StatusOK, "ready"
	}
	h.wait("/readyz with the reason", func() bool {
		code, body := h.readyz(readyz)
		return code == wantCode && body == reason
	})
	// Tries that passed the check before the first refusal may still land: count from the first
	// re-check on.
	h.wait("auth.test to ask again", func() bool { return len(h.fake.Calls("auth.test")) > checks })
	posts := len(h.fake.Calls("chat.postMessage"))
	submit(1)
	submit(2)
	h.wait("auth.test to ask again, three times more", func() bool { return len(h.fake.Calls("auth.test")) >= checks+4 })
	if code, body := h.readyz(readyz); code != wantCode || body != reason {
		t.Errorf("/readyz while the token is refused = %d %q; want %d %q", code, body, wantCode, reason)
	}
	// Sending paused at the refusal: two more referrals and three re-checks later, nothing more
	// was tried against the refused token.
	if n := len(h.fake.Calls("chat.postMessage")); n != posts {
		t.Errorf("%d chat.postMessage calls while the token is refused, %d when it was first refused; want no more: sending pauses", n, posts)
	}

	// The token works again: every DM and confirmation goes, once.
	h.fake.RefuseBotToken("")
	h.wait("every DM and confirmation", func() bool {
		return len(h.alice.dms()) >= 2 && len(h.bob.dms()) >= 1 && len(h.carol.dms()) >= 1 && len(h.dave.dms()) >= 2 &&
			h.outboxEmpty()
	})
	want := map[person][]string{ // what each reads: a receiver's DM names the prospect, a confirmation the receiver
		h.alice: {"Dana Reyes", "<@UBOB>", "Lee Park", "<@UDAVE>"},
		h.bob:   {"Dana Reyes", "<@UALICE>"},
		h.carol: {"Sam Patel", "<@UDAVE>"},
		h.dave:  {"Sam Patel", "<@UCAROL>", "Lee Park", "<@UALICE>"},
	}
	for p, subs := range want {
		dms := p.dms()
		if len(dms) != len(subs)/2 {
			t.Errorf("%s got %d DMs; want %d", p.id, len(dms), len(subs)/2)
			continue
		}
		var all strings.Builder
		for _, m := range dms {
			all.WriteString(messageText(m))
		}
		if err := contains(all.String(), subs...); err != nil {
			t.Errorf("%s: %v", p.id, err)
		}
	}
	if code, body := h.readyz(readyz); code != http.StatusOK {
		t.Errorf("/readyz once the token works = %d %q; want 200", code, body)
	}
	if n := h.deadLetters(); n != 0 {
		t.Errorf("%d messages dead-lettered; a refused token must keep them all", n)
	}
}

func TestMissingScopeHoldsChartUntilGranted(t *testing.T) {
	const upload = "files.getUploadURLExternal"
	h, readyz := startFaulty(t)
	h.digestSettings(map[string]string{
		rapport.SetRecognitionChannel: digestChannel, rapport.SetDigestSchedule: "0 9 * * 1",
		rapport.SetTimeZone: "America/Phoenix", rapport.SetInactivityWeeks: "4",
	})
	h.referred()
	zone, _ := time.LoadLocation("America/Phoenix")
	sched, _ := cron.ParseStandard("0 9 * * 1")
	at := sched.Next(time.Now().In(zone))

	// The app was installed without files:write: Slack refuses the upload, however often it is tried.
	h.fake.FailNext(upload, "missing_scope", 1000)
	refused := time.Now()
	if err := h.app.single.catalogue.RunDigest(h.ctx, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	alerts := func() []slackfake.Message {
		var out []slackfake.Message
		for _, m := range h.dave.dms() {
			if strings.Contains(m.Text, upload) {
				out = append(out, m)
			}
		}
		return out
	}
	digestPosted := func() bool {
		for _, m := range h.channelMessages(digestChannel) {
			if strings.Contains(m.Text, "Weekly digest") {
				return true
			}
		}
		return false
	}
	h.wait("the digest, the admin's alert and three tries of the upload", func() bool {
		return digestPosted() && len(alerts()) >= 1 && len(h.fake.Calls(upload)) >= 3
	})
	// The refused method rests between tries: one try per re-check, not one per lane's turn.
	if n, most := len(h.fake.Calls(upload)), 2+int(time.Since(refused)/faultRecheck); n > most {
		t.Errorf("%d tries of the upload in %v; want at most %d, one per re-check", n, time.Since(refused).Round(time.Millisecond), most)
	}
	got := alerts()
	if len(got) != 1 {
		t.Fatalf("Dave was told %d times of the missing scope; want once", len(got))
	}
	if err := contains(messageText(got[0]), "missing_scope", "waiting, none is lost", "Reinstall the app"); err != nil {
		t.Error(err)
	}
	for _, p := range []person{h.alice, h.bob, h.carol} {
		for _, m := range p.dms() {
			if strings.Contains(m.Text, upload) {
				t.Errorf("%s, not an admin, was told of the missing scope", p.id)
			}
		}
	}
	if n, err := h.store.Pending(h.ctx, slackfake.TeamID); err != nil || n != 1 {
		t.Errorf("outbox holds %d entries (%v); want the chart waiting", n, err)
	}
	if code, body := h.readyz(readyz); code != http.StatusOK {
		t.Errorf("/readyz with one method refused = %d %q; want 200: everything else still goes", code, body)
	}

	// The scope is granted: the chart goes, once, and nobody is told again.
	h.fake.FailNext(upload, "", 0)
	h.wait("the chart", func() bool { return len(h.fake.Files()) >= 1 && h.outboxEmpty() })
	if files := h.fake.Files(); len(files) != 1 || files[0].Channel != digestChannel {
		t.Errorf("uploads = %d; want one chart in %s", len(files), digestChannel)
	}
	if n := len(alerts()); n != 1 {
		t.Errorf("Dave was told %d times of the missing scope; want once", n)
	}
	if n := h.deadLetters(); n != 0 {
		t.Errorf("%d messages dead-lettered; a missing scope must keep them", n)
	}
}
