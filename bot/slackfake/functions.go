package slackfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/rapportbot/rapport/deploy"
)

// Workflow Builder steps of the app (custom functions): Slack runs one by sending function_executed
// with the run's inputs, and the app ends the run once with functions.completeSuccess (its outputs)
// or functions.completeError (why it failed). The functions, their inputs and outputs are the
// manifest's (deploy.Functions), as Slack knows them from the manifest pasted.

// Completion is a step's run as the app ended it.
type Completion struct {
	ExecutionID string
	Outputs     map[string]any // functions.completeSuccess's outputs, as JSON decodes them
	Error       string         // functions.completeError's error; "" for a success
	At          time.Time
	Team        string
}

// execution is a run of one of the app's functions, until the app completes it.
type execution struct {
	fn   deploy.Function
	done bool
}

// manifestFunction is the manifest's function callbackID; it panics for one the manifest does not
// declare, which Slack could never run.
func manifestFunction(callbackID string) deploy.Function {
	fs, err := deploy.Functions()
	if err != nil {
		panic(err) // the embedded manifest is checked by deploy's tests
	}
	for _, f := range fs {
		if f.CallbackID == callbackID {
			return f
		}
	}
	panic(fmt.Sprintf("slackfake: the manifest declares no function %q", callbackID))
}

// FunctionExecuted is Workspace.FunctionExecuted of the default workspace.
func (s *Server) FunctionExecuted(callbackID string, inputs map[string]any) map[string]any {
	return s.def.FunctionExecuted(callbackID, inputs)
}

// FunctionExecuted starts a run of the app's function callbackID, a step of a workflow that
// reached it, with inputs (by input name; Workflow Builder leaves out an input given no value), and
// returns the function_executed event Slack sends for it: pass it to Send as "events_api". The run
// awaits its completion (Completions); FunctionExecutionID reads its ID from the event. Its
// bot_access_token is a token of the run's own, which the Web API takes as the bot's.
func (w *Workspace) FunctionExecuted(callbackID string, inputs map[string]any) map[string]any {
	fn := manifestFunction(callbackID)
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	now := w.s.now()
	n := w.s.nextSeqLocked()
	id, token := fmt.Sprintf("Fx%010d", n), "xwfp-"+w.domain+"-"+randHex(12)
	w.executions[id] = &execution{fn: fn}
	w.s.tokens[token] = w
	w.s.notifyLocked()
	event := map[string]any{
		"type": "function_executed",
		"function": map[string]any{
			"id": fmt.Sprintf("Fn%010d", n), "callback_id": fn.CallbackID, "title": fn.Title,
			"description": fn.Description, "type": "app",
			"input_parameters": parameterList(fn.Inputs), "output_parameters": parameterList(fn.Outputs),
			"app_id": AppID, "date_created": w.s.startSec, "date_updated": w.s.startSec, "date_deleted": 0,
		},
		"inputs":                runInputs(fn, inputs),
		"function_execution_id": id,
		"workflow_execution_id": fmt.Sprintf("Wx%010d", n),
		"event_ts":              fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
		"bot_access_token":      token,
	}
	return w.eventCallbackLocked(event, now)
}

// runInputs are inputs as the run's event carries them: a user_context given as a user ID becomes
// Slack's {"id", "secret"}, the secret proving the person ran the workflow themselves.
func runInputs(fn deploy.Function, inputs map[string]any) map[string]any {
	out := maps.Clone(inputs)
	for _, p := range fn.Inputs {
		if id, ok := out[p.Name].(string); ok && p.Type == "slack#/types/user_context" {
			out[p.Name] = map[string]any{"id": id, "secret": randHex(40)}
		}
	}
	return out
}

// parameterList is a function's parameters as function_executed lists them.
func parameterList(ps []deploy.Parameter) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = map[string]any{"type": p.Type, "name": p.Name, "description": p.Description, "title": p.Title,
			"is_required": p.Required}
	}
	return out
}

// FunctionExecutionID is the run a function_executed event (from FunctionExecuted) starts.
func FunctionExecutionID(event map[string]any) string {
	inner, _ := event["event"].(map[string]any)
	id, _ := inner["function_execution_id"].(string)
	return id
}

// Completions is Workspace.Completions of the default workspace.
func (s *Server) Completions() []Completion { return s.def.Completions() }

// Completions returns the runs the app completed in this workspace, in order. A completion Slack
// refused (a run unknown or completed already, outputs that do not fit) is not among them.
func (w *Workspace) Completions() []Completion {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	out := slices.Clone(w.completions)
	for i := range out {
		out[i].Outputs = maps.Clone(out[i].Outputs)
	}
	return out
}

// runLocked is the run a completion names, or Slack's error for one that cannot be completed.
func (w *Workspace) runLocked(r *request) (*execution, string) {
	ex := w.executions[r.params["function_execution_id"]]
	switch {
	case ex == nil:
		return nil, "function_execution_not_found"
	case ex.done:
		return nil, "execution_not_in_running_state"
	}
	return ex, ""
}

// functionsCompleteSuccess ends a run with its outputs, which must be the function's: every
// required output given, none it does not declare, each of its type.
func (w *Workspace) functionsCompleteSuccess(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	ex, e := w.runLocked(r)
	if e != "" {
		return nil, e
	}
	var outputs map[string]any
	if err := json.Unmarshal([]byte(r.params["outputs"]), &outputs); err != nil || !fits(ex.fn.Outputs, outputs) {
		return nil, "parameter_validation_failed"
	}
	ex.done = true
	w.completions = append(w.completions, Completion{ExecutionID: r.params["function_execution_id"], Outputs: outputs,
		At: w.s.now(), Team: w.id})
	w.s.notifyLocked()
	return nil, ""
}

// functionsCompleteError ends a run as failed, with what the workflow's people read about why.
func (w *Workspace) functionsCompleteError(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	ex, e := w.runLocked(r)
	if e != "" {
		return nil, e
	}
	if r.params["error"] == "" {
		return nil, "invalid_arguments"
	}
	ex.done = true
	w.completions = append(w.completions, Completion{ExecutionID: r.params["function_execution_id"], Error: r.params["error"],
		At: w.s.now(), Team: w.id})
	w.s.notifyLocked()
	return nil, ""
}

// fits reports whether outputs are what params declare.
func fits(params []deploy.Parameter, outputs map[string]any) bool {
	for _, p := range params {
		if _, ok := outputs[p.Name]; p.Required && !ok {
			return false
		}
	}
	for name, v := range outputs {
		i := slices.IndexFunc(params, func(p deploy.Parameter) bool { return p.Name == name })
		if i < 0 {
			return false
		}
		switch v.(type) {
		case string:
			if params[i].Type == "boolean" {
				return false
			}
		case bool:
			if params[i].Type != "boolean" {
				return false
			}
		default:
			return false
		}
	}
	return true
}
