package tarball

import (
	"archive/tar"
	"context"
	"io"
	"os"

	"github.com/tardigest/tardigest/internal/count"
)

// readSeekable indexes a plain tar file in a first pass that seeks past
// entry bodies, then hashes the bodies concurrently, largest first, each
// through its own section reader. Sparse entries are refused unread.
func readSeekable(ctx context.Context, f *os.File, opts *Options) (*catalog, error) {
	cat := newCatalog(opts)
	tr := tar.NewReader(f)
	var jobs []blobJob
	pos := func() int64 {
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return off
	}
	err := walkTar(ctx, tr, pos, cat, opts, func(e *entry, hdr *tar.Header) error {
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		jobs = append(jobs, blobJob{e: e, offset: off})
		return nil
	})
	if err != nil {
		return cat, err
	}
	// Map the file when the platform allows: uncompressed blobs are then
	// hashed in place, without a copy out of the page cache.
	mapped, unmap := mapFile(f)
	defer unmap()
	err = hashAll(ctx, jobs, opts, func(j blobJob, pipeline bool) error {
		if end := j.offset + j.e.size; mapped != nil && end <= int64(len(mapped)) && inPlace(j.e, mapped[j.offset:end]) {
			if err := hashMapped(ctx, cat, j.e, mapped[j.offset:end], opts, pipeline); err != nil {
				return entryReadError(j.e.name, err)
			}
			return nil
		}
		sr := io.NewSectionReader(f, j.offset, j.e.size)
		if err := hashEntry(ctx, cat, j.e, exactly(sr, j.e.size, opts), opts, pipeline); err != nil {
			return entryReadError(j.e.name, err)
		}
		return nil
	})
	return cat.finish(err)
}

// exactReader reads a blob whose length is known and turns a short read
// into io.ErrUnexpectedEOF; it counts into the progress as it goes.
type exactReader struct {
	count.Reader
	want int64
}

// exactly reads the size bytes of a blob from r.
func exactly(r io.Reader, size int64, opts *Options) *exactReader {
	return &exactReader{Reader: count.Reader{R: r, Total: opts.bytesRead()}, want: size}
}

func (x *exactReader) Read(p []byte) (int, error) {
	n, err := x.Reader.Read(p)
	if err == io.EOF && x.N < x.want {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
