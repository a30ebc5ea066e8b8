package layer

import (
	"hash"
	"io"
	"sync"
	"sync/atomic"
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

// fanOut hands what Write is given to writers that each run on a
// goroutine of their own (the diffID hash, and Options.Content beside
// it), copying into large buffers so the writer can go on at once. A
// buffer goes back to the free list once every writer is done with it:
// until then no Write can change the bytes they read.
type fanOut struct {
	outs []chan *pipeBuf
	free chan *pipeBuf
	wg   sync.WaitGroup
	buf  *pipeBuf
}

// pipeBuf is one buffer and the number of writers still reading it.
type pipeBuf struct {
	b       []byte
	readers atomic.Int32
}

func newFanOut(ws ...io.Writer) *fanOut {
	a := &fanOut{free: make(chan *pipeBuf, pipeBuffers)}
	for i := 0; i < pipeBuffers; i++ {
		a.free <- &pipeBuf{b: make([]byte, 0, pipeBufSize)}
	}
	a.buf = <-a.free
	for _, w := range ws {
		ch := make(chan *pipeBuf, pipeBuffers)
		a.outs = append(a.outs, ch)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			for pb := range ch {
				w.Write(pb.b)
				if pb.readers.Add(-1) == 0 {
					pb.b = pb.b[:0]
					a.free <- pb
				}
			}
		}()
	}
	return a
}

func (a *fanOut) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := a.buf.b
		m := copy(b[len(b):cap(b)], p)
		a.buf.b = b[:len(b)+m]
		p = p[m:]
		if len(a.buf.b) == cap(a.buf.b) {
			a.send()
			a.buf = <-a.free
		}
	}
	return n, nil
}

// send hands the current buffer to every writer.
func (a *fanOut) send() {
	a.buf.readers.Store(int32(len(a.outs)))
	for _, ch := range a.outs {
		ch <- a.buf
	}
}

// finish flushes and stops the goroutines; everything written has then
// reached every writer.
func (a *fanOut) finish() {
	if len(a.buf.b) > 0 {
		a.send()
	}
	for _, ch := range a.outs {
		close(ch)
	}
	a.wg.Wait()
}

// tee writes to the diffID hash, then to Options.Content.
type tee struct {
	h hash.Hash
	w io.Writer
}

func (t *tee) Write(p []byte) (int, error) {
	t.h.Write(p)
	t.w.Write(p)
	return len(p), nil
}

// sidecar gives content the spans of a slice on a goroutine of its own,
// in step with the caller, who hashes each span meanwhile: the slice is
// written to by no one, so nothing is copied, and content never lags more
// than the span being hashed (a mapping's pages dropped behind the hash
// are faulted in again by content at most a span at a time).
type sidecar struct {
	chunks chan []byte
	done   chan struct{}
}

func newSidecar(content io.Writer) *sidecar {
	s := &sidecar{chunks: make(chan []byte), done: make(chan struct{})}
	go func() {
		for c := range s.chunks {
			content.Write(c)
			s.done <- struct{}{}
		}
	}()
	return s
}

// start hands content the next span; wait returns once it is read.
func (s *sidecar) start(c []byte) { s.chunks <- c }
func (s *sidecar) wait()          { <-s.done }

// close ends the goroutine; no chunk may be in flight.
func (s *sidecar) close() { close(s.chunks) }

// drainBeside is drainTo for a pipelined uncompressed blob with a
// content reader: content reads one buffer on a goroutine of its own
// while the next one is read into the other buffer (and hashed, by the
// source, as it is read), so nothing is copied for it.
func drainBeside(r io.Reader, bufs [2][]byte, h hash.Hash, content io.Writer) (int64, error) {
	side := newSidecar(content)
	defer side.close()
	var n int64
	busy, i := false, 0
	for {
		m, err := r.Read(bufs[i])
		if m > 0 {
			n += int64(m)
			if h != nil {
				h.Write(bufs[i][:m])
			}
			if busy {
				side.wait() // content is done with bufs[1-i]
			}
			side.start(bufs[i][:m])
			busy, i = true, 1-i
		}
		if err != nil {
			if busy {
				side.wait()
			}
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
	}
}
