package tarball

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/tardigest/tardigest/internal/count"
	"github.com/tardigest/tardigest/layer"
)

// outerReader detects whole-archive compression from the first bytes of
// in and returns the tar stream, the container name and a closer. The
// stream of a compressed archive is bounded like a layer's (size and
// expansion ratio, against the bytes in has counted) and its errors carry
// a class.
func outerReader(in *count.Reader, limits Limits) (io.Reader, Container, func(), error) {
	br := bufio.NewReaderSize(in, 1<<20)
	magic, _ := br.Peek(4)
	comp := layer.Detect(magic)
	var dec io.Reader
	closer := func() {}
	switch comp {
	case layer.Gzip:
		zr, err := layer.NewGzipReader(br)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%w: archive: gzip: %v", ErrMalformed, err)
		}
		dec, closer = zr, func() { zr.Close() }
	case layer.Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(limits.Layer.MaxZstdWindowBytes),
			zstd.WithDecoderMaxMemory(limits.Layer.MaxZstdWindowBytes))
		if err != nil {
			return nil, "", nil, fmt.Errorf("%w: archive: zstd: %v", ErrMalformed, err)
		}
		dec, closer = zr, zr.Close
	default:
		return br, ContainerTar, closer, nil
	}
	return &outerStream{r: dec, in: in, comp: comp, lim: limits.Layer}, Container("tar+" + string(comp)), closer, nil
}

// outerStream is the decompressed stream of an archive compressed as a
// whole. It enforces the layer limits on the archive and gives every
// decoder error a class, so a damaged archive is "malformed" and a bomb a
// "limit", wherever in the tar the damage falls.
type outerStream struct {
	r    io.Reader
	in   *count.Reader
	comp layer.Compression
	lim  layer.Limits
	out  int64
	err  error
}

func (o *outerStream) Read(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.r.Read(p)
	o.out += int64(n)
	if lerr := o.lim.CheckExpansion(o.comp, o.out, o.in.N); lerr != nil {
		o.err = fmt.Errorf("archive: %w", lerr)
		return n, o.err
	}
	switch {
	case err == nil || err == io.EOF:
		return n, err
	case errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded):
		err = fmt.Errorf("%w: archive: zstd: %v (the max-zstd-window-bytes limit)", ErrLimit, err)
	case errors.Is(err, context.Canceled):
	default:
		err = fmt.Errorf("%w: archive: %s stream is corrupt: %v", ErrMalformed, o.comp, err)
	}
	o.err = err
	return n, err
}
