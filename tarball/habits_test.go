package tarball_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/layer"
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

// copyDir copies the regular files of a fixture directory into a new
// temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestSkopeoDirDamaged reads real skopeo dir: layouts damaged after the
// copy: each damage is reported, as in any other layout.
func TestSkopeoDirDamaged(t *testing.T) {
	const (
		single = ownFixtures + "/skopeo-dir-single-gzip"
		multi  = ownFixtures + "/skopeo-dir-multi-all"
		layer0 = "99fb903720fceeb8fd38d1d9702769a737faa27ddccca108ddec4290f5aba6cf"
		arm64  = "d9338179cb578814fb61fc399eff7c7fe4b0914b81aa32e7c110e52c9cd05482.manifest.json"
	)
	tests := []struct {
		name, src string
		damage    func(dir string) error
		wantKind  string
		wantErr   bool
	}{
		{"no version file", single, func(d string) error { return os.Remove(filepath.Join(d, "version")) }, "skopeo_dir_version", false},
		{"a layer's bytes changed", single, func(d string) error {
			return os.WriteFile(filepath.Join(d, layer0), []byte("not the layer"), 0o644)
		}, "digest_mismatch", true},
		{"a layer missing", single, func(d string) error { return os.Remove(filepath.Join(d, layer0)) }, "missing_blob", true},
		{"an instance left out", multi, func(d string) error { return os.Remove(filepath.Join(d, arm64)) }, "absent_platform", false},
		{"a stray blob", single, func(d string) error {
			return os.WriteFile(filepath.Join(d, strings.Repeat("ab", 32)), []byte("stray"), 0o644)
		}, "unreferenced_blobs", true}, // and its name is not its digest
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, tt.src)
			if err := tt.damage(dir); err != nil {
				t.Fatal(err)
			}
			res, err := tarball.Open(context.Background(), dir, tarball.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Archive.Format != tarball.FormatSkopeoDir {
				t.Errorf("format %s", res.Archive.Format)
			}
			if _, ok := kindsOf(res)[tt.wantKind]; !ok {
				t.Errorf("no %s finding: %v", tt.wantKind, kindsOf(res))
			}
			if (res.Err(-1) != nil) != tt.wantErr {
				t.Errorf("error %v, want one: %v", res.Err(-1), tt.wantErr)
			}
		})
	}
}

// TestExtractedSaveReadsLikeItsTar checks that a docker save extracted
// with tar -xf is read like the tar it came from: the same images,
// layers, names and verdict, the legacy layer.tar symlinks followed
// inside the directory as in the tar.
func TestExtractedSaveReadsLikeItsTar(t *testing.T) {
	for _, name := range []string{"docker-archive", "docker25"} {
		t.Run(name, func(t *testing.T) {
			tar, err := tarball.Open(context.Background(), filepath.Join(ownFixtures, name+".tar"), tarball.Options{})
			if err != nil {
				t.Fatal(err)
			}
			dir, err := tarball.Open(context.Background(), filepath.Join(ownFixtures, name+"-extracted"), tarball.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if dir.Archive.Container != tarball.ContainerDirectory || dir.Archive.Format != tar.Archive.Format || dir.Archive.Producer != tar.Archive.Producer {
				t.Errorf("archive %+v, the tar's %+v", dir.Archive, tar.Archive)
			}
			if a, b := mustJSON(t, tar.Images), mustJSON(t, dir.Images); a != b {
				t.Errorf("images differ:\ntar: %s\ndir: %s", a, b)
			}
			if a, b := findingKinds(tar), findingKinds(dir); !slices.Equal(a, b) {
				t.Errorf("findings differ: tar %v, dir %v", a, b)
			}
			if dir.Err(-1) != nil {
				t.Errorf("the extracted save does not verify: %v", dir.Err(-1))
			}
		})
	}
}

// TestWholeArchiveBzip2Xz reads docker-archive.tar compressed as a whole
// with bzip2 and xz (one stream, two streams, pixz's index after the tar)
// from a file and from a stream: each gives exactly the tar's images, and
// a damaged copy is malformed, never a partial result.
func TestWholeArchiveBzip2Xz(t *testing.T) {
	ctx := context.Background()
	want, err := tarball.Open(ctx, filepath.Join(ownFixtures, "docker-archive.tar"), tarball.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The two-stream xz of archives-new, 4 KiB blocks of xz -9, costs
	// more than 1100 times its 2 kB to decode (a 64 MiB window set up per
	// block): it reads with the ratio raised.
	raised := tarball.Options{Limits: tarball.Limits{Layer: layer.Limits{MaxExpansionRatio: 1 << 20}}}
	for _, tt := range []struct {
		path, container string
		opts            tarball.Options
	}{
		{filepath.Join(ownFixtures, "docker-archive.tar.bz2"), "tar+bzip2", tarball.Options{}},
		{filepath.Join(ownFixtures, "docker-archive-multistream.tar.bz2"), "tar+bzip2", tarball.Options{}},
		{filepath.Join(ownFixtures, "docker-archive.tar.xz"), "tar+xz", tarball.Options{}},
		{filepath.Join(ownFixtures, "docker-archive-pixz.tar.xz"), "tar+xz", tarball.Options{}},
		{"../testdata/archives-new/docker-archive-multistream.tar.xz", "tar+xz", raised},
	} {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			data, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			file, err := tarball.Open(ctx, tt.path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			stream, err := tarball.Read(ctx, bytes.NewReader(data), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for how, res := range map[string]*tarball.Result{"Open": file, "Read": stream} {
				if string(res.Archive.Container) != tt.container || mustJSON(t, res.Images) != mustJSON(t, want.Images) || res.Err(-1) != nil {
					t.Errorf("%s: container %s, error %v; images differ from the tar's: %v", how, res.Archive.Container, res.Err(-1), mustJSON(t, res.Images) != mustJSON(t, want.Images))
				}
			}
			for name, bad := range map[string][]byte{
				"a byte flipped":   flipAt(data, len(data)/2),
				"cut short":        data[:len(data)-40],
				"garbage appended": append(bytes.Clone(data), "garbage"...),
			} {
				if _, err := tarball.Read(ctx, bytes.NewReader(bad), tt.opts); !errors.Is(err, tarball.ErrMalformed) {
					t.Errorf("%s: Read = %v, want a malformed archive", name, err)
				}
			}
		})
	}
}

func flipAt(data []byte, i int) []byte {
	out := bytes.Clone(data)
	out[i] ^= 0xff
	return out
}
