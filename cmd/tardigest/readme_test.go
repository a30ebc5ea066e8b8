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

// TestReadmeWhatIsInside keeps the examples of the README's "What is
// inside" section true: every "$ tardigest ..." line of its blocks, run
// from the repository root, prints exactly the lines that follow it.
func TestReadmeWhatIsInside(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i := strings.Index(s, "\n## What is inside\n")
	if i < 0 {
		t.Fatal("README has no What is inside section")
	}
	s = s[i+1:]
	s = s[:strings.Index(s[3:], "\n## ")+3]
	commands := 0
	for _, block := range strings.Split(s, "```\n")[1:] {
		if !strings.HasPrefix(block, "$ tardigest ") {
			continue // the text between blocks
		}
		for _, run := range strings.Split(block, "$ tardigest ")[1:] {
			line, want, _ := strings.Cut(run, "\n")
			args := strings.Fields(line)
			for k, a := range args {
				if strings.HasPrefix(a, "testdata/") {
					args[k] = filepath.Join("..", "..", a)
				}
			}
			_, got, stderr := runCLI(t, nil, args...)
			got = strings.ReplaceAll(got, "../../", "")
			if got != want {
				t.Errorf("README: tardigest %s is stale (stderr %q); it now prints:\n%s", line, stderr, got)
			}
			commands++
		}
	}
	if commands < 5 {
		t.Errorf("found %d commands in What is inside, want at least 5", commands)
	}
}
