package tarball

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tardigest/tardigest/internal/count"
	"github.com/tardigest/tardigest/layer"
)

// outerReader detects whole-archive compression from the first bytes of
// in, as docker load does (gzip, zstd, bzip2 or xz), and returns the tar
// stream, the container and a closer. A compressed archive is decoded by
// layer.NewReader, under the layer limits and the archive's budget (its
// bytes are the archive's stored bytes), and every error of its stream
// carries a class: a stream that does not decode is malformed, a bomb a
// limit, wherever in the tar the damage falls. A plain tar is passed on
// as it is, buffered.
func outerReader(in *count.Reader, opts *Options) (io.Reader, Container, func(), error) {
	br := bufio.NewReaderSize(in, 1<<20)
	magic, _ := br.Peek(layer.MagicLen)
	if layer.Detect(magic) == layer.None {
		// No Reader takes the budget: each blob's Compute counts its
		// own stored bytes (a plain tar file is read again, by blob).
		return br, ContainerTar, func() {}, nil
	}
	zr, err := layer.NewReader(br, opts.Limits.Layer, opts.budget)
	if err != nil {
		return nil, "", nil, outerError(err)
	}
	return &outerStream{r: zr}, Container("tar+" + string(zr.Compression())), func() { zr.Close() }, nil
}

// outerStream is the decompressed stream of an archive compressed as a
// whole, its errors classed by outerError.
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
		o.err = outerError(err)
		err = o.err
	}
	return n, err
}

// outerError gives an error of the archive's decompressed stream its
// class: a stream that does not decode is malformed; a limit (naming
// its flag) and an unsupported construct keep theirs; an interrupt and
// a read error of the file stay what they are.
func outerError(err error) error {
	switch {
	case errors.Is(err, layer.ErrCorrupt):
		return fmt.Errorf("%w: archive: %v", ErrMalformed, err)
	case strings.Contains(err.Error(), "archive:"):
		return err // the archive's budget names it already
	case errors.Is(err, ErrLimit), errors.Is(err, ErrUnsupported):
		return fmt.Errorf("archive: %w", err)
	}
	return err
}
