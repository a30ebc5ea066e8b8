package tree

import (
	"archive/tar"
	"bytes"
	"fmt"
	"testing"
)

// tinyFiles is a layer of n one-byte files, 100 to a directory.
func tinyFiles(n int) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := range n {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/share/pkg%05d/file%03d.txt", i/100, i%100), Mode: 0o644, Size: 1})
		tw.Write([]byte{'x'})
	}
	tw.Close()
	return buf.Bytes()
}

// BenchmarkWalkerTinyFiles walks 100,000 one-byte files in 256 KiB
// chunks; ns/op divided by 100,000 is the cost of one entry.
func BenchmarkWalkerTinyFiles(b *testing.B) {
	data := tinyFiles(100_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w := NewWalker(Options{})
		for p := data; len(p) > 0; {
			n := min(len(p), 256<<10)
			w.Write(p[:n])
			p = p[n:]
		}
		w.Finish()
	}
}
