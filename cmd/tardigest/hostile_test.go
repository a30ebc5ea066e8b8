package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
// writes temporary files); on the metadata cost cases (graph-*), the same
// bounds for inspect --output json.
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
			if c.Heavy && archivetest.RaceEnabled {
				// Building the case is what is slow under -race (minutes);
				// the run without -race reads it.
				t.Skip("heavy case: skipped under -race")
			}
			t.Parallel()
			input := writeCase(t, c)
			args := []string{"verify"}
			for k, v := range c.Limits {
				args = append(args, fmt.Sprintf("--%s=%d", k, v))
			}
			args = append(args, input)

			code := runBounded(t, bin, args)
			want := exitFor(c.Expect)
			if c.Exit >= 0 {
				want = c.Exit
			}
			if code != want {
				t.Errorf("exit code %d, want %d (expect: %s)", code, want, c.Expect)
			}
			if strings.HasPrefix(c.Name, "graph-") {
				// The metadata cost cases: every image and row written
				// as JSON must stay within the bounds verify keeps.
				runBounded(t, bin, append([]string{"inspect", "--output", "json"}, args[1:]...))
			}
		})
	}
}

// runBounded runs the binary with args in an empty working directory with
// an empty TMPDIR, its output discarded, and fails the test unless it ends
// within maxCaseWallTS under maxRSSBytes and leaves both directories
// empty. It returns the exit code.
func runBounded(t *testing.T, bin string, args []string) int {
	t.Helper()
	work, tmp := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), maxCaseWallTS)
	defer cancel()
	cmd, peak := measured(ctx, t, bin, args)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after %v", args[0], maxCaseWallTS)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if rss, ok := peak(cmd); ok {
		t.Logf("%s: exit %d, peak RSS %d MiB", args[0], code, rss>>20)
		if rss > maxRSSBytes {
			t.Errorf("%s: peak RSS %d MiB, over %d MiB", args[0], rss>>20, maxRSSBytes>>20)
		}
	}
	for _, dir := range []string{work, tmp} {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%s: %s is no longer empty: %v", args[0], dir, entries)
		}
	}
	return code
}

// measured returns the command that runs bin with args, and the function
// that gives its peak RSS once it ran. A child started from this process
// starts its peak RSS at this process's own (Linux carries the high-water
// mark of the memory it shared until exec), so under -race, where the
// test process is large, the child's rusage says nothing: GNU time, when
// installed, forks the child from its own small process and reports the
// child's true peak. Without it, a peak that may be this process's own is
// not judged.
func measured(ctx context.Context, t *testing.T, bin string, args []string) (*exec.Cmd, func(*exec.Cmd) (int64, bool)) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		out := filepath.Join(t.TempDir(), "rss")
		cmd := exec.CommandContext(ctx, "/usr/bin/time", append([]string{"-f", "%M", "-o", out, bin}, args...)...)
		return cmd, func(*exec.Cmd) (int64, bool) {
			b, err := os.ReadFile(out)
			lines := strings.Fields(string(b))
			if err != nil || len(lines) == 0 {
				t.Errorf("GNU time wrote no peak RSS: %v %q", err, b)
				return 0, false
			}
			kib, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
			return kib * 1024, err == nil
		}
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	return cmd, func(cmd *exec.Cmd) (int64, bool) {
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			return 0, false
		}
		if ru.Maxrss <= selfPeakKiB() {
			t.Logf("peak RSS %d MiB is no more than this test process's own: not judged (install GNU time)", ru.Maxrss>>10)
			return 0, false
		}
		return ru.Maxrss * 1024, true
	}
}

// selfPeakKiB is this process's peak RSS (VmHWM), in KiB.
func selfPeakKiB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
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
