package count

import (
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

func TestReader(t *testing.T) {
	var total atomic.Int64
	r := &Reader{R: iotest.OneByteReader(strings.NewReader("hello")), Total: &total}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if r.N != 5 || total.Load() != 5 || r.Err != nil {
		t.Errorf("N = %d, Total = %d, Err = %v; want 5, 5, nil", r.N, total.Load(), r.Err)
	}
}

func TestReaderKeepsFirstError(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	r := &Reader{R: io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(first))}
	io.ReadAll(r)
	r.R = iotest.ErrReader(second)
	if _, err := r.Read(make([]byte, 1)); err != second {
		t.Fatalf("Read = %v, want the reader's own error", err)
	}
	if r.Err != first || r.N != 2 {
		t.Errorf("Err = %v, N = %d; want the first error and 2", r.Err, r.N)
	}
}
