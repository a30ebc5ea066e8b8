package layer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/tardigest/tardigest/layer"
)

// TestNewReader reads whole streams of every compression through
// NewReader, the way an archive compressed as a whole is read.
func TestNewReader(t *testing.T) {
	t.Parallel()
	seq := seq50k()
	tests := []struct {
		name string
		in   []byte
		comp layer.Compression
		want []byte // nil: the class in wantErr
		err  error
	}{
		{"none", seq, layer.None, seq, nil},
		{"empty", nil, layer.None, []byte{}, nil},
		{"gzip", gzipOf(t, 6, seq), layer.Gzip, seq, nil},
		{"zstd", fixture(t, "seq.2frames.zst"), layer.Zstd, seq, nil},
		{"bzip2", fixture(t, "seq.pbzip2.bz2"), layer.Bzip2, seq, nil},
		{"xz", fixture(t, "seq.concat-padded.xz"), layer.Xz, seq, nil},
		{"gzip trailing garbage", cat(gzipOf(t, 6, seq), []byte("x")), layer.Gzip, nil, layer.ErrCorrupt},
		{"zstd trailing garbage", cat(fixture(t, "seq.2frames.zst"), []byte("x")), layer.Zstd, nil, layer.ErrCorrupt},
		{"bzip2 trailing garbage", cat(fixture(t, "seq.bz2"), []byte("x")), layer.Bzip2, nil, layer.ErrCorrupt},
		{"xz trailing garbage", cat(fixture(t, "seq.xz"), []byte("x")), layer.Xz, nil, layer.ErrCorrupt},
		{"xz unsupported filter", xzStream(xzCheckNone, xzBlockSpec{data: seq, filters: []byte{0x04, 0x00}}), layer.Xz, nil, layer.ErrUnsupported},
		{"zstd window over the limit in frame 2", fixture(t, "seq.ultra-second.zst"), layer.Zstd, nil, layer.ErrLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			zr, err := layer.NewReader(iotest.HalfReader(bytes.NewReader(tc.in)), layer.Limits{MaxWindowBytes: 64 << 20}, nil)
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			defer zr.Close()
			if zr.Compression() != tc.comp {
				t.Errorf("Compression() = %q, want %q", zr.Compression(), tc.comp)
			}
			got, err := io.ReadAll(zr)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("read error = %v, want errors.Is %v", err, tc.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("read %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
			}
			if _, err := zr.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("read after the end: %v, want io.EOF", err)
			}
		})
	}
}

func TestNewReaderErrors(t *testing.T) {
	t.Parallel()
	t.Run("read error at the magic", func(t *testing.T) {
		_, err := layer.NewReader(iotest.ErrReader(errBoom), layer.Limits{}, nil)
		if !errors.Is(err, errBoom) {
			t.Errorf("NewReader error = %v, want %v", err, errBoom)
		}
	})
	t.Run("corrupt gzip header", func(t *testing.T) {
		_, err := layer.NewReader(bytes.NewReader([]byte{0x1f, 0x8b, 0x08, 0xff, 0, 0, 0, 0, 0, 0}), layer.Limits{}, nil)
		if !errors.Is(err, layer.ErrCorrupt) {
			t.Errorf("NewReader error = %v, want ErrCorrupt", err)
		}
	})
	for _, name := range []string{"seq.bz2", "seq.xz", "seq.2frames.zst"} {
		t.Run("read error midway, "+name, func(t *testing.T) {
			in := fixture(t, name)
			zr, err := layer.NewReader(&failingReader{r: bytes.NewReader(in[:len(in)/2]), chunk: 4096, err: errBoom}, layer.Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			if _, err := io.Copy(io.Discard, zr); !errors.Is(err, errBoom) || errors.Is(err, layer.ErrCorrupt) {
				t.Errorf("read error = %v, want %v unclassed", err, errBoom)
			}
		})
	}
	t.Run("read after Close", func(t *testing.T) {
		zr, err := layer.NewReader(bytes.NewReader(fixture(t, "seq.xz")), layer.Limits{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		zr.Close()
		zr.Close()
		if _, err := zr.Read(make([]byte, 10)); err == nil {
			t.Error("read after Close succeeded")
		}
	})
}

// TestNewReaderStopsBombs: a 160 KiB zstd stream of 5 GiB of zeros is
// refused once its work passes both RatioFloorBytes and the ratio times
// the stored size (all of it, read ahead at once), not after 5 GiB.
func TestNewReaderStopsBombs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []byte
		cost int64
	}{
		{"zstd", zstdRLEFrame(40960, 0), 2},
		{"bzip2", fixture(t, "zeros1g.bz2"), 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			zr, err := layer.NewReader(bytes.NewReader(tc.in), layer.Limits{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			n, err := io.Copy(io.Discard, zr)
			if !errors.Is(err, layer.ErrLimit) || !strings.Contains(err.Error(), "max-expansion-ratio") {
				t.Errorf("error = %v, want ErrLimit naming max-expansion-ratio", err)
			}
			ratio := layer.DefaultMaxExpansionRatio * int64(len(tc.in))
			if max := max(layer.RatioFloorBytes, ratio)/tc.cost + 1<<20; n > max {
				t.Errorf("read %d bytes before the limit, want at most %d", n, max)
			}
		})
	}
}

// tinyBomb is a zstd frame of 30 MiB of zeros in 960 bytes: under
// RatioFloorBytes of work (a zstd byte counts 2), so no blob alone trips
// the expansion ratio.
var tinyBomb = sync.OnceValue(func() []byte { return zstdRLEFrame(240, 0) })

// TestBudget: blobs of one archive share the expansion ratio. Without the
// budget each tiny bomb passes, as every blob stays under RatioFloorBytes.
func TestBudget(t *testing.T) {
	t.Parallel()
	compute := func(b *layer.Budget) error {
		got, err := layer.Compute(context.Background(), bytes.NewReader(tinyBomb()), layer.Options{Budget: b})
		if err != nil {
			t.Fatal(err)
		}
		return got.DiffIDErr
	}
	for range 3 {
		if err := compute(nil); err != nil {
			t.Fatalf("without a budget: %v", err)
		}
	}
	b := layer.NewBudget(layer.Limits{})
	if err := compute(b); err != nil {
		t.Fatalf("first blob: %v", err)
	}
	err := compute(b)
	if !errors.Is(err, layer.ErrLimit) || !strings.Contains(err.Error(), "archive") || !strings.Contains(err.Error(), "max-expansion-ratio") {
		t.Fatalf("second blob: %v, want ErrLimit for the archive naming max-expansion-ratio", err)
	}
	if got, want := b.Stored(), 2*int64(len(tinyBomb())); got != want {
		t.Errorf("Stored() = %d, want %d", got, want)
	}
	// Once over, the archive stays over; an uncompressed blob is still
	// hashed.
	if err := compute(b); !errors.Is(err, layer.ErrLimit) {
		t.Errorf("third blob: %v, want ErrLimit", err)
	}
	got, err := layer.Compute(context.Background(), bytes.NewReader(emptyTar), layer.Options{Budget: b})
	if err != nil || got.DiffIDErr != nil || got.DiffID != emptyTarDiffID {
		t.Errorf("uncompressed blob after the budget is spent: %+v, %v", got, err)
	}
}

// TestBudgetConcurrent charges one budget from several goroutines (run
// with -race): the total is what the blobs stored, and the archive is
// refused.
func TestBudgetConcurrent(t *testing.T) {
	t.Parallel()
	b := layer.NewBudget(layer.Limits{})
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			got, err := layer.Compute(context.Background(), bytes.NewReader(tinyBomb()), layer.Options{Budget: b, Pipeline: i%2 == 0})
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = got.DiffIDErr
		})
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		if errors.Is(err, layer.ErrLimit) {
			refused++
		} else if err != nil {
			t.Errorf("blob error %v, want nil or ErrLimit", err)
		}
	}
	if refused == 0 {
		t.Error("no blob was refused")
	}
	if got, want := b.Stored(), int64(len(errs)*len(tinyBomb())); got != want {
		t.Errorf("Stored() = %d, want %d", got, want)
	}
}

// TestBudgetCountsStoredOnce: when the archive itself is read through a
// Reader given the budget, that Reader counts the stored bytes, and the
// blobs inside (whose bytes are decompressed archive bytes) count none,
// or a compressed archive of compressed blobs would expand ratio² times.
func TestBudgetCountsStoredOnce(t *testing.T) {
	t.Parallel()
	inner := gzipOf(t, 6, seq50k())
	outer := zstdOf(t, cat(inner, inner))
	b := layer.NewBudget(layer.Limits{})
	zr, err := layer.NewReader(bytes.NewReader(outer), layer.Limits{}, b)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tar, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := layer.Compute(context.Background(), bytes.NewReader(tar[:len(inner)]), layer.Options{Budget: b})
		if err != nil || got.DiffIDErr != nil {
			t.Fatal(err, got.DiffIDErr)
		}
	}
	if got := b.Stored(); got != int64(len(outer)) {
		t.Errorf("Stored() = %d, want the archive's %d bytes", got, len(outer))
	}
	if got, want := b.Decompressed(), int64(2*len(inner)+2*len(seq50k())); got != want {
		t.Errorf("Decompressed() = %d, want %d", got, want)
	}
}

// TestComputeWindowChurn: blobs or blocks that each ask for a large
// window and hold almost nothing must not make the decoder allocate and
// zero that window again and again. zstd decoders keep their history
// from blob to blob, as long as the pool keeps them (the race detector
// drops some on purpose); a new one counts as work, so the archive is
// refused before many are made. xz blocks each get a new dictionary,
// which counts too, so 2000 of them are refused early instead of taking
// minutes. It is not parallel, so TotalAlloc counts this test alone.
func TestComputeWindowChurn(t *testing.T) {
	const maxAlloc = 2 << 30
	x := []byte("x")
	var blocks []xzBlockSpec
	for range 2000 {
		blocks = append(blocks, xzBlockSpec{data: x, dictProp: 30}) // 128 MiB each
	}
	manyBlocks := xzStream(xzCheckNone, blocks...)
	zstdFrame := zstdRawFrame(0x88, x) // a 128 MiB window for one byte

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := layer.Compute(context.Background(), bytes.NewReader(manyBlocks), layer.Options{})
	if err != nil || !errors.Is(got.DiffIDErr, layer.ErrLimit) {
		t.Errorf("2000 xz blocks asking for 128 MiB each: %v, %v; want ErrLimit", err, got.DiffIDErr)
	}
	b := layer.NewBudget(layer.Limits{})
	for i := range 200 {
		got, err := layer.Compute(context.Background(), bytes.NewReader(zstdFrame), layer.Options{Budget: b})
		if err != nil || (got.DiffIDErr != nil && !errors.Is(got.DiffIDErr, layer.ErrLimit)) {
			t.Fatalf("zstd blob %d: %v, %v; want it decoded or refused as a limit", i, err, got.DiffIDErr)
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > maxAlloc {
		t.Errorf("allocated %d MiB, want at most %d MiB", d>>20, maxAlloc>>20)
	}
}
