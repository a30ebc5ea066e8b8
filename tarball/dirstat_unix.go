//go:build unix

package tarball

import (
	"io/fs"
	"syscall"
)

// openNonBlock opens a fifo without waiting for a writer.
const openNonBlock = syscall.O_NONBLOCK

// fileID names a file whatever names it has: device and inode.
type fileID struct{ dev, ino uint64 }

// identity returns the device and inode of a file lstat saw.
func identity(info fs.FileInfo) (fileID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true
}

// allocatedBytes returns the bytes the file system allocated for a file.
func allocatedBytes(info fs.FileInfo) (int64, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int64(st.Blocks) * 512, true
}
