package layer

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tardigest/tardigest/internal/count"
)

// TestZstdFramesRefusedWindowIsNotHistory: a frame whose window the
// budget refuses gets no ring, so the decoder kept for the next blob must
// not count one; else that blob's ring would be allocated uncounted.
func TestZstdFramesRefusedWindowIsNotHistory(t *testing.T) {
	budget := NewBudget(Limits{})
	budget.over.Store(true)
	in := &count.Reader{R: bytes.NewReader(nil)}
	m := &meter{lim: Limits{}.withDefaults(), comp: Zstd, budget: budget, in: in, storedByMe: true}
	f := &zstdFrames{meter: m}
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x88} // a 128 MiB window
	if err := f.feed(frame); !errors.Is(err, ErrLimit) {
		t.Fatalf("feed = %v, want ErrLimit", err)
	}
	if f.history != 0 {
		t.Errorf("history = %d after a refused window, want 0", f.history)
	}
	budget.over.Store(false)
	budget.work.Store(0)
	f = &zstdFrames{meter: &meter{lim: Limits{}.withDefaults(), comp: Zstd, in: in}}
	if err := f.feed(frame); err != nil || f.history != 128<<20 {
		t.Errorf("feed = %v, history %d; want nil, %d", err, f.history, 128<<20)
	}
}
