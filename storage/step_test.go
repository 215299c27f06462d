package storage_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
)

// stepReferral is a referral a Workflow Builder step's run records: keyed on the run, with its
// completion owed to the run besides the two DMs.
func (f *fixture) stepReferral(d rapport.Draft, run string) storage.NewReferral {
	nr := f.newReferral(team, d)
	nr.Step = run
	nr.Notify = append(append([]rapport.Notice(nil), dms...), rapport.Notice{Kind: kindStepDone, To: rapport.RoleStep, Target: run})
	return nr
}

const (
	kindStepDone   = "step.done"
	kindStepFailed = "step.failed"
)

// stepOutbox lists the outbox's entries as "kind>to".
func stepOutbox(t *testing.T, f *fixture) []string {
	t.Helper()
	es, err := f.st.ReadOutbox(ctx(t), team, "c1", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Kind+">"+e.To)
	}
	return got
}

// TestStepSavesOnce: a step's run saves one referral and queues its completion to the run, however
// often Slack delivers the run's event (each delivery a new envelope).
func TestStepSavesOnce(t *testing.T) {
	f := newFixture(t)
	first, replayed, err := f.st.CreateReferral(ctx(t), f.stepReferral(draft(t, "UROB", "pat@prospect.example", ""), "Fx01"))
	if err != nil || replayed {
		t.Fatalf("CreateReferral = _, %v, %v; want a new referral", replayed, err)
	}
	again, replayed, err := f.st.CreateReferral(ctx(t), f.stepReferral(draft(t, "UROB", "pat@prospect.example", ""), "Fx01"))
	if err != nil || !replayed || again.Number != first.Number {
		t.Fatalf("the run again = R-%d, %v, %v; want R-%d replayed", again.Number, replayed, err, first.Number)
	}
	if got, want := strings.Join(stepOutbox(t, f), " "), "referral.received>UROB referral.sent>UGIA step.done>Fx01"; got != want {
		t.Errorf("outbox = %s; want %s", got, want)
	}
	if queued, err := f.st.FailStep(ctx(t), team, "Fx01", rapport.OutboxEntry{Kind: kindStepFailed, To: "Fx01"}); err != nil || queued {
		t.Errorf("FailStep of a run that saved = %v, %v; want nothing queued: a run is answered once", queued, err)
	}
}

// TestStepFailedThenSaves: a run answered with an error saves nothing later, even if its inputs
// would now pass (the receiver joined since); another run does.
func TestStepFailedThenSaves(t *testing.T) {
	f := newFixture(t)
	msg := rapport.OutboxEntry{Kind: kindStepFailed, To: "Fx02", Fields: map[string]string{"error": "no"}}
	for i, want := range []bool{true, false} {
		if queued, err := f.st.FailStep(ctx(t), team, "Fx02", msg); err != nil || queued != want {
			t.Fatalf("FailStep #%d = %v, %v; want %v", i+1, queued, err, want)
		}
	}
	_, _, err := f.st.CreateReferral(ctx(t), f.stepReferral(draft(t, "UROB", "pat@prospect.example", ""), "Fx02"))
	if rapport.ErrorCode(err) != rapport.ECONFLICT {
		t.Errorf("CreateReferral of a failed run: %v; want ECONFLICT", err)
	}
	if seq := f.rdb.Exists(ctx(t), f.key(team, "seq")).Val(); seq != 0 {
		t.Error("the failed run took a number")
	}
	if _, _, err := f.st.CreateReferral(ctx(t), f.stepReferral(draft(t, "UROB", "pat@prospect.example", ""), "Fx03")); err != nil {
		t.Errorf("another run: %v", err)
	}
	if got, want := strings.Join(stepOutbox(t, f), " "), "step.failed>Fx02 referral.received>UROB referral.sent>UGIA step.done>Fx03"; got != want {
		t.Errorf("outbox = %s; want %s", got, want)
	}
}

// TestStepGiverChecked: a step names its giver, who must be a member as a receiver must; the form's
// giver is who submits it, and is not looked up.
func TestStepGiverChecked(t *testing.T) {
	tests := []struct{ name, giver, want string }{
		{"Unknown", "UNOBODY", "I don't know that member yet"},
		{"Bot", "UBOT", "helper is a bot"},
		{"Deactivated", "UGONE", "gone has been deactivated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			d := draftFrom(t, tt.giver, "UROB", "pat@prospect.example", "")
			_, _, err := f.st.CreateReferral(ctx(t), f.stepReferral(d, "Fx04"))
			var fe rapport.FieldErrors
			if !errors.As(err, &fe) || len(fe) != 1 || !strings.Contains(fe[rapport.FieldGiver], tt.want) {
				t.Fatalf("CreateReferral = %v; want FieldErrors{giver: %q…}", err, tt.want)
			}
			if n := pending(t, f); n != 0 {
				t.Errorf("outbox length = %d after a refused step, want 0", n)
			}
			if _, _, err := f.st.CreateReferral(ctx(t), f.newReferral(team, d)); err != nil {
				t.Errorf("the same giver through the form: %v; want it saved", err)
			}
		})
	}
}
