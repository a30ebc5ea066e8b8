package tarball

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer/tree"
)

// TestContentKinds keeps kinds.go in step with package tree: every kind a
// walk or a merge can report is declared here, with the same name and
// severity, and an error kind has a class (it fails verify).
func TestContentKinds(t *testing.T) {
	all := tree.Kinds()
	if len(all) < 20 {
		t.Fatalf("tree has %d kinds, want at least 20", len(all))
	}
	for _, k := range all {
		kk, ok := contentKinds[k]
		if !ok {
			t.Errorf("tree kind %s is not in kinds.go", k)
			continue
		}
		if kk.Name != string(k) || string(kk.Severity) != string(tree.SeverityOf(k)) {
			t.Errorf("tree kind %s (%s) is %s (%s) here", k, tree.SeverityOf(k), kk.Name, kk.Severity)
		}
		if (kk.Severity == SeverityError) != (kk.Class != nil) {
			t.Errorf("kind %s: severity %s with class %v", kk.Name, kk.Severity, kk.Class)
		}
	}
	if len(contentKinds) != len(all) {
		t.Errorf("kinds.go maps %d content kinds, tree has %d", len(contentKinds), len(all))
	}
}

// TestReadLayerAgain reads a layer a second time, from a file and from a
// directory, and sees the same diffID and the same bytes; after the file
// changed in between, the diffID differs, which is how cat finds out.
func TestReadLayerAgain(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "content", "demo.tar"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "demo.tar")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, archive := range []string{file, filepath.Join("..", "testdata", "archives", "oci-gzip"), filepath.Join("..", "testdata", "archives", "docker-archive.tar.gz"), filepath.Join("..", "testdata", "archives", "oci-archive.tar")} {
		res, err := Open(ctx, archive, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for j, l := range res.Images[0].Layers {
			var got bytes.Buffer
			again, err := res.ReadLayer(ctx, archive, 0, j, Options{}, &got)
			if err != nil {
				t.Fatalf("%s layer %d: %v", archive, j, err)
			}
			if again.DiffID != l.DiffID || digest.FromBytes(got.Bytes()) != l.DiffID {
				t.Errorf("%s layer %d: read again %s, content %s; first read %s", archive, j, again.DiffID, digest.FromBytes(got.Bytes()), l.DiffID)
			}
		}
	}
	res, err := Open(ctx, file, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Change one byte of the first layer's first file, in place.
	i := bytes.Index(data, []byte("Welcome to the demo"))
	if i < 0 {
		t.Fatal("demo.tar changed: no motd")
	}
	data[i] ^= 1
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := res.ReadLayer(ctx, file, 0, 0, Options{}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if again.DiffID == res.Images[0].Layers[0].DiffID {
		t.Errorf("a layer changed between the reads kept its diffID %s", again.DiffID)
	}
	if _, err := res.ReadLayer(ctx, "-", 0, 0, Options{}, io.Discard); err == nil {
		t.Error("ReadLayer of a stream: no error")
	}
}

// TestSharedLayerWalkedOnce: a layer two images share is walked once, and
// that one walk is merged into both.
func TestSharedLayerWalkedOnce(t *testing.T) {
	res, err := Open(context.Background(), filepath.Join("..", "testdata", "archives", "multi-image.tar"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, errA := res.LayerFiles(0, 0)
	b, errB := res.LayerFiles(1, 0)
	if errA != nil || errB != nil || a != b {
		t.Fatalf("the shared base layer: %p, %v and %p, %v; want one walk", a, errA, b, errB)
	}
	for i := range res.Images {
		if _, err := res.Filesystem(i); err != nil {
			t.Errorf("image %d: %v", i, err)
		}
	}
}
