package layer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

const benchBytes = 64 << 20

// benchInputs is 64 MiB of semi-compressible data, stored three ways;
// made once per process, outside any timed region.
var benchInputs = sync.OnceValues(func() (map[layer.Compression][]byte, []byte) {
	raw := semiCompressible(benchBytes, 42)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression) // a valid level
	zw.Write(raw)                                              // a bytes.Buffer does not fail
	zw.Close()
	enc, _ := zstd.NewWriter(nil) // default options do not fail
	zs := enc.EncodeAll(raw, nil)
	enc.Close()
	return map[layer.Compression][]byte{layer.None: raw, layer.Gzip: gz.Bytes(), layer.Zstd: zs}, raw
})

func BenchmarkCompute(b *testing.B) {
	for _, bc := range []struct {
		comp     layer.Compression
		pipeline bool
	}{{layer.None, false}, {layer.Gzip, false}, {layer.Zstd, false}, {layer.None, true}, {layer.Gzip, true}, {layer.Zstd, true}} {
		name := string(bc.comp)
		if bc.pipeline {
			name += "-pipeline"
		}
		b.Run(name, func(b *testing.B) {
			stored, raw := benchInputs()
			in := stored[bc.comp]
			want := digest.FromBytes(raw)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := layer.Compute(context.Background(), bytes.NewReader(in), layer.Options{Pipeline: bc.pipeline})
				if err != nil || res.DiffID != want {
					b.Fatalf("Compute = %+v, %v; want DiffID %s", res, err, want)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(len(raw))*float64(b.N)/b.Elapsed().Seconds()/1e6, "uncompressed-MB/s")
			b.ReportMetric(float64(len(raw))/float64(len(in)), "ratio")
		})
	}
}

// BenchmarkBlobs is the pure-Go bound for a directory of real blobs, or
// one file ($TARDIGEST_BENCH_BLOBS; skipped when unset): every file is computed once
// per iteration, one at a time, from memory, and the bound for GOMAXPROCS
// cores is the total work divided by the cores, or the largest blob's
// critical path (computed alone, pipelined) if that is longer.
// bench/run.sh purego runs it on each format of the benchmark image.
func BenchmarkBlobs(b *testing.B) {
	dir := os.Getenv("TARDIGEST_BENCH_BLOBS")
	if dir == "" {
		b.Skip("TARDIGEST_BENCH_BLOBS is not set")
	}
	paths := []string{dir} // or a single file: an archive compressed as a whole
	if entries, err := os.ReadDir(dir); err == nil {
		paths = paths[:0]
		for _, e := range entries {
			if e.Type().IsRegular() {
				paths = append(paths, filepath.Join(dir, e.Name()))
			}
		}
	}
	var blobs [][]byte
	var total int64
	largest := -1
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if largest < 0 || len(data) > len(blobs[largest]) {
			largest = len(blobs)
		}
		blobs = append(blobs, data)
		total += int64(len(data))
	}
	if largest < 0 {
		b.Fatalf("no files in %s", dir)
	}
	b.SetBytes(total)
	var work, critical time.Duration
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		for _, data := range blobs {
			start := time.Now()
			if _, err := layer.ComputeBytes(ctx, data, layer.Options{}, nil); err != nil {
				b.Fatal(err)
			}
			work += time.Since(start)
		}
		start := time.Now()
		if _, err := layer.Compute(ctx, bytes.NewReader(blobs[largest]), layer.Options{Pipeline: true}); err != nil {
			b.Fatal(err)
		}
		critical += time.Since(start)
	}
	b.StopTimer()
	n := float64(b.N)
	cores := runtime.GOMAXPROCS(0)
	bound := max(work.Seconds()/float64(cores), critical.Seconds()) / n
	b.ReportMetric(work.Seconds()/n, "work-s")
	b.ReportMetric(critical.Seconds()/n, "largest-pipelined-s")
	b.ReportMetric(bound, "bound-s")
}
