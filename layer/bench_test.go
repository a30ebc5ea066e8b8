package layer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"sync"
	"testing"

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
