package tarball_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/tarball"
)

// csDir holds the case files; see internal/archivetest for the format.
var csDir = filepath.Join("..", "testdata", "cases")

// csMinCases guards against a test that passes because its cases vanished.
const csMinCases = 40

// csTimeout bounds one read of one case: no input may hang the reader.
const csTimeout = 60 * time.Second

// csOptions turns a case's limits: header into Options.
func csOptions(c *archivetest.Case) tarball.Options {
	opts := tarball.Options{Workers: 2}
	l := &opts.Limits
	for k, v := range c.Limits {
		switch k {
		case "max-json-bytes":
			l.MaxJSONBytes = v
		case "max-metadata-bytes":
			l.MaxMetadataBytes = v
		case "max-entries":
			l.MaxEntries = int(v)
		case "max-index-depth":
			l.MaxIndexDepth = int(v)
		case "max-uncompressed-bytes":
			l.Layer.MaxUncompressedBytes = v
		case "max-expansion-ratio":
			l.Layer.MaxExpansionRatio = v
		case "max-zstd-window-bytes":
			l.Layer.MaxWindowBytes = uint64(v)
		case "max-files":
			l.MaxFiles = int(v)
		}
	}
	return opts
}

// TestCases reads every case file in every way its container allows:
// tarball.Read on the bytes and tarball.Open on a file, or tarball.Open on
// the directory, and checks what the case expects.
func TestCases(t *testing.T) {
	paths := archivetest.Glob(t, csDir)
	if len(paths) < csMinCases {
		t.Fatalf("%s has %d cases, want at least %d", csDir, len(paths), csMinCases)
	}
	for _, p := range paths {
		c := archivetest.Load(t, p)
		t.Run(strings.TrimSuffix(c.Name, ".txt"), func(t *testing.T) {
			c.SkipHeavy(t)
			t.Parallel()
			opts := csOptions(c)
			if c.Container == "directory" {
				res, err := csRead(func(ctx context.Context) (*tarball.Result, error) {
					return tarball.Open(ctx, c.Dir(t), opts)
				})
				csCheck(t, c, "Open", res, err)
				return
			}
			data := c.MustArchive(t)
			res, err := csRead(func(ctx context.Context) (*tarball.Result, error) {
				return tarball.Read(ctx, bytes.NewReader(data), opts)
			})
			csCheck(t, c, "Read", res, err)
			file := filepath.Join(t.TempDir(), "archive")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			res2, err2 := csRead(func(ctx context.Context) (*tarball.Result, error) {
				return tarball.Open(ctx, file, opts)
			})
			csCheck(t, c, "Open", res2, err2)
			if res != nil && res2 != nil {
				if a, b := csKindSet(res), csKindSet(res2); a != b {
					t.Errorf("Read and Open disagree:\nRead: %s\nOpen: %s", a, b)
				}
			}
		})
	}
}

func csRead(read func(context.Context) (*tarball.Result, error)) (*tarball.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), csTimeout)
	defer cancel()
	return read(ctx)
}

func csCheck(t *testing.T, c *archivetest.Case, how string, res *tarball.Result, err error) {
	t.Helper()
	if c.Fatal {
		if err == nil {
			t.Errorf("%s: no error, want a fatal %s error; findings:\n%s", how, c.Expect, csSummary(res))
			return
		}
		t.Logf("%s error: %v", how, err)
		if !errors.Is(err, tarball.ClassNamed(c.Expect)) {
			t.Errorf("%s: error %q is not %s", how, err, c.Expect)
		}
		if res != nil {
			t.Errorf("%s: a result with the error %q", how, err)
		}
		for _, m := range c.Messages {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q does not say %q", how, err, m)
			}
		}
		if len(c.Kinds) > 0 {
			t.Errorf("%s: kind: lines make no sense with fatal: true", how)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: fatal error %q, want findings", how, err)
		return
	}
	t.Logf("%s findings:\n%s", how, csSummary(res))
	checkKinds(t, res)
	got := res.Err(-1)
	if c.Expect == "ok" {
		if got != nil {
			t.Errorf("%s: want no error finding; findings:\n%s", how, csSummary(res))
		}
		if c.Images < 0 && len(res.Images) == 0 {
			t.Errorf("%s: ok with no image: an archive that verifies nothing must not pass", how)
		}
	} else if !errors.Is(got, tarball.ClassNamed(c.Expect)) {
		t.Errorf("%s: want a %s finding; findings:\n%s", how, c.Expect, csSummary(res))
	}
	for _, k := range c.Kinds {
		found := false
		for _, f := range res.Findings {
			found = found || f.Kind == k
		}
		if !found {
			t.Errorf("%s: no finding of kind %q; findings:\n%s", how, k, csSummary(res))
		}
	}
	for _, m := range c.Messages {
		found := false
		for _, f := range res.Findings {
			found = found || strings.Contains(f.Message, m) || (f.Err != nil && strings.Contains(f.Err.Error(), m))
		}
		if !found {
			t.Errorf("%s: no finding says %q; findings:\n%s", how, m, csSummary(res))
		}
	}
	if c.Images >= 0 && len(res.Images) != c.Images {
		t.Errorf("%s: %d images, want %d", how, len(res.Images), c.Images)
	}
	if c.MaxIndexNodes > 0 {
		if n := csCountNodes(res.Index); n > c.MaxIndexNodes {
			t.Errorf("%s: index tree has %d nodes, want at most %d", how, n, c.MaxIndexNodes)
		}
	}
}

func csCountNodes(nodes []*tarball.IndexNode) int {
	n := len(nodes)
	for _, x := range nodes {
		n += csCountNodes(x.Children)
	}
	return n
}

func csSummary(res *tarball.Result) string {
	if res == nil {
		return "  (no result)"
	}
	var b strings.Builder
	for i, f := range res.Findings {
		if i == 30 {
			fmt.Fprintf(&b, "  ... %d more\n", len(res.Findings)-i)
			break
		}
		fmt.Fprintf(&b, "  %s %s %s %s: %s\n", f.Severity, f.Class, f.Kind, f.Subject, f.Message)
	}
	if len(res.Findings) == 0 {
		b.WriteString("  (none)\n")
	}
	return b.String()
}

// csKindSet is the sorted set of "severity kind" of a result, to
// compare two ways of reading the same bytes.
func csKindSet(res *tarball.Result) string {
	seen := map[string]bool{}
	for _, f := range res.Findings {
		seen[string(f.Severity)+" "+f.Kind] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// checkKinds fails the test for every finding whose kind, severity and
// class are not a row of the table of kinds: a finding must never be
// made of a kind the table (and so docs/findings.md) lacks.
func checkKinds(t *testing.T, res *tarball.Result) {
	t.Helper()
	for _, f := range res.Findings {
		if !kindInTable(f) {
			t.Errorf("finding %s (%s, class %s) about %s: no such kind in tarball.Kinds()", f.Kind, f.Severity, f.Class, f.Subject)
		}
	}
}

func kindInTable(f tarball.Finding) bool {
	for _, k := range tarball.Kinds() {
		if k.Name == f.Kind && k.Severity == f.Severity && (k.ClassName() == f.Class || (k.FromCause && f.Class != "info")) {
			return true
		}
	}
	return false
}

func TestCheckKindsCanFail(t *testing.T) {
	for _, f := range []tarball.Finding{
		{Kind: "no_such_kind", Severity: tarball.SeverityError, Class: "malformed"},
		{Kind: "diff_id_mismatch", Severity: tarball.SeverityWarning, Class: "info"},
		{Kind: "diff_id_mismatch", Severity: tarball.SeverityError, Class: "limit"},
	} {
		if kindInTable(f) {
			t.Errorf("%+v is accepted", f)
		}
	}
	if !kindInTable(tarball.Finding{Kind: "invalid_json", Severity: tarball.SeverityError, Class: "limit"}) {
		t.Errorf("invalid_json of class limit (its cause's) is refused")
	}
}
