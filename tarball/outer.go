package tarball

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tardigest/tardigest/layer"
)

// outerReader returns the tar stream of an archive read as a stream, its
// container name and a closer. Whole-archive compression (gzip, zstd,
// bzip2, xz) is detected from the first bytes and decoded by
// layer.NewReader, bounded like a layer (size, window, expansion ratio)
// and charged to the archive's budget, which its stored bytes feed: the
// ratio then holds for the archive as a whole, outer stream and blobs
// together. Every error of the stream carries a class.
func outerReader(in io.Reader, opts *Options) (io.Reader, Container, func(), error) {
	br := bufio.NewReaderSize(in, 64<<10)
	magic, _ := br.Peek(layer.MagicLen)
	if layer.Detect(magic) == layer.None {
		// A plain stream: its blobs charge the budget with their own
		// stored bytes, as those of a tar file read in place do.
		return br, ContainerTar, func() {}, nil
	}
	zr, err := layer.NewReader(br, opts.Limits.Layer, opts.budget)
	if err != nil {
		return nil, "", nil, outerError(err)
	}
	return &outerStream{r: zr}, Container("tar+" + string(zr.Compression())), func() { zr.Close() }, nil
}

// outerStream gives every error of the archive's stream a class, so a
// damaged archive is "malformed" and a bomb a "limit", wherever in the
// tar the damage falls.
type outerStream struct {
	r   io.Reader
	err error
}

func (o *outerStream) Read(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.r.Read(p)
	if err != nil && err != io.EOF {
		err = outerError(err)
		o.err = err
	}
	return n, err
}

// outerError classes an error of the archive's stream: a stream that
// does not decode is a malformed archive; a limit or an unsupported
// construct keep their class; a read error (or a cancelled context)
// stays what it is.
func outerError(err error) error {
	switch {
	case errors.Is(err, layer.ErrCorrupt):
		return fmt.Errorf("%w: archive: %v", ErrMalformed, err)
	case errors.Is(err, ErrLimit) || errors.Is(err, ErrUnsupported):
		return fmt.Errorf("archive: %w", err)
	}
	return err
}

// plainTar reports whether the file f, of the size info says, holds a tar
// that is not compressed as a whole: such a file is read in place
// (readSeekable), every other as a stream. It reads the first bytes with
// ReadAt, so f is not moved.
func plainTar(f *os.File, info os.FileInfo) bool {
	if !info.Mode().IsRegular() {
		return false
	}
	magic := make([]byte, layer.MagicLen)
	n, err := f.ReadAt(magic, 0)
	if err != nil && err != io.EOF {
		return false
	}
	return layer.Detect(magic[:n]) == layer.None
}
