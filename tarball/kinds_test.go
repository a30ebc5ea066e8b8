package tarball

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKindTable checks the table of kinds: every kind declared in
// kinds.go is in it once, names are stable identifiers, a name is shared
// only by kinds of different severities, and only error kinds carry a
// class.
func TestKindTable(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "kinds.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			for _, n := range spec.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "kind") && n.Name != "kinds" {
					declared[n.Name] = true
				}
			}
		}
	}
	listed := map[string]int{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range g.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "kinds" {
				continue
			}
			for _, el := range vs.Values[0].(*ast.CompositeLit).Elts {
				listed[el.(*ast.Ident).Name]++
			}
		}
	}
	for name := range declared {
		if listed[name] != 1 {
			t.Errorf("%s is listed %d times in kinds, want once", name, listed[name])
		}
	}
	if len(listed) != len(declared) || len(kinds) != len(declared) {
		t.Errorf("kinds lists %d names (%d entries), kinds.go declares %d kinds", len(listed), len(kinds), len(declared))
	}
	if len(kinds) < 40 {
		t.Fatalf("%d kinds; the table lost some", len(kinds))
	}

	stable := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	bySeverity := map[string]map[Severity]bool{}
	for _, k := range kinds {
		if !stable.MatchString(k.Name) || k.Meaning == "" || strings.HasSuffix(k.Meaning, ".") {
			t.Errorf("kind %+v: want a snake_case name and a one-line meaning without a period", k)
		}
		if strings.Contains(k.Meaning, "--") {
			t.Errorf("kind %s: a meaning names no command-line flag", k.Name)
		}
		if bySeverity[k.Name] == nil {
			bySeverity[k.Name] = map[Severity]bool{}
		}
		if bySeverity[k.Name][k.Severity] {
			t.Errorf("two kinds named %s have severity %s", k.Name, k.Severity)
		}
		bySeverity[k.Name][k.Severity] = true
		switch k.Severity {
		case SeverityError:
			if name, _ := ClassOf(k.Class); name == "" {
				t.Errorf("error kind %s has no class", k.Name)
			}
		case SeverityWarning, SeverityInfo:
			if k.Class != nil || k.FromCause {
				t.Errorf("%s kind %s carries a class", k.Severity, k.Name)
			}
		default:
			t.Errorf("kind %s: severity %q", k.Name, k.Severity)
		}
	}
}

// TestKindsOnlyFromTable fails when a non-test file of the package makes
// a Kind anywhere but in kinds.go: every finding's kind comes from the
// table.
func TestKindsOnlyFromTable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if name == "kinds.go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if cl, ok := n.(*ast.CompositeLit); ok {
				if id, ok := cl.Type.(*ast.Ident); ok && id.Name == "Kind" {
					t.Errorf("%s: a Kind is made outside the table in kinds.go", fset.Position(cl.Pos()))
				}
			}
			return true
		})
	}
}

func TestCausedBy(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		cause error
		want  string
	}{
		{"the cause's class wins", kindInvalidJSON, ErrLimit, "limit"},
		{"a cause without a class keeps the kind's", kindInvalidJSON, errPlain, "malformed"},
		{"a fixed class stays", kindBadSize, ErrLimit, "malformed"},
		{"missing blob through a link loop", kindMissingBlob, ErrMalformed, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.kind.causedBy(tt.cause).ClassName(); got != tt.want {
				t.Errorf("class %q, want %q", got, tt.want)
			}
		})
	}
}

var errPlain = &findingError{msg: "no class"}

// TestNoFlagNames fails when a string of the library names a
// command-line flag: the library's messages are for any program, and
// cmd/tardigest (or report) words the hints for its own flags.
func TestNoFlagNames(t *testing.T) {
	flag := regexp.MustCompile(`--[a-z]`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				checked++
				if flag.MatchString(lit.Value) {
					t.Errorf("%s: %s names a command-line flag", fset.Position(lit.Pos()), lit.Value)
				}
			}
			return true
		})
	}
	if checked < 100 {
		t.Fatalf("checked %d strings; the scan missed the package", checked)
	}
}
