package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The manifests are checked against the code they deploy, read from its source: cmd/rapport's
// configuration table and the bot's HTTP routes are unexported, and a copy here would drift.

// configVar is one row of cmd/rapport's configuration table (config.go's variables).
type configVar struct {
	name, def, help string
}

// required reports whether Rapport refuses to start without the variable.
func (v configVar) required() bool { return strings.HasPrefix(v.help, "required") }

// configTable reads cmd/rapport's variables table: every environment variable Rapport reads, with
// its default. A default that is not a string literal (computed) is left empty.
func configTable(t *testing.T) map[string]configVar {
	t.Helper()
	vars := map[string]configVar{}
	for _, f := range parseDir(t, "../cmd/rapport") {
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "variables" || len(spec.Values) != 1 {
				return true
			}
			table, ok := spec.Values[0].(*ast.CompositeLit)
			if !ok {
				t.Fatalf("cmd/rapport: variables is not a composite literal")
			}
			for _, row := range table.Elts {
				lit, ok := row.(*ast.CompositeLit)
				if !ok || len(lit.Elts) != 3 {
					t.Fatalf("cmd/rapport: a row of variables is not {name, default, help}")
				}
				v := configVar{name: stringLit(lit.Elts[0]), def: stringLit(lit.Elts[1]), help: stringLit(lit.Elts[2])}
				if v.name == "" {
					t.Fatalf("cmd/rapport: a row of variables has no literal name")
				}
				vars[v.name] = v
			}
			return false
		})
	}
	if len(vars) == 0 {
		t.Fatal("cmd/rapport: no variables table found")
	}
	return vars
}

// servedPaths reads the paths the bot's HTTP server routes (mux.HandleFunc("GET /readyz", …)),
// each with its method ("" for any).
func servedPaths(t *testing.T) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for _, f := range parseDir(t, "../bot") {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
				return true
			}
			pattern := stringLit(call.Args[0])
			if pattern == "" {
				return true
			}
			// net/http's pattern: [METHOD ][HOST]/PATH.
			method, path := "", pattern
			if m, p, ok := strings.Cut(pattern, " "); ok {
				method, path = m, strings.TrimSpace(p)
			}
			if i := strings.Index(path, "/"); i > 0 {
				path = path[i:]
			}
			paths[path] = method
			return true
		})
	}
	if len(paths) == 0 {
		t.Fatal("bot: no HTTP routes found")
	}
	return paths
}

// parseDir parses a package's non-test Go files.
func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// stringLit is e's value if it is a string literal, else "".
func stringLit(e ast.Expr) string {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return ""
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return ""
	}
	return s
}
