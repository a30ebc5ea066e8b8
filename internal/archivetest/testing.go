package archivetest

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Load parses the case file at path, failing the test on error.
func Load(tb testing.TB, path string) *Case {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := Parse(filepath.Base(path), data)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Glob returns the paths of the *.txt case files in dir, sorted.
func Glob(tb testing.TB, dir string) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(paths)
	return paths
}

// MustArchive returns the archive bytes of a case that is not a
// directory, failing the test on error.
func (c *Case) MustArchive(tb testing.TB) []byte {
	tb.Helper()
	b, err := c.Archive()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// File writes the archive bytes to a file in a temporary directory and
// returns its path.
func (c *Case) File(tb testing.TB) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "archive")
	if err := os.WriteFile(p, c.MustArchive(tb), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// Dir writes a directory case into a temporary directory and returns the
// layout's path. (outside) sections go to a sibling directory "outside",
// so a symlink such as ../../../outside/x reaches them.
func (c *Case) Dir(tb testing.TB) string {
	tb.Helper()
	base := tb.TempDir()
	root, outside := filepath.Join(base, "layout"), filepath.Join(base, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	if err := c.WriteDir(root, outside); err != nil {
		tb.Fatal(err)
	}
	return root
}

// SkipHeavy skips the test when the case is heavy and the run is short
// or under the race detector.
func (c *Case) SkipHeavy(t interface{ Skip(...any) }) {
	if c.Heavy && (testing.Short() || RaceEnabled) {
		t.Skip("heavy case: skipped under -short and -race (TestHostileCasesAsProcess runs it)")
	}
}
