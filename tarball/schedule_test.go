package tarball

import (
	"slices"
	"testing"
)

func TestPipelined(t *testing.T) {
	tests := []struct {
		name    string
		sizes   []int64
		workers int
		want    []bool
	}{
		{"one worker never pipelines", []int64{100, 10}, 1, []bool{false, false}},
		{"single blob", []int64{100}, 2, []bool{true}},
		{"largest outweighs the rest", []int64{100, 30, 20}, 2, []bool{true, true, true}},
		{"balanced", []int64{100, 60, 50, 10}, 2, []bool{false, false, true, true}},
		{"more workers share the rest", []int64{100, 60, 50, 10}, 3, []bool{true, true, true, true}},
		{"empty", nil, 2, []bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pipelined(tt.sizes, tt.workers)
			if !slices.Equal(got, tt.want) {
				t.Errorf("pipelined(%v, %d) = %v, want %v", tt.sizes, tt.workers, got, tt.want)
			}
		})
	}
}

// TestPageDropper checks the pages of a mapped blob leave the resident set
// in order, each once, never less than a sidecar span behind the hash
// (the content walker may still read them), at most 5 MiB resident, and
// all of them by the end.
func TestPageDropper(t *testing.T) {
	const (
		chunk   = 256 << 10 // layer's read size
		span    = 4 << 20   // layer's sidecar span: the content walker's lag
		maxKept = 5 << 20   // the resident bound per blob
	)
	for _, size := range []int{1, chunk, dropLag, dropLag + dropBytes - 1, dropLag + dropBytes + 1, 5*dropBytes + dropLag + 12345} {
		b := make([]byte, size)
		next := 0
		d := pageDropper{b: b, drop: func(p []byte) {
			if off := cap(b) - cap(p); off != next {
				t.Fatalf("size %d: dropped from %d, want %d (in order, each byte once)", size, off, next)
			}
			next += len(p)
		}}
		for d.done < size {
			d.read(min(chunk, size-d.done))
			if d.done < size && next > max(0, d.done-span) {
				t.Fatalf("size %d: at %d dropped up to %d, less than %d behind", size, d.done, next, span)
			}
			if resident := d.done - next; resident > maxKept+chunk {
				t.Fatalf("size %d: at %d, %d bytes not dropped", size, d.done, resident)
			}
		}
		if next != size {
			t.Errorf("size %d: dropped %d bytes by the end", size, next)
		}
	}
}
