package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/report"
)

const diffCases = "../../testdata/diff/"

// TestDiffCLI runs diff and diff --ship through the whole program:
// exit codes as diff(1), text and JSON goldens (the JSON validated
// against docs/schema/diff.schema.json by runCLI).
func TestDiffCLI(t *testing.T) {
	multi := archives + "multi-image.tar"
	v1, v2 := "--image-a=tardigest/fixture:v1", "--image-b=tardigest/fixture:v2"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string
	}{
		{"producers identical", []string{"diff", archives + "docker-archive.tar", archives + "oci-zstd"}, 0, "diff-producers.txt"},
		{"two tags", []string{"diff", v1, v2, multi, multi}, 1, "diff-multi-image.txt"},
		{"two tags json", []string{"diff", "-o", "json", v1, v2, multi, multi}, 1, "diff-multi-image.json"},
		{"paths", []string{"diff", v1, v2, "--paths", "/etc", "--paths", "usr/*/bin", multi, multi}, 1, "diff-paths.txt"},
		{"max listed", []string{"diff", v1, v2, "--max-listed", "1", multi, multi}, 1, "diff-max-listed.txt"},
		{"ship", []string{"diff", "--ship", archives + "docker-archive.tar", archives + "oci-zstd"}, 1, "diff-ship.txt"},
		{"ship json", []string{"diff", "--ship", "-o", "json", archives + "oci-gzip", multi}, 1, "diff-ship.json"},
		{"ship nothing", []string{"diff", "--ship", archives + "oci-gzip", archives + "oci-zstd", archives + "oci-archive.tar"}, 0, "diff-ship-nothing.txt"},
		{"one argument", []string{"diff", multi}, 2, "diff-one-argument.stderr"},
		{"ship one argument", []string{"diff", "--ship", multi}, 2, "diff-ship-one-argument.stderr"},
		{"ship with paths", []string{"diff", "--ship", "--paths", "/etc", multi, multi}, 2, "diff-ship-paths.stderr"},
		{"two stdins", []string{"diff", "-", "-"}, 2, "diff-two-stdins.stderr"},
		{"bad output", []string{"diff", "-o", "yaml", multi, multi}, 2, "diff-bad-output.stderr"},
		{"paired by tag", []string{"diff", multi, multi}, 0, "diff-same-archive.txt"},
		{"unreadable", []string{"diff", multi, archives + "truncated.tar"}, 3, "diff-unreadable.stderr"},
		{"unreadable json", []string{"diff", "-o", "json", multi, archives + "truncated.tar"}, 3, "diff-unreadable.json"},
		{"help", []string{"diff", "--help"}, 0, "help-diff.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runGolden(t, tt.args, tt.wantCode, tt.golden)
		})
	}
}

// TestDiffStdin compares an archive read from standard input, whose
// files are hashed in its one pass, with one read from a file: the
// changes are the same either way round as from two files.
func TestDiffStdin(t *testing.T) {
	a := archivetest.Load(t, diffCases+"files.a.txt")
	b := archivetest.Load(t, diffCases+"files.b.txt")
	fileA, fileB := a.File(t), b.File(t)
	changes := func(stdin []byte, args ...string) []string {
		t.Helper()
		code, stdout, stderr := runCLI(t, stdin, append([]string{"diff", "-o", "json"}, args...)...)
		if code != exitMismatch {
			t.Fatalf("diff %v: exit %d, stderr %s", args, code, stderr)
		}
		var doc report.DiffDoc
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range doc.Images[0].Files.Changes {
			out = append(out, c.Change+" "+c.Path+" "+strings.Join(c.What, ","))
		}
		return out
	}
	want := changes(nil, fileA, fileB)
	if !slices.Contains(want, "modified etc/a content") {
		t.Fatalf("files case: %q lacks the content change", want)
	}
	if got := changes(a.MustArchive(t), "-", fileB); !slices.Equal(got, want) {
		t.Errorf("A from stdin: %q, want %q", got, want)
	}
	if got := changes(b.MustArchive(t), fileA, "-"); !slices.Equal(got, want) {
		t.Errorf("B from stdin: %q, want %q", got, want)
	}
}

// TestDiffEscapes gives side B a file whose name holds a terminal escape
// and a bidi override, and a label value with one: the text output must carry
// neither raw.
func TestDiffEscapes(t *testing.T) {
	a := archivetest.Load(t, diffCases+"config.a.txt").File(t)
	data, err := os.ReadFile(diffCases + "config.b.txt")
	if err != nil {
		t.Fatal(err)
	}
	hostile := strings.Replace(string(data), "app/y: 2", "app/y: 2\napp/{{bytes 1b}}[2Jevil{{bytes e280ae}}line: x", 1)
	hostile = strings.Replace(hostile, `"version":"2"`, `"version":"2\u001b[31m"`, 1)
	c, err := archivetest.Parse("hostile.txt", []byte(hostile))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, nil, "diff", a, c.File(t))
	if code != exitMismatch {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if strings.ContainsAny(stdout, "\x1b\u202e") || !strings.Contains(stdout, `app/\x1b[2Jevil\u202eline`) || !strings.Contains(stdout, `2\x1b[31m`) {
		t.Errorf("raw control characters, or the escaped names missing:\n%s", stdout)
	}
}
