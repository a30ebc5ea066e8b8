package compare

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/tardigest/tardigest/tarball"
)

const (
	fixtures = "../testdata/archives/"
	real     = "../../shared/fixtures/real/"
)

// oracleBlob is a blob as the independent listing below finds it: the
// sha256 of a file's bytes, their count, and for a layer the sha256 of
// its tar.
type oracleBlob struct {
	size    int64
	content string // "" when the bytes are no layer
}

// oracleBlobs lists an archive's blobs without package tarball: every
// file under blobs/ of an OCI layout (a directory or a plain tar), and
// in a docker save tar every regular file but its metadata
// (manifest.json, repositories, <v1id>/json and VERSION).
func oracleBlobs(t *testing.T, name string) map[string]oracleBlob {
	t.Helper()
	out := map[string]oracleBlob{}
	add := func(entry string, data []byte) {
		base := path.Base(entry)
		if slices.Contains([]string{"manifest.json", "repositories", "index.json", "oci-layout", "json", "VERSION"}, base) {
			return
		}
		out[fmt.Sprintf("sha256:%x", sha256.Sum256(data))] = oracleBlob{size: int64(len(data)), content: layerContent(t, data)}
	}
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if info.IsDir() {
		err := filepath.WalkDir(filepath.Join(name, "blobs"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			add(p, data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		add(hdr.Name, data)
	}
}

// layerContent is the sha256 of the tar a blob holds (gzip, zstd or as
// is), or "" when it holds no tar.
func layerContent(t *testing.T, data []byte) string {
	t.Helper()
	var plain []byte
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if plain, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	case bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		if plain, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	default:
		plain = data
	}
	if len(plain) < 512 || (!bytes.Equal(plain[257:262], []byte("ustar")) && !bytes.Equal(plain[:512], make([]byte, 512))) {
		return ""
	}
	return fmt.Sprintf("sha256:%x", sha256.Sum256(plain))
}

// TestShipAgainstSets checks every number of Ship against set
// arithmetic over the independent blob listings: missing = NEW less
// every HAVE's blobs; by content = the missing layers whose tar some
// HAVE holds.
func TestShipAgainstSets(t *testing.T) {
	tests := []struct {
		have []string
		new  string
	}{
		{[]string{fixtures + "docker-archive.tar"}, fixtures + "oci-zstd"},
		{[]string{fixtures + "oci-gzip"}, fixtures + "multi-image.tar"},
		{[]string{fixtures + "oci-gzip", fixtures + "docker-archive.tar"}, fixtures + "oci-zstd"},
		{[]string{fixtures + "oci-zstd"}, fixtures + "oci-archive.tar"},
		{[]string{fixtures + "oci-gzip"}, fixtures + "oci-gzip"},
		{[]string{fixtures + "multi-image.tar"}, fixtures + "docker-archive.tar"},
		{[]string{real + "dive-oci-gzip/test-oci-gzip-image.tar"}, real + "dive-oci-zstd/test-oci-zstd-image.tar"},
		{[]string{real + "dive-oci-uncompressed/test-oci-uncompressed-image.tar", real + "dive-oci-gzip/test-oci-gzip-image.tar"}, real + "dive-oci-zstd/test-oci-zstd-image.tar"},
	}
	for _, tt := range tests {
		t.Run(path.Base(tt.new)+"-from-"+strings.Join(mapBase(tt.have), "+"), func(t *testing.T) {
			newBlobs := oracleBlobs(t, tt.new)
			have, haveContent := map[string]bool{}, map[string]bool{}
			var haves []*tarball.Result
			for _, h := range tt.have {
				for d, b := range oracleBlobs(t, h) {
					have[d] = true
					if b.content != "" {
						haveContent[b.content] = true
					}
				}
				haves = append(haves, open(t, h))
			}
			var wantMissing, wantByContent, wantRebuildable []string
			var wantBytes, wantMissingBytes, wantByContentBytes, wantRebuildableBytes int64
			for d, b := range newBlobs {
				wantBytes += b.size
				if have[d] {
					continue
				}
				wantMissing = append(wantMissing, d)
				wantMissingBytes += b.size
				if b.content != "" && haveContent[b.content] {
					wantByContent = append(wantByContent, d)
					wantByContentBytes += b.size
					if b.content == d {
						wantRebuildable = append(wantRebuildable, d)
						wantRebuildableBytes += b.size
					}
				}
			}
			slices.Sort(wantMissing)
			slices.Sort(wantByContent)
			slices.Sort(wantRebuildable)
			s := Ship(open(t, tt.new), haves)
			if got := digests(s.Blobs); len(got) != len(newBlobs) || s.Bytes != wantBytes {
				t.Errorf("NEW: %d blobs, %d bytes; the listing has %d, %d bytes", len(got), s.Bytes, len(newBlobs), wantBytes)
			}
			if got := digests(s.Missing); !slices.Equal(got, wantMissing) || s.MissingBytes != wantMissingBytes {
				t.Errorf("missing %v (%d bytes), want %v (%d bytes)", got, s.MissingBytes, wantMissing, wantMissingBytes)
			}
			if got := digests(s.ByContent); !slices.Equal(got, wantByContent) || s.ByContentBytes != wantByContentBytes {
				t.Errorf("by content %v (%d bytes), want %v (%d bytes)", got, s.ByContentBytes, wantByContent, wantByContentBytes)
			}
			if got := digests(s.Rebuildable); !slices.Equal(got, wantRebuildable) || s.RebuildableBytes != wantRebuildableBytes {
				t.Errorf("rebuildable %v (%d bytes), want %v (%d bytes)", got, s.RebuildableBytes, wantRebuildable, wantRebuildableBytes)
			}
			if s.ContentMissingBytes != wantMissingBytes-wantByContentBytes {
				t.Errorf("content missing bytes %d, want %d", s.ContentMissingBytes, wantMissingBytes-wantByContentBytes)
			}
			if len(s.Absent) != 0 {
				t.Errorf("absent blobs %v in a complete archive", s.Absent)
			}
		})
	}
}

func digests(bs []Blob) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Digest.String())
	}
	return out
}

func mapBase(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, path.Base(p))
	}
	return out
}
