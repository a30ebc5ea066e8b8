package tree

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFactsGNUTarListing checks the layer counts against GNU tar's own
// listing (tar -tvf): the type letter of each line, and the sizes of
// regular files.
func TestFactsGNUTarListing(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar")
	}
	var layers [][]byte
	for _, name := range []string{"overwrite", "deletes", "opaque", "hardlinks", "chains"} {
		layers = append(layers, archiveLayers(t, "testdata/dive/"+name+".tar")...)
	}
	for _, f := range []string{"v7", "oldgnu", "gnu-bigid", "posix"} {
		b, err := os.ReadFile("testdata/tars/" + f + ".tar")
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, b)
	}
	dir := t.TempDir()
	for i, data := range layers {
		file := filepath.Join(dir, fmt.Sprintf("%d.tar", i))
		os.WriteFile(file, data, 0o644)
		out, err := exec.Command("tar", "-tvf", file).Output()
		if err != nil {
			t.Fatalf("tar -tvf: %v", err)
		}
		want := map[byte]int{}
		var size int64
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(line)
			if len(f) < 6 {
				continue
			}
			want[line[0]]++
			if line[0] == '-' && !strings.Contains(f[5], ".wh.") {
				var n int64
				fmt.Sscan(f[2], &n)
				size += n
			}
		}
		w := NewWalker(Options{})
		w.Write(data)
		got := w.Finish().Facts
		files := got.Files + got.Whiteouts + got.OpaqueDirs
		if files != want['-'] || got.Dirs != want['d'] || got.Symlinks != want['l'] || got.Hardlinks != want['h'] || got.Size != size {
			t.Errorf("layer %d: facts %+v, GNU tar lists %v with %d bytes of files", i, got, want, size)
		}
	}
}
