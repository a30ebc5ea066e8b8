package tarball

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/tardigest/tardigest/layer"
)

// openMappedGzip opens a file compressed as a whole with gzip through a
// read-only mapping, for readStream: inflating that one stream is the
// critical path of reading it, and the pure-Go decoder inflates a
// *bytes.Reader about a tenth faster than a bufio.Reader over read
// calls (issue 16). ok is false, and nothing is read, when the file is
// not gzip or cannot be mapped: the caller then reads it as a stream.
func openMappedGzip(f *os.File, opts *Options) (r io.Reader, closer func(), ok bool, err error) {
	var magic [4]byte
	if n, _ := f.ReadAt(magic[:], 0); layer.Detect(magic[:n]) != layer.Gzip {
		return nil, nil, false, nil
	}
	b, unmap := mapFile(f)
	if b == nil {
		return nil, nil, false, nil
	}
	m := &mappedStream{b: b, r: bytes.NewReader(b), in: &byteCounter{}, p: opts.Progress}
	zr, err := m.newGzipReader()
	if err != nil {
		unmap()
		if !errors.Is(err, ErrMalformed) { // a fault says so already
			err = fmt.Errorf("%w: archive: gzip: %v", ErrMalformed, err)
		}
		return nil, nil, true, err
	}
	m.dec = zr
	closer = func() { zr.Close(); unmap() }
	return &outerStream{r: m, in: m.in, comp: layer.Gzip, lim: opts.Limits.Layer}, closer, true, nil
}

// mappedStream is the decoded stream of a mapped gzip file. It keeps
// in.n (the bytes the decoder has taken, for outerStream's expansion
// limit) and the progress count up to date, drops the pages read from
// the resident set as it goes, and turns a fault on the mapping (the
// file truncated by someone else meanwhile) into an error.
type mappedStream struct {
	b       []byte
	r       *bytes.Reader // over b: the decoder's input
	dec     io.Reader
	in      *byteCounter
	p       *Progress
	dropped int // b[:dropped] has left the resident set
}

func (m *mappedStream) newGzipReader() (zr io.ReadCloser, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer m.recoverFault(&err)
	zr, err = layer.NewGzipReader(m.r)
	m.advance()
	return zr, err
}

func (m *mappedStream) Read(p []byte) (n int, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer m.recoverFault(&err)
	n, err = m.dec.Read(p)
	m.advance()
	return n, err
}

// advance accounts for the input the decoder took since the last call.
func (m *mappedStream) advance() {
	// Pages leave the resident set in 16 MiB steps, as in hashMapped.
	const dropBytes = 16 << 20
	done := len(m.b) - m.r.Len()
	if m.p != nil {
		m.p.Bytes.Add(int64(done) - m.in.n)
	}
	m.in.n = int64(done)
	if done-m.dropped >= dropBytes || done == len(m.b) {
		dropPages(m.b[m.dropped:done])
		m.dropped = done &^ (os.Getpagesize() - 1) // the mapping starts on a page
	}
}

func (m *mappedStream) recoverFault(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: the file changed while it was read (%v)", ErrMalformed, r)
	}
}
