package tarball_test

// The regression guard of issue 16: reading a docker-archive gzipped as a
// whole, against the least any reader must do on the same machine in the
// same run. Identifiers start with "bg".

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/tarball"
)

// BenchmarkGzipArchive reads a docker-archive gzipped as a whole
// ($TARDIGEST_BENCH_ARCHIVE, such as bench/work/scale-1/docker.tar.gz, or
// else one of 56 MiB built here) three ways in every iteration, in turn:
//
//   - floor: the least any reader must do, from memory: inflate on one
//     goroutine (layer.ReadAhead), sha256 of every output byte on another;
//   - file: tarball.Open on the file;
//   - stdin: tarball.Read on the open file, as `tardigest verify -` does.
//
// It reports the median wall time of each and, as medians of the ratios
// within an iteration, file/floor (what tardigest adds to the work it
// cannot avoid) and stdin/file, in wall time and in CPU time (user and
// system, of the whole process; "-cpu" metrics, left out where the
// platform does not say). The machine's speed mostly cancels out of the
// ratios; CPU time also cancels most of a neighbour's load, which wall
// time does not. The MiB the file and stdin reads allocate do not depend
// on the machine at all. bench/run.sh guard runs it on the benchmark
// image and compares the figures with those recorded in BENCHMARKS.md.
// It reports; it never fails on time.
func BenchmarkGzipArchive(b *testing.B) {
	path := os.Getenv("TARDIGEST_BENCH_ARCHIVE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "docker.tar.gz")
		if err := os.WriteFile(path, bgArchive(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ways := []struct {
		name             string
		read             func() error
		wall, cpu, alloc []float64
	}{
		{name: "floor", read: func() error { return bgFloor(data) }},
		{name: "file", read: func() error { return bgVerified(tarball.Open(ctx, path, tarball.Options{})) }},
		{name: "stdin", read: func() error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			return bgVerified(tarball.Read(ctx, f, tarball.Options{}))
		}},
	}
	b.ResetTimer()
	for range b.N {
		for i := range ways {
			w := &ways[i]
			var mem runtime.MemStats
			runtime.ReadMemStats(&mem)
			alloc := mem.TotalAlloc
			start, cpu := time.Now(), bgCPU()
			if err := w.read(); err != nil {
				b.Fatalf("%s: %v", w.name, err)
			}
			w.wall = append(w.wall, time.Since(start).Seconds())
			w.cpu = append(w.cpu, (bgCPU() - cpu).Seconds())
			runtime.ReadMemStats(&mem)
			w.alloc = append(w.alloc, float64(mem.TotalAlloc-alloc)/(1<<20))
		}
	}
	b.StopTimer()
	floor, file, stdin := ways[0], ways[1], ways[2]
	for _, w := range ways {
		b.ReportMetric(bgMedian(w.wall), w.name+"-s")
	}
	// Bytes allocated hardly move between runs: a new buffer or copy per
	// entry shows here even when the times cannot tell it from noise.
	b.ReportMetric(bgMedian(file.alloc), "file-alloc-MiB")
	b.ReportMetric(bgMedian(stdin.alloc), "stdin-alloc-MiB")
	b.ReportMetric(bgRatio(file.wall, floor.wall), "file/floor")
	b.ReportMetric(bgRatio(stdin.wall, file.wall), "stdin/file")
	if bgCPU() > 0 {
		b.ReportMetric(bgMedian(file.cpu), "file-cpu-s")
		b.ReportMetric(bgRatio(file.cpu, floor.cpu), "file/floor-cpu")
		b.ReportMetric(bgRatio(stdin.cpu, file.cpu), "stdin/file-cpu")
	}
}

// bgVerified is the error of a read that did not verify an image.
func bgVerified(res *tarball.Result, err error) error {
	if err != nil {
		return err
	}
	if err := res.Err(-1); err != nil || len(res.Images) == 0 {
		return fmt.Errorf("%d images, Err %v; want a verified image", len(res.Images), err)
	}
	return nil
}

// bgRatio is the median of num[i]/den[i]: a neighbour's burst on a shared
// machine spoils one iteration, not the figure.
func bgRatio(num, den []float64) float64 {
	r := make([]float64, len(num))
	for i := range num {
		r[i] = num[i] / den[i]
	}
	return bgMedian(r)
}

func bgMedian(x []float64) float64 {
	x = slices.Sorted(slices.Values(x))
	if len(x)%2 == 1 {
		return x[len(x)/2]
	}
	return (x[len(x)/2-1] + x[len(x)/2]) / 2
}

// bgFloor inflates a gzip stream from memory on one goroutine, with the
// decoder tardigest reads an archive with (layer.NewReader), and hashes
// the output on this one, through buffers of the size tardigest copies in.
func bgFloor(data []byte) error {
	zr, err := layer.NewReader(bytes.NewReader(data), layer.Limits{}, nil)
	if err != nil {
		return err
	}
	defer zr.Close()
	ra := layer.ReadAhead(zr)
	defer ra.Close()
	_, err = io.CopyBuffer(sha256.New(), ra, make([]byte, 256<<10))
	return err
}

// bgArchive is a docker-archive of two layers gzipped as a whole: 2000
// small text files (8 MiB), and three 16 MiB files that compress to
// about half, like the benchmark image's binaries. Made once per process.
var bgArchive = sync.OnceValue(func() []byte {
	rng := rand.New(rand.NewChaCha8([32]byte{16}))
	small, big := map[string][]byte{}, map[string][]byte{}
	for i := range 2000 {
		small[fmt.Sprintf("usr/lib/python3/pkg%02d/mod%04d.py", i/50, i)] = bgContent(rng, 4<<10, 1)
	}
	for i := range 3 {
		big[fmt.Sprintf("opt/app/lib%d.so", i)] = bgContent(rng, 16<<20, 0.5)
	}
	var layers [][]byte
	for _, files := range []map[string][]byte{small, big} {
		layers = append(layers, bgTar(files))
	}
	entries := map[string][]byte{}
	var diffIDs, paths []string
	for _, l := range layers {
		d := digest.FromBytes(l)
		diffIDs = append(diffIDs, d.String())
		paths = append(paths, d.Encoded()+"/layer.tar")
		entries[paths[len(paths)-1]] = l
	}
	config, _ := json.Marshal(map[string]any{ // plain values: cannot fail
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	configName := digest.FromBytes(config).Encoded() + ".json"
	entries[configName] = config
	entries["manifest.json"], _ = json.Marshal([]map[string]any{
		{"Config": configName, "RepoTags": []string{"tardigest/bench:latest"}, "Layers": paths},
	})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bgTar(entries)) // a bytes.Buffer does not fail
	zw.Close()
	return gz.Bytes()
})

// bgContent is n bytes in 4 KiB chunks, each words of text with
// probability textShare, else random bytes.
func bgContent(rng *rand.Rand, n int, textShare float64) []byte {
	words := []string{"import ", "return ", "self.", "layer ", "digest ", "(", ")", "\n", "    ", "0x", "error"}
	out := make([]byte, 0, n)
	for len(out) < n {
		chunk := min(4<<10, n-len(out))
		if rng.Float64() >= textShare {
			for range chunk {
				out = append(out, byte(rng.Uint32()))
			}
			continue
		}
		for end := len(out) + chunk; len(out) < end; {
			out = append(out, words[rng.IntN(len(words))]...)
		}
		out = out[:min(len(out), n)]
	}
	return out
}

// bgTar is a tar of files, in name order.
func bgTar(files map[string][]byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		body := files[name]
		// Valid short names and sizes, into a bytes.Buffer: cannot fail.
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write(body)
	}
	tw.Close()
	return buf.Bytes()
}
