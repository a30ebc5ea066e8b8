//go:build unix

package tarball

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestDirEntrySwapped: a file of a layout directory replaced between the
// walk's lstat and the read is refused, and a fifo put in its place does
// not block the open (before issue 10, reading a fifo waited forever for
// a writer).
func TestDirEntrySwapped(t *testing.T) {
	for _, tc := range []struct {
		name string
		swap func(p string) error
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) }},
		{"another file of the same size", func(p string) error { return os.WriteFile(p, []byte("[]"), 0o644) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o755) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "blob")
			if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			info, err := os.Lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			// Renamed, not removed, so that its inode is not reused.
			if err := os.Rename(p, filepath.Join(dir, "old")); err != nil {
				t.Fatal(err)
			}
			if err := tc.swap(p); err != nil {
				t.Skipf("cannot swap in a %s here: %v", tc.name, err)
			}
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			opts := &Options{}
			opts.normalize()
			job := blobJob{e: &entry{name: "blob", kind: kindFile, size: info.Size()}, info: info}
			done := make(chan error, 1)
			go func() {
				done <- hashDirEntry(context.Background(), root, newCatalog(opts), job, opts, false)
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("hashDirEntry = %v, want a malformed error", err)
				}
			case <-time.After(20 * time.Second):
				// Unblock the open for the leak's sake, then fail.
				if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
				t.Fatal("the open of the swapped-in file is still blocked after 20 s")
			}
		})
	}
}
