package main

import (
	"context"
	"io"
)

// interruptible returns a reader of r whose Read returns ctx's error as
// soon as ctx is done, even while a Read of r is blocked, as a read of a
// stalled stdin blocks until the writer writes. r is read on a goroutine
// into two buffers of its own, so a Read that returns early leaves no
// write into the caller's buffer behind; that goroutine stays blocked in
// r.Read until r returns, which the process exiting makes moot.
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	ir := &interruptReader{ctx: ctx, free: make(chan []byte, 2), full: make(chan chunk)}
	for i := 0; i < 2; i++ {
		ir.free <- make([]byte, interruptBufferBytes)
	}
	go ir.fill(r)
	return ir
}

// interruptBufferBytes is the size of each buffer: large enough that the
// hand-off between goroutines costs nothing next to hashing the bytes.
const interruptBufferBytes = 256 << 10

type chunk struct {
	buf  []byte // the whole buffer, to give back
	data []byte // what is left of what was read into it
	err  error
}

type interruptReader struct {
	ctx  context.Context
	free chan []byte
	full chan chunk
	cur  *chunk
	err  error
}

func (ir *interruptReader) fill(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-ir.free:
		case <-ir.ctx.Done():
			return
		}
		n, err := r.Read(buf)
		select {
		case ir.full <- chunk{buf: buf, data: buf[:n], err: err}:
		case <-ir.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (ir *interruptReader) Read(p []byte) (int, error) {
	if ir.err != nil {
		return 0, ir.err
	}
	if err := ir.ctx.Err(); err != nil {
		return 0, err
	}
	if ir.cur == nil {
		select {
		case c := <-ir.full:
			ir.cur = &c
		case <-ir.ctx.Done():
			return 0, ir.ctx.Err()
		}
	}
	n := copy(p, ir.cur.data)
	ir.cur.data = ir.cur.data[n:]
	if len(ir.cur.data) > 0 {
		return n, nil
	}
	err := ir.cur.err
	ir.free <- ir.cur.buf
	ir.cur = nil
	if err != nil {
		ir.err = err
	}
	return n, err
}
