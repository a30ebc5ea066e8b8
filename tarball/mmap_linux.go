package tarball

import (
	"os"
	"syscall"
	"unsafe"
)

// mapFile maps f read-only, or returns nil when it cannot (empty, too
// large for the address space, or not mappable); the caller then reads it.
func mapFile(f *os.File) ([]byte, func()) {
	info, err := f.Stat()
	if err != nil || info.Size() <= 0 || int64(int(info.Size())) != info.Size() {
		return nil, func() {}
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(info.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, func() {}
	}
	return b, func() { syscall.Munmap(b) }
}

// dropPages tells the kernel this process is done with the pages that
// hold b: they leave its resident set (the page cache keeps them), so
// hashing a mapped 10 GB layer does not show as 10 GB of memory. b is
// a slice of a mapping, whose start is page aligned. The page b starts
// in is dropped whole (what precedes b in it was read before, or is read
// again from the page cache), the page it ends in is left for the next
// call: consecutive slices drop every page, where rounding both ends
// inward would leave one resident at every boundary (1 MiB per GiB
// hashed in 4 MiB steps).
func dropPages(b []byte) {
	if len(b) == 0 {
		return
	}
	page := uintptr(os.Getpagesize())
	start := unsafePointer(b)
	first := start &^ (page - 1)
	end := (start + uintptr(len(b))) &^ (page - 1)
	if end <= first {
		return
	}
	syscall.Syscall(syscall.SYS_MADVISE, first, end-first, 4 /* MADV_DONTNEED */)
}

func unsafePointer(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
