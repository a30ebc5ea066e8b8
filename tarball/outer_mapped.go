package tarball

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/tardigest/tardigest/layer"
)

// mappedOuterReader is outerReader for a file compressed as a whole with
// gzip, read from a read-only mapping: layer.NewReader then inflates it
// straight from memory, which costs the pure-Go decoder about a tenth
// less CPU than through read calls, on the one stream that is the
// critical path of reading such a file (issue 16). It decodes under the
// same limits and budget as any outer stream, with the same classed
// errors. r is nil, and nothing is read, when the file is not gzip or
// cannot be mapped: the caller then reads it as a stream.
func mappedOuterReader(f *os.File, opts *Options) (r io.Reader, closer func(), err error) {
	var magic [layer.MagicLen]byte
	if n, _ := f.ReadAt(magic[:], 0); layer.Detect(magic[:n]) != layer.Gzip {
		return nil, nil, nil
	}
	b, unmap := mapFile(f)
	if b == nil {
		return nil, nil, nil
	}
	m := &mappedStream{b: b, r: bytes.NewReader(b), p: opts.Progress}
	if err := m.open(opts); err != nil {
		unmap()
		return nil, nil, outerError(err)
	}
	return &outerStream{r: m}, func() { m.zr.Close(); unmap() }, nil
}

// mappedStream is the decoded stream of a mapped file. It keeps the
// progress count up to date with the bytes the decoder took, drops the
// pages it has read from the resident set as it goes, and turns a fault
// on the mapping (the file cut short by someone else meanwhile) into an
// error.
type mappedStream struct {
	b       []byte
	r       *bytes.Reader // over b: the decoder's input
	zr      *layer.Reader
	p       *Progress
	done    int // b[:done] is counted in p
	dropped int // b[:dropped] has left the resident set
}

func (m *mappedStream) open(opts *Options) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverFault(&err)
	m.zr, err = layer.NewReader(m.r, opts.Limits.Layer, opts.budget)
	m.advance()
	return err
}

func (m *mappedStream) Read(p []byte) (n int, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverFault(&err)
	n, err = m.zr.Read(p)
	m.advance()
	return n, err
}

// advance accounts for the input the decoder took since the last call.
func (m *mappedStream) advance() {
	// Pages leave the resident set in 16 MiB steps, as in hashMapped.
	const dropBytes = 16 << 20
	pos := len(m.b) - m.r.Len()
	if m.p != nil {
		m.p.Bytes.Add(int64(pos - m.done))
	}
	m.done = pos
	if pos-m.dropped >= dropBytes || pos == len(m.b) {
		dropPages(m.b[m.dropped:pos])
		m.dropped = pos &^ (os.Getpagesize() - 1) // the mapping starts on a page
	}
}

// recoverFault, deferred after debug.SetPanicOnFault(true), turns a fault
// on a mapped file into an error: the file was cut short by someone else
// while it was read. Any other panic goes on.
func recoverFault(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if _, fault := r.(interface{ Addr() uintptr }); !fault {
		panic(r)
	}
	*err = fmt.Errorf("%w: the file changed while it was read (%v)", ErrMalformed, r)
}
