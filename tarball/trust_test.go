package tarball_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/tarball"
)

// trRead reads the case file name of testdata/cases.
func trRead(t *testing.T, name string) (*tarball.Result, *archivetest.Case) {
	t.Helper()
	c := archivetest.Load(t, filepath.Join(csDir, name))
	res, err := tarball.Read(context.Background(), bytes.NewReader(c.MustArchive(t)), csOptions(c))
	if err != nil {
		t.Fatal(err)
	}
	return res, c
}

// TestExpectNoImage: --expect of the index of an archive whose every
// platform is absent does not verify, and says that none did.
func TestExpectNoImage(t *testing.T) {
	res, c := trRead(t, "graph-all-platforms-absent.txt")
	list, err := c.Bytes("list")
	if err != nil {
		t.Fatal(err)
	}
	e := res.Expect(digest.FromBytes(list))
	if e.Verified || len(e.Messages) != 1 || !strings.Contains(e.Messages[0], "platforms verified: none") {
		t.Errorf("Expect = %+v, want not verified, no platform verified", e)
	}
	if res.Err(-1) == nil {
		t.Errorf("an archive without images verified")
	}
}

// TestArtifacts: a manifest is an artifact only when its config is no
// image config; an artifactType, a config media type or an extra
// descriptor do not make one. What is an artifact is said so by Expect.
func TestArtifacts(t *testing.T) {
	for name, want := range map[string]bool{
		"ok-artifact.txt":                     true,
		"artifact-type-on-image.txt":          false,
		"artifact-config-media-type.txt":      false,
		"artifact-config-rootfs-case.txt":     false,
		"artifact-extra-descriptor.txt":       false,
		"artifact-docker25-oci-side.txt":      false,
		"artifact-corrupt-layer-odd-type.txt": false,
	} {
		res, _ := trRead(t, name)
		if len(res.Images) != 1 || res.Images[0].Artifact != want {
			t.Errorf("%s: %d images, artifact %v; want 1, %v", name, len(res.Images), res.Images[0].Artifact, want)
		}
	}
	res, _ := trRead(t, "ok-artifact.txt")
	e := res.Expect(res.Images[0].ManifestDigest)
	if !e.Verified || len(e.Messages) != 1 || strings.Contains(e.Messages[0], "and every blob under it verified") || !strings.Contains(e.Messages[0], "not an image") {
		t.Errorf("Expect(artifact) = %+v; want verified, saying it is not an image and not that every blob verified", e)
	}
}

// TestDirectoryHardLinksHashedOnce: a file of a layout directory with
// many names (hard links, which cost no disk) is read once, and every
// name gets its digest.
func TestDirectoryHardLinksHashedOnce(t *testing.T) {
	c := archivetest.Load(t, filepath.Join(csDir, "ok-oci-directory.txt"))
	dir := c.Dir(t)
	big := bytes.Repeat([]byte("x"), 1<<20)
	if err := os.WriteFile(filepath.Join(dir, "big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	const links = 50
	for i := 0; i < links; i++ {
		if err := os.Link(filepath.Join(dir, "big"), filepath.Join(dir, fmt.Sprintf("big%d", i))); err != nil {
			t.Skipf("no hard links here: %v", err)
		}
	}
	var once, twice tarball.Progress
	if _, err := tarball.Open(context.Background(), c.Dir(t), tarball.Options{Progress: &once}); err != nil {
		t.Fatal(err)
	}
	res, err := tarball.Open(context.Background(), dir, tarball.Options{Progress: &twice})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := twice.Bytes.Load()-once.Bytes.Load(), int64(len(big)); got != want {
		t.Errorf("read %d more bytes for a 1 MiB file with %d names, want %d", got, links+1, want)
	}
	if len(res.Unreferenced) != 0 {
		t.Errorf("unreferenced: %+v", res.Unreferenced)
	}
}
