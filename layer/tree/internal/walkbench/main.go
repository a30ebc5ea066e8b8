// Command walkbench walks a layer of N one-byte files (made in memory
// first) with a Walker, in 1 MiB chunks, once: a fixed amount of work to
// count instructions with valgrind --tool=callgrind
// --toggle-collect='*Walker*Write*' when comparing two versions of the
// walker on a shared machine, where timings are noise.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"

	"github.com/tardigest/tardigest/layer/tree"
)

func main() {
	n := flag.Int("files", 100_000, "one-byte files in the layer")
	flag.Parse()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := range *n {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/share/pkg%05d/file%03d.txt", i/100, i%100), Mode: 0o644, Size: 1})
		tw.Write([]byte{'x'})
	}
	tw.Close()
	data := buf.Bytes()
	w := tree.NewWalker(tree.Options{})
	for p := data; len(p) > 0; {
		k := min(len(p), 1<<20)
		w.Write(p[:k])
		p = p[k:]
	}
	fmt.Println(w.Finish().Facts.Entries, "entries")
}
