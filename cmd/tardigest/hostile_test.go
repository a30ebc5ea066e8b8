package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/layer"
)

// Bounds every run of the real binary on a hostile case must stay in,
// with default limits (issue 10): any archive of a few MB ends in 20
// seconds under 512 MiB, or is refused naming the limit.
const (
	maxRSSBytes   = 512 << 20
	maxCaseWallTS = 20 * time.Second
)

// TestHostileCasesAsProcess runs the built binary on every case of
// testdata/cases, as a separate process in an empty working directory
// with an empty TMPDIR, and checks: the documented exit code for the
// case's class, peak RSS under 512 MiB, an end within 20 seconds, and
// both directories still empty afterwards (tardigest never extracts nor
// writes temporary files).
func TestHostileCasesAsProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs every case as a process")
	}
	bin := filepath.Join(t.TempDir(), "tardigest")
	build := exec.Command("go", append(append([]string{"build"}, buildTags...), "-o", bin, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "--version").Output(); err != nil || !strings.Contains(string(out), layer.GzipDecoder) {
		t.Fatalf("%s --version = %q, %v; want the gzip decoder %q", bin, out, err, layer.GzipDecoder)
	}
	paths := archivetest.Glob(t, filepath.Join("..", "..", "testdata", "cases"))
	if len(paths) < 40 {
		t.Fatalf("only %d cases", len(paths))
	}
	for _, p := range paths {
		c := archivetest.Load(t, p)
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			input := writeCase(t, c)
			args := []string{"verify"}
			for k, v := range c.Limits {
				args = append(args, fmt.Sprintf("--%s=%d", k, v))
			}
			args = append(args, input)

			work, tmp := t.TempDir(), t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), maxCaseWallTS)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("still running after %v", maxCaseWallTS)
			}
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			want := exitFor(c.Expect)
			if c.Exit >= 0 {
				want = c.Exit
			}
			if code != want {
				t.Errorf("exit code %d, want %d (expect: %s)", code, want, c.Expect)
			}
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss := ru.Maxrss * 1024
				t.Logf("exit %d, peak RSS %d MiB", code, rss>>20)
				if rss > maxRSSBytes {
					t.Errorf("peak RSS %d MiB, over %d MiB", rss>>20, maxRSSBytes>>20)
				}
			}
			for _, dir := range []string{work, tmp} {
				if entries, _ := os.ReadDir(dir); len(entries) > 0 {
					t.Errorf("%s is no longer empty: %v", dir, entries)
				}
			}
		})
	}
}

// writeCase materialises a case as a file (or a layout directory) for the
// process to read.
func writeCase(t *testing.T, c *archivetest.Case) string {
	t.Helper()
	dir := t.TempDir()
	if c.Container == "directory" {
		root, outside := filepath.Join(dir, "layout"), filepath.Join(dir, "outside")
		for _, d := range []string{root, outside} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.WriteDir(root, outside); err != nil {
			t.Fatal(err)
		}
		return root
	}
	p := filepath.Join(dir, "archive")
	if err := os.WriteFile(p, c.MustArchive(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// exitFor is the documented exit code of verify for a case's class.
func exitFor(expect string) int {
	switch expect {
	case "ok":
		return exitOK
	case "mismatch", "missing":
		return exitMismatch
	}
	return exitUnreadable
}
