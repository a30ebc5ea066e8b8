package tarball_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/tarball"
)

// readCase reads the case file name of testdata/cases as a stream.
func readCase(t *testing.T, name string) *tarball.Result {
	t.Helper()
	c := archivetest.Load(t, filepath.Join(csDir, name))
	res, err := tarball.Read(context.Background(), bytes.NewReader(c.MustArchive(t)), csOptions(c))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// kindsOf maps each kind found to its severity.
func kindsOf(res *tarball.Result) map[string]tarball.Severity {
	out := map[string]tarball.Severity{}
	for _, f := range res.Findings {
		out[f.Kind] = f.Severity
	}
	return out
}

// TestOneImageTwoTags checks that one image tagged twice in index.json
// is an info naming both tags, not a warning that names none.
func TestOneImageTwoTags(t *testing.T) {
	res := readCase(t, "ok-one-image-two-tags.txt")
	kinds := kindsOf(res)
	if _, ok := kinds["repeated_descriptor"]; ok {
		t.Errorf("a second tag is reported as a repeated descriptor: %v", kinds)
	}
	if kinds["several_names"] != tarball.SeverityInfo {
		t.Errorf("several_names is %q, want info: %v", kinds["several_names"], kinds)
	}
	if got := res.Images[0].ContainerdNames; len(got) != 2 {
		t.Errorf("the image has names %q, want both tags", got)
	}
}

// TestTarEndMarker checks that a tar cut at an entry boundary, which
// archive/tar reads as a clean end, is warned about, both as a stream
// and as a file, and that a whole tar is not.
func TestTarEndMarker(t *testing.T) {
	for _, tt := range []struct {
		name string
		want bool
	}{{"missing-blob-cut-tar.txt", true}, {"ok-tar-end-marker.txt", false}} {
		c := archivetest.Load(t, filepath.Join(csDir, tt.name))
		data := c.MustArchive(t)
		file := filepath.Join(t.TempDir(), "archive.tar")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		stream, err := tarball.Read(context.Background(), bytes.NewReader(data), tarball.Options{})
		if err != nil {
			t.Fatal(err)
		}
		seekable, err := tarball.Open(context.Background(), file, tarball.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for how, res := range map[string]*tarball.Result{"Read": stream, "Open": seekable} {
			_, got := kindsOf(res)["no_end_marker"]
			if got != tt.want {
				t.Errorf("%s %s: no_end_marker %v, want %v", how, tt.name, got, tt.want)
			}
		}
	}
}
