package deploy

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Function is a custom function the manifest declares: a step Workflow Builder offers, which Slack
// runs by sending the function_executed event and which the app ends with functions.completeSuccess
// (its outputs) or functions.completeError. The fake Slack describes a run's function from it, and
// a test holds the handlers to its inputs and outputs.
type Function struct {
	CallbackID         string
	Title, Description string
	Inputs, Outputs    []Parameter // in the manifest's order
}

// Parameter is one input or output of a Function.
type Parameter struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"` // "string", "boolean", "slack#/types/user_id", …
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Hint        string `yaml:"hint"`
	Required    bool   `yaml:"is_required"`
}

// Functions are the manifest's functions, in its order.
func Functions() ([]Function, error) {
	var doc struct {
		Functions yaml.Node `yaml:"functions"`
	}
	if err := yaml.NewDecoder(bytes.NewReader(Manifest)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("read manifest.yaml: %w", err)
	}
	var fs []Function
	err := eachKey(&doc.Functions, func(id string, v *yaml.Node) error {
		var def struct {
			Title       string    `yaml:"title"`
			Description string    `yaml:"description"`
			Inputs      yaml.Node `yaml:"input_parameters"`
			Outputs     yaml.Node `yaml:"output_parameters"`
		}
		if err := v.Decode(&def); err != nil {
			return err
		}
		f := Function{CallbackID: id, Title: def.Title, Description: def.Description}
		var err error
		if f.Inputs, err = parameters(&def.Inputs); err != nil {
			return fmt.Errorf("input_parameters: %w", err)
		}
		if f.Outputs, err = parameters(&def.Outputs); err != nil {
			return fmt.Errorf("output_parameters: %w", err)
		}
		fs = append(fs, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read manifest.yaml: functions: %w", err)
	}
	return fs, nil
}

// parameters reads a mapping of parameters by name, in order. A parameter's name field, when
// given, must be its key.
func parameters(n *yaml.Node) ([]Parameter, error) {
	var ps []Parameter
	err := eachKey(n, func(name string, v *yaml.Node) error {
		var p Parameter
		if err := v.Decode(&p); err != nil {
			return err
		}
		if p.Name != "" && p.Name != name {
			return fmt.Errorf("its name is %q", p.Name)
		}
		p.Name = name
		ps = append(ps, p)
		return nil
	})
	return ps, err
}

// eachKey calls f with each key and value of mapping n, in order; an absent n has none.
func eachKey(n *yaml.Node, f func(key string, v *yaml.Node) error) error {
	if n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: not a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if err := f(n.Content[i].Value, n.Content[i+1]); err != nil {
			return fmt.Errorf("%s: %w", n.Content[i].Value, err)
		}
	}
	return nil
}
