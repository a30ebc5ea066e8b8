//go:build !unix

package tarball

import "io/fs"

// openNonBlock is 0: no fifo to fear on this platform.
const openNonBlock = 0

// fileID names a file whatever names it has; none on this platform.
type fileID struct{ dev, ino uint64 }

func identity(fs.FileInfo) (fileID, bool)      { return fileID{}, false }
func allocatedBytes(fs.FileInfo) (int64, bool) { return 0, false }
