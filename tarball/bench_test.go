package tarball_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tardigest/tardigest/tarball"
)

// benchArchive writes a docker-archive-like tar of n small entries and
// one larger blob, so the benchmarks measure the indexer and the
// per-entry overhead rather than hashing speed (layer's benchmarks do).
func benchArchive(b *testing.B, n int) (string, int64) {
	b.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := bytes.Repeat([]byte("x"), 4096)
	for i := 0; i < n; i++ {
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("blobs/sha256/%064x", i), Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			b.Fatal(err)
		}
		tw.Write(body)
	}
	big := make([]byte, 8<<20)
	tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: int64(len(big)), Typeflag: tar.TypeReg})
	tw.Write(big)
	tw.Close()
	p := filepath.Join(b.TempDir(), "bench.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return p, int64(buf.Len())
}

// BenchmarkIndexer reads a tar of many entries from a seekable file
// (headers first, bodies concurrently) and as a stream.
func BenchmarkIndexer(b *testing.B) {
	for _, n := range []int{100, 5000} {
		path, size := benchArchive(b, n)
		b.Run(fmt.Sprintf("file/%d-entries", n), func(b *testing.B) {
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				if _, err := tarball.Open(context.Background(), path, tarball.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		data, _ := os.ReadFile(path)
		b.Run(fmt.Sprintf("stream/%d-entries", n), func(b *testing.B) {
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				if _, err := tarball.Read(context.Background(), bytes.NewReader(data), tarball.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
