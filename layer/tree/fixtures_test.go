package tree

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// unpackBlob returns the uncompressed bytes of a blob (gzip, zstd or as
// is) and whether they look like a tar.
func unpackBlob(t *testing.T, b []byte) ([]byte, bool) {
	switch {
	case len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b:
		b = maybeGunzip(t, b)
	case len(b) > 4 && bytes.Equal(b[:4], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, false
		}
		defer zr.Close()
		if b, err = io.ReadAll(zr); err != nil {
			return nil, false
		}
	}
	return b, len(b) >= blockSize && checksumOK(b[:blockSize])
}

// TestWalkerRealLayers compares the walker with archive/tar on every tar
// in ../shared/fixtures/real: the archives themselves and every layer
// inside them or in their blob directories, decompressed.
func TestWalkerRealLayers(t *testing.T) {
	if _, err := os.Stat(realFixtures); err != nil {
		t.Skipf("no real fixtures: %v", err)
	}
	count := 0
	filepath.WalkDir(realFixtures, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		outer, ok := unpackBlob(t, data)
		if !ok {
			return nil
		}
		compareWithStdlib(t, path, outer, rand.New(rand.NewPCG(uint64(len(outer)), 5)))
		count++
		tr := tar.NewReader(bytes.NewReader(outer))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			body, _ := io.ReadAll(tr)
			if inner, ok := unpackBlob(t, body); ok && h.Typeflag == tar.TypeReg {
				compareWithStdlib(t, path+":"+h.Name, inner, rand.New(rand.NewPCG(uint64(len(inner)), 6)))
				count++
			}
		}
		return nil
	})
	if count < 60 {
		t.Fatalf("compared %d tars from the real fixtures, expected at least 60", count)
	}
	t.Logf("compared %d tars", count)
}
