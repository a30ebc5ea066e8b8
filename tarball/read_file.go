package tarball

import (
	"archive/tar"
	"context"
	"io"
	"os"
)

// readSeekable indexes a plain tar file in a first pass that seeks past
// entry bodies, then hashes the bodies concurrently, largest first, each
// through its own section reader. Sparse entries, whose bodies are not
// contiguous, are hashed during the first pass.
func readSeekable(ctx context.Context, f *os.File, opts *Options) (*catalog, error) {
	cat := newCatalog(opts)
	tr := tar.NewReader(f)
	var jobs []blobJob
	err := walkTar(ctx, tr, cat, opts, func(e *entry, hdr *tar.Header) error {
		if hdr.Typeflag == tar.TypeGNUSparse || isPAXSparse(hdr) {
			if err := hashEntry(ctx, cat, e, tr, opts, false); err != nil {
				return entryReadError(e.name, err)
			}
			return nil
		}
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
			if err := hashMapped(ctx, cat, j.e, mapped[j.offset:end], opts); err != nil {
				return entryReadError(j.e.name, err)
			}
			return nil
		}
		sr := io.NewSectionReader(f, j.offset, j.e.size)
		if err := hashEntry(ctx, cat, j.e, &exactReader{r: opts.count(sr), want: j.e.size}, opts, pipeline); err != nil {
			return entryReadError(j.e.name, err)
		}
		return nil
	})
	return cat.finish(err)
}

// exactReader turns a short read of a section into io.ErrUnexpectedEOF.
type exactReader struct {
	r    io.Reader
	want int64
	got  int64
}

func (x *exactReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	x.got += int64(n)
	if err == io.EOF && x.got < x.want {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
