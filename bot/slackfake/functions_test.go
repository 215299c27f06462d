package slackfake_test

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/rapportbot/rapport/bot/slackfake"
)

// TestFunctionExecuted: the event of a step's run reads, through slack-go, as Slack's does: the
// manifest's function with its parameters, the inputs, the run's and workflow's IDs and a token.
func TestFunctionExecuted(t *testing.T) {
	s := newFake(t)
	payload := s.FunctionExecuted("record_referral", map[string]any{"giver": "UALICE", "receiver": "UBOB", "spoke": true})
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	fe, ok := ev.InnerEvent.Data.(*slackevents.FunctionExecutedEvent)
	if !ok || ev.TeamID != slackfake.TeamID {
		t.Fatalf("inner event %T of team %s; want *slackevents.FunctionExecutedEvent of %s", ev.InnerEvent.Data, ev.TeamID, slackfake.TeamID)
	}
	if fe.Function.CallbackID != "record_referral" || fe.Function.Title != "Record a referral" || fe.Function.AppID != slackfake.AppID {
		t.Errorf("function = %+v", fe.Function)
	}
	var inputs []string
	for _, p := range fe.Function.InputParameters {
		inputs = append(inputs, p.Name+":"+p.Type)
	}
	if len(inputs) != 11 || inputs[0] != "giver:slack#/types/user_context" || inputs[7] != "spoke:boolean" || inputs[10] != "note:string" {
		t.Errorf("input_parameters = %v; want the manifest's eleven, in its order", inputs)
	}
	if giver, _ := fe.Inputs["giver"].(map[string]any); giver["id"] != "UALICE" || giver["secret"] == "" {
		t.Errorf("giver = %v; want Slack's user_context, {id, secret}", fe.Inputs["giver"])
	}
	if fe.Inputs["receiver"] != "UBOB" || fe.Inputs["spoke"] != true {
		t.Errorf("inputs = %v", fe.Inputs)
	}
	if fe.FunctionExecutionID == "" || fe.FunctionExecutionID != slackfake.FunctionExecutionID(payload) ||
		fe.WorkflowExecutionID == "" || fe.BotAccessToken == "" || fe.EventTs == "" {
		t.Errorf("run %q (FunctionExecutionID: %q), workflow %q, token %q, event_ts %q", fe.FunctionExecutionID,
			slackfake.FunctionExecutionID(payload), fe.WorkflowExecutionID, fe.BotAccessToken, fe.EventTs)
	}
}

// TestFunctionComplete: a run is completed once, with the function's outputs or an error; Slack's
// errors for what cannot be completed come back through slack-go.
func TestFunctionComplete(t *testing.T) {
	s := newFake(t)
	ctx := waitCtx(t)
	api := newAPI(t, s, slackfake.BotToken)
	run := func() string { return slackfake.FunctionExecutionID(s.FunctionExecuted("record_referral", nil)) }
	outputs := func(o map[string]string) slack.FunctionCompleteSuccessRequestOption {
		return slack.FunctionCompleteSuccessRequestOptionOutput(o)
	}
	ok, failed, missing, extra := run(), run(), run(), run()
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"Success", func() error {
			return api.FunctionCompleteSuccessContext(ctx, ok, outputs(map[string]string{"referral": "R-7"}))
		}, ""},
		{"AgainErrNotRunning", func() error { return api.FunctionCompleteErrorContext(ctx, ok, "late") }, "execution_not_in_running_state"},
		{"Error", func() error { return api.FunctionCompleteErrorContext(ctx, failed, "Receiver: unknown.") }, ""},
		{"ErrUnknownRun", func() error { return api.FunctionCompleteErrorContext(ctx, "Fx404", "no") }, "function_execution_not_found"},
		{"ErrMissingOutput", func() error { return api.FunctionCompleteSuccessContext(ctx, missing) }, "parameter_validation_failed"},
		{"ErrUndeclaredOutput", func() error {
			return api.FunctionCompleteSuccessContext(ctx, extra, outputs(map[string]string{"referral": "R-8", "temperature": "hot"}))
		}, "parameter_validation_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := errString(err); got != tt.want {
				t.Errorf("err = %v; want %q", err, tt.want)
			}
		})
	}
	got := s.Completions()
	if len(got) != 2 || got[0].ExecutionID != ok || got[0].Outputs["referral"] != "R-7" || got[0].Error != "" ||
		got[1].ExecutionID != failed || got[1].Error != "Receiver: unknown." || got[1].Team != slackfake.TeamID {
		t.Errorf("completions = %+v; want R-7 for %s, then the error for %s", got, ok, failed)
	}
	// The run's own token may complete it too, as Slack's bot_access_token may.
	ev := s.FunctionExecuted("record_referral", nil)
	token := ev["event"].(map[string]any)["bot_access_token"].(string)
	if err := newAPI(t, s, token).FunctionCompleteErrorContext(ctx, slackfake.FunctionExecutionID(ev), "no"); err != nil {
		t.Errorf("completed with the run's token: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
