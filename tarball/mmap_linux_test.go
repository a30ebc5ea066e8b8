package tarball

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// TestDropPagesLeavesNoBoundaryPage maps a file, touches every page, and
// drops it in slices that start and end inside pages, as hashMapped does:
// every page up to the last slice's end must leave the resident set, the
// pages shared by two slices included, and the pages after it stay.
func TestDropPagesLeavesNoBoundaryPage(t *testing.T) {
	page := os.Getpagesize()
	p := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(p, make([]byte, 16*page), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, unmap := mapFile(f)
	if m == nil {
		t.Skip("cannot map")
	}
	defer unmap()
	for i := 0; i < len(m); i += page {
		touched += m[i] // fault every page in
	}
	cuts := []int{100, 3*page + 5, 5*page + 7, 8*page + 1}
	for i := 1; i < len(cuts); i++ {
		dropPages(m[cuts[i-1]:cuts[i]])
	}
	for i := 0; i < 16; i++ {
		want := i >= 8 // the page the last slice ends in is left, and all after
		if got := resident(t, m, i); got != want {
			t.Errorf("page %d resident: %v, want %v", i, got, want)
		}
	}
}

// touched keeps the reads of the test above from being optimised away.
var touched byte

// resident reads the present bit of page i of m from /proc/self/pagemap.
func resident(t *testing.T, m []byte, i int) bool {
	t.Helper()
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Skip("no pagemap")
	}
	defer f.Close()
	var e [8]byte
	addr := unsafePointer(m) + uintptr(i*os.Getpagesize())
	if _, err := f.ReadAt(e[:], int64(addr/uintptr(os.Getpagesize())*8)); err != nil {
		t.Skipf("pagemap: %v", err)
	}
	return binary.LittleEndian.Uint64(e[:])>>63 == 1
}
