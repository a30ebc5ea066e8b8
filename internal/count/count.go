// Package count counts the bytes read through an io.Reader. It is the one
// counting reader of tardigest: layer counts what a blob's decoders
// consume, tarball counts archive bytes for progress and checks that a
// blob is as long as its header says.
package count

import (
	"io"
	"sync/atomic"
)

// Reader reads from R and counts: N is the number of bytes read so far
// and Err the first error other than io.EOF. When Total is not nil, every
// count is also added to it, atomically, so that another goroutine can
// watch the progress of many Readers at once. A Reader is used by one
// goroutine at a time; only Total may be read concurrently.
type Reader struct {
	R     io.Reader
	N     int64
	Err   error
	Total *atomic.Int64
}

// Read reads from R and counts what it read.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.R.Read(p)
	r.N += int64(n)
	if r.Total != nil && n > 0 {
		r.Total.Add(int64(n))
	}
	if err != nil && err != io.EOF && r.Err == nil {
		r.Err = err
	}
	return n, err
}
