package layer

import (
	"hash"
	"io"
	"sync"
)

// Pipelining moves work to other goroutines so one blob can use more than
// one core: reading and hashing the stored bytes, decompressing, and
// hashing the decompressed bytes each run on their own. It pays only when
// cores would otherwise idle (a single large layer, or a stream read in
// one pass); with more blobs than cores, hashing blobs side by side is
// cheaper.

const (
	pipeBuffers = 4
	pipeBufSize = 1 << 20
)

// readAhead reads r on its own goroutine into a few large buffers. Close
// stops the goroutine and waits for it, so r is not used after Close.
type readAhead struct {
	full chan chunk
	free chan []byte
	stop chan struct{}
	wg   sync.WaitGroup
	cur  chunk // the last chunk received; its err ends the stream
	off  int
}

type chunk struct {
	b   []byte
	err error
}

// ReadAhead returns a reader that reads r ahead on its own goroutine, in
// buffers of 1 MiB, so producing and consuming the bytes overlap. The
// caller must Close it before using r again.
func ReadAhead(r io.Reader) io.ReadCloser {
	ra := &readAhead{
		full: make(chan chunk, pipeBuffers),
		free: make(chan []byte, pipeBuffers),
		stop: make(chan struct{}),
	}
	for i := 0; i < pipeBuffers; i++ {
		ra.free <- make([]byte, pipeBufSize)
	}
	ra.wg.Add(1)
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer ra.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := io.ReadFull(r, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case ra.full <- chunk{b: buf[:n], err: err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for ra.off == len(ra.cur.b) {
		if ra.cur.err != nil {
			return 0, ra.cur.err
		}
		if ra.cur.b != nil {
			ra.free <- ra.cur.b[:cap(ra.cur.b)]
		}
		ra.cur, ra.off = <-ra.full, 0
	}
	n := copy(p, ra.cur.b[ra.off:])
	ra.off += n
	return n, nil
}

func (ra *readAhead) Close() error {
	close(ra.stop)
	ra.wg.Wait()
	return nil
}

// asyncHash hashes on its own goroutine what Write hands it, copying into
// large buffers so the writer can go on at once.
type asyncHash struct {
	h    hash.Hash
	full chan []byte
	free chan []byte
	wg   sync.WaitGroup
	buf  []byte
}

func newAsyncHash(h hash.Hash) *asyncHash {
	a := &asyncHash{h: h, full: make(chan []byte, pipeBuffers), free: make(chan []byte, pipeBuffers)}
	for i := 0; i < pipeBuffers; i++ {
		a.free <- make([]byte, 0, pipeBufSize)
	}
	a.buf = <-a.free
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for b := range a.full {
			a.h.Write(b)
			a.free <- b[:0]
		}
	}()
	return a
}

func (a *asyncHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		m := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf = a.buf[:len(a.buf)+m]
		p = p[m:]
		if len(a.buf) == cap(a.buf) {
			a.full <- a.buf
			a.buf = <-a.free
		}
	}
	return n, nil
}

// finish flushes, stops the goroutine and returns the hash.
func (a *asyncHash) finish() hash.Hash {
	if len(a.buf) > 0 {
		a.full <- a.buf
	}
	close(a.full)
	a.wg.Wait()
	return a.h
}

// Reset and the rest of hash.Hash are not needed: asyncHash is used only
// as a write sink.
var _ io.Writer = (*asyncHash)(nil)
