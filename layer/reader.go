package layer

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/tardigest/tardigest/internal/count"
)

// Reader is the decompressed stream of a blob or of a whole archive,
// bounded by Limits (and a Budget, if given), with every failure classed:
// a read error of the source comes back as it was, a stream that does not
// decode matches ErrCorrupt, one over a limit ErrLimit (naming the flag
// that raises it), one tardigest cannot decode ErrUnsupported. It returns
// io.EOF only at the end of the source, after checking that nothing but
// the compressed stream was there (xz's stream padding aside).
//
// An uncompressed source is passed through as it is, unbounded: the
// limits bound decompression, not size.
type Reader struct {
	comp   Compression
	br     *bufio.Reader
	pooled bool
	in     *count.Reader
	// mem, when not nil, is the source, held in memory and read by the
	// decoder itself, not through br and in: Read sets in.N from its
	// position.
	mem      *bytes.Reader
	memStart int64
	dec      io.Reader
	close    func()
	meter    meter
	frames   *zstdFrames // zstd only
	err      error
}

// NewReader detects the compression of r from its first bytes (see
// Detect) and returns its decompressed stream. The error is a read error
// of r, or a header that does not decode (ErrCorrupt). With a Budget, r
// is the archive itself: its bytes are the archive's stored bytes (see
// Budget). Close the Reader to release the decoder.
//
// A stream held in memory, such as a mapped file, is best given as a
// *bytes.Reader: the pure-Go build then inflates gzip straight from it,
// without copying it through a buffer (a tenth less CPU, issue 16).
func NewReader(r io.Reader, lim Limits, budget *Budget) (*Reader, error) {
	if budget != nil {
		budget.byReader.Store(true)
	}
	if m, ok := r.(*bytes.Reader); ok && gzipReadsMemory {
		if zr, err := newMemReader(m, lim.withDefaults(), budget); zr != nil || err != nil {
			return zr, err
		}
	}
	br := readerPool.Get().(*bufio.Reader)
	in := &count.Reader{R: r}
	br.Reset(in)
	magic, err := br.Peek(MagicLen)
	if err != nil && in.Err != nil {
		br.Reset(nil)
		readerPool.Put(br)
		return nil, in.Err
	}
	zr, err := newReader(br, in, Detect(magic), lim.withDefaults(), budget, true)
	if err != nil {
		br.Reset(nil)
		readerPool.Put(br)
		return nil, err
	}
	zr.pooled = true
	return zr, nil
}

// newReader sets up the decoder for the stream in br, compressed with
// comp, which reads from in. storedByMe says whether in's bytes count
// toward budget.
func newReader(br *bufio.Reader, in *count.Reader, comp Compression, lim Limits, budget *Budget, storedByMe bool) (*Reader, error) {
	zr := &Reader{comp: comp, br: br, in: in, dec: br, close: func() {},
		meter: meter{lim: lim, comp: comp, budget: budget, in: in, storedByMe: storedByMe}}
	if err := zr.start(); err != nil {
		if in.Err != nil {
			return nil, in.Err
		}
		return nil, zr.classify(err)
	}
	return zr, nil
}

// start sets up the decoder of zr.comp.
func (zr *Reader) start() error {
	switch zr.comp {
	case Gzip:
		gz, err := NewGzipReader(zr.br)
		if err != nil {
			return err
		}
		zr.dec, zr.close = gz, func() { gz.Close() }
	case Zstd:
		zs, err := getZstd(zr.br, &zr.meter)
		if err != nil {
			return err
		}
		zr.frames = zs.frames
		zr.dec, zr.close = zs.dec, func() { putZstd(zs) }
	case Bzip2:
		// The decoder allocates 4 bytes per byte of its block size (900
		// kB at most) for each blob: count the most it may take.
		if err := zr.meter.allocated(4 * 900_000); err != nil {
			return err
		}
		zr.dec = bzip2.NewReader(zr.br)
	case Xz:
		zr.dec = newXzReader(zr.br, &zr.meter)
	}
	return nil
}

// newMemReader is NewReader for a gzip stream in m; nil and no error
// when m does not start one.
func newMemReader(m *bytes.Reader, lim Limits, budget *Budget) (*Reader, error) {
	start := m.Size() - int64(m.Len())
	var magic [MagicLen]byte
	n, _ := m.ReadAt(magic[:], start)
	if Detect(magic[:n]) != Gzip {
		return nil, nil
	}
	in := &count.Reader{R: m} // counts nothing: mem's position does
	zr := &Reader{comp: Gzip, in: in, mem: m, memStart: start, close: func() {},
		meter: meter{lim: lim, comp: Gzip, budget: budget, in: in, storedByMe: true}}
	gz, err := newGzipFromMemory(m)
	zr.consumed()
	if err != nil {
		return nil, zr.classify(err)
	}
	zr.dec, zr.close = gz, func() { gz.Close() }
	return zr, nil
}

// consumed brings in.N up to date for a source in memory.
func (zr *Reader) consumed() {
	if zr.mem != nil {
		zr.in.N = zr.mem.Size() - int64(zr.mem.Len()) - zr.memStart
	}
}

// Compression is what the first bytes of the source said.
func (zr *Reader) Compression() Compression { return zr.comp }

// Read reads decompressed bytes. Once it fails, it fails again the same
// way.
func (zr *Reader) Read(p []byte) (int, error) {
	if zr.err != nil {
		return 0, zr.err
	}
	n, err := zr.dec.Read(p)
	zr.consumed()
	if zr.comp == None {
		// Passed through: only the budget counts the bytes.
		if ferr := zr.meter.flush(); ferr != nil {
			err = ferr
		}
		if err != nil {
			zr.err = err
		}
		return n, err
	}
	if n > 0 {
		if lerr := zr.meter.decoded(n); lerr != nil {
			zr.err = lerr
			return n, lerr
		}
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		zr.err = zr.end()
	default:
		zr.err = zr.classify(err)
	}
	return n, zr.err
}

// end checks, once the decoder has ended, that the source ends too, and
// returns io.EOF if it does.
func (zr *Reader) end() error {
	var rest io.Reader = zr.br
	if zr.mem != nil {
		rest = zr.mem
	}
	extra, err := io.Copy(io.Discard, rest)
	zr.consumed()
	if err != nil {
		return err
	}
	if extra > 0 {
		return fmt.Errorf("%w: %s: %d bytes after the end of the stream", ErrCorrupt, zr.comp, extra)
	}
	if err := zr.meter.flush(); err != nil {
		return err
	}
	return io.EOF
}

// classify gives a decoder's error its class.
func (zr *Reader) classify(err error) error {
	switch {
	case zr.in.Err != nil:
		return zr.in.Err // the source failed; the decoder only saw it end
	case errors.Is(err, ErrCorrupt) || errors.Is(err, ErrLimit) || errors.Is(err, ErrUnsupported):
		return err
	case zr.frames != nil && zr.frames.err != nil:
		// The decoder refuses a frame over the window limit with the
		// same error as a block larger than its frame's window: the
		// frame tracker tells which.
		return zr.frames.err
	case errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return fmt.Errorf("%w: zstd: %v (the max-window-bytes limit)", ErrLimit, err)
	}
	return corrupt(zr.comp, err)
}

// Close releases the decoder. It is safe to call more than once.
func (zr *Reader) Close() error {
	if zr.close != nil {
		zr.close()
		zr.close = nil
	}
	if zr.err == nil {
		zr.err = errors.New("layer: read after Close")
	}
	if zr.pooled {
		zr.br.Reset(nil)
		readerPool.Put(zr.br)
		zr.pooled = false
	}
	return nil
}

// corrupt wraps a decoder error in ErrCorrupt, naming the compression
// once (the decoders' messages often name it already).
func corrupt(comp Compression, err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, string(comp)+":") && !strings.HasPrefix(msg, string(comp)+" ") {
		msg = string(comp) + ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrCorrupt, msg)
}
