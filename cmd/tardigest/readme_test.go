package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeQuickStart keeps the README's quick start true: its first
// command, run from the repository root, prints exactly the block the
// README shows.
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	const cmdPrefix = "go run ./cmd/tardigest "
	i := strings.Index(s, cmdPrefix)
	if i < 0 {
		t.Fatal("README has no quick-start command")
	}
	line := s[i+len(cmdPrefix) : i+strings.IndexByte(s[i:], '\n')]
	if !strings.Contains(s, "go test -race ./...") {
		t.Error("README's quick start lacks the test command of .ci/run")
	}
	const marker = "The first prints:\n\n```\n"
	j := strings.Index(s, marker)
	if j < 0 {
		t.Fatal("README does not show the quick start's output")
	}
	want := s[j+len(marker):]
	want = want[:strings.Index(want, "```")]

	args := strings.Fields(line)
	code, got, stderr := runCLI(t, nil, append(args[:1], relToRepo(args[1:])...)...)
	if code != 0 {
		t.Fatalf("quick start exits %d: %s", code, stderr)
	}
	got = strings.ReplaceAll(got, "../../", "")
	if got != want {
		t.Errorf("README quick-start output is stale; it now prints:\n%s", got)
	}
	if ci, _ := os.ReadFile(filepath.Join("..", "..", ".ci", "run")); !strings.Contains(string(ci), "go test -race ./...") {
		t.Error(".ci/run does not run the README's test command")
	}
}

// relToRepo makes repository-relative paths usable from this package.
func relToRepo(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Join("..", "..", p)
	}
	return out
}
