package tarball_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer/tree"
	"github.com/tardigest/tardigest/tarball"
)

// fcBase is the base layer under every fuzzed one: a few directories,
// files, a symlink and a hard link for the fuzzed layer to overwrite,
// delete, hide or link to.
var fcBase = func() []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/os-release", Size: 8, Mode: 0o644},
		{Name: "usr/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/bin/tool", Size: 8, Mode: 0o4755},
		{Name: "bin", Typeflag: tar.TypeSymlink, Linkname: "usr/bin"},
		{Name: "usr/bin/alias", Typeflag: tar.TypeLink, Linkname: "usr/bin/tool"},
	} {
		tw.WriteHeader(h)
		tw.Write(bytes.Repeat([]byte("b"), int(h.Size)))
	}
	tw.Close()
	return buf.Bytes()
}()

// fcArchive is a docker-archive of the base layer and layer.
func fcArchive(layer []byte) []byte {
	cfg := fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q,%q]}}`,
		digest.FromBytes(fcBase), digest.FromBytes(layer))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range []struct {
		name string
		data []byte
	}{{"0/layer.tar", fcBase}, {"1/layer.tar", layer}, {"config.json", []byte(cfg)},
		{"manifest.json", []byte(`[{"Config":"config.json","RepoTags":["f:1"],"Layers":["0/layer.tar","1/layer.tar"]}]`)}} {
		tw.WriteHeader(&tar.Header{Name: e.name, Size: int64(len(e.data)), Mode: 0o644})
		tw.Write(e.data)
	}
	tw.Close()
	return buf.Bytes()
}

// FuzzLayerContent reads a docker-archive whose top layer is the fuzzed
// bytes, and checks what tarball makes of them: the archive itself is
// always readable; a layer is either merged or says why not; the merged
// filesystem lists, looks up and counts the same paths; waste adds up;
// every error finding has a class.
func FuzzLayerContent(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "layer", "tree", "testdata", "tars", "*.tar"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds in layer/tree/testdata/tars")
	}
	f.Add(fcBase)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, layer []byte) {
		opts := fzOptions() // a compressed top layer must not make one execution slow
		opts.Limits.MaxFiles = 10000
		res, err := tarball.Read(context.Background(), bytes.NewReader(fcArchive(layer)), opts)
		if err != nil {
			t.Fatalf("the archive around the layer is well formed: %v", err)
		}
		for _, fd := range res.Findings {
			if fd.Severity == tarball.SeverityError && fd.Err == nil {
				t.Errorf("error finding without a class: %+v", fd)
			}
		}
		fcCheckLayer(t, res)
		fs, err := res.Filesystem(0)
		if err != nil {
			if !errors.Is(err, tarball.ErrMissing) || res.Images[0].Content != nil {
				t.Fatalf("no filesystem (%v) with content %+v", err, res.Images[0].Content)
			}
			return
		}
		fcCheckFilesystem(t, res.Images[0], fs)
	})
}

func fcCheckLayer(t *testing.T, res *tarball.Result) {
	t.Helper()
	l, err := res.LayerFiles(0, 1)
	if err != nil {
		t.Fatalf("the top layer was not walked: %v", err)
	}
	if c := res.Images[0].Layers[1].Content; c == nil || len(l.Entries()) != c.Entries {
		t.Fatalf("layer content %+v, %d entries listed", c, len(l.Entries()))
	}
}

func fcCheckFilesystem(t *testing.T, img *tarball.Image, fs *tree.Image) {
	t.Helper()
	all, err := fs.List("/", true)
	if err != nil {
		t.Fatalf("List /: %v", err)
	}
	c := img.Content
	if len(all) != c.Paths {
		t.Errorf("List lists %d paths, the facts count %d", len(all), c.Paths)
	}
	for _, e := range all {
		got, err := fs.Lookup(e.Path, false)
		if err != nil || got.Path != e.Path || got.Type != e.Type {
			t.Fatalf("Lookup(%q) = %+v, %v; List says %+v", e.Path, got, err, e)
		}
	}
	var per int64
	for _, l := range img.Layers {
		if l.Content.Changes == nil {
			t.Fatalf("merged image, layer without changes")
		}
		per += l.Content.Changes.Reclaimable
	}
	if w := c.Waste; w.Reclaimable != per || w.Reclaimable > w.Stored || w.Reclaimable < 0 {
		t.Errorf("waste %d of %d stored, layers say %d", w.Reclaimable, w.Stored, per)
	}
}
