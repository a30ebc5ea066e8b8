package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// House limits on non-test Go files (README: Layout; the house rules).
const (
	maxFileLines  = 500
	maxFuncLines  = 80
	maxComplexity = 25
)

// TestCodeShape fails on any non-test Go file of the module over
// maxFileLines lines, and on any function in one over maxFuncLines lines
// or with a cyclomatic complexity over maxComplexity, as gocyclo counts
// it: 1, plus one per if, for, range, non-default case or select case,
// and one per && or || (function literals count toward the function that
// holds them).
func TestCodeShape(t *testing.T) {
	root := filepath.Join("..", "..")
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		for _, p := range shapeProblems(t, path) {
			t.Error(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("checked %d Go files; the walk missed the module", files)
	}
}

// shapeProblems lists what is over the limits in one file.
func shapeProblems(t *testing.T, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if n := countLines(src); n > maxFileLines {
		out = append(out, fmt.Sprintf("%s: %d lines, over %d: split it by subject", path, n, maxFileLines))
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
		if n := end.Line - start.Line + 1; n > maxFuncLines {
			out = append(out, fmt.Sprintf("%s:%d: %s is %d lines, over %d", path, start.Line, funcName(fn), n, maxFuncLines))
		}
		if c := complexity(fn); c > maxComplexity {
			out = append(out, fmt.Sprintf("%s:%d: %s has cyclomatic complexity %d, over %d", path, start.Line, funcName(fn), c, maxComplexity))
		}
	}
	return out
}

func countLines(src []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(nil, len(src)+1)
	for sc.Scan() {
		n++
	}
	return n
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// complexity is gocyclo's cyclomatic complexity of fn.
func complexity(fn *ast.FuncDecl) int {
	c := 1
	ast.Inspect(fn, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			c++
		case *ast.CaseClause:
			if n.List != nil {
				c++
			}
		case *ast.CommClause:
			if n.Comm != nil {
				c++
			}
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				c++
			}
		}
		return true
	})
	return c
}

// TestComplexityCounts checks the counter on functions whose gocyclo
// complexity is known.
func TestComplexityCounts(t *testing.T) {
	tests := []struct {
		src  string
		want int
	}{
		{"func f() {}", 1},
		{"func f(a, b bool) { if a && b || a {} }", 4},
		{"func f(x int) { switch x { case 1: case 2, 3: default: } }", 3},
		{"func f(c chan int) { for range c { select { case <-c: default: } } }", 3},
		{"func f() { g := func() { for {} }; g() }", 2},
	}
	for _, tt := range tests {
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", "package x\n"+tt.src, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := complexity(f.Decls[0].(*ast.FuncDecl)); got != tt.want {
			t.Errorf("complexity(%s) = %d, want %d", tt.src, got, tt.want)
		}
	}
}
