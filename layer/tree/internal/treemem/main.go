// Command treemem measures the memory of package tree on a synthetic
// image: FILES regular files (default 1,000,000) in directories of 100,
// spread over LAYERS layers (default 4), streamed as tar into Walkers and
// merged. It prints heap bytes per path after each phase; run it under
// /usr/bin/time -v for the peak resident set:
//
//	go build -o /tmp/treemem ./layer/tree/internal/treemem
//	/usr/bin/time -v /tmp/treemem -files 1000000 -layers 4
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/tardigest/tardigest/layer/tree"
)

func main() {
	files := flag.Int("files", 1_000_000, "regular files in the image")
	layers := flag.Int("layers", 4, "layers they are spread over")
	dive := flag.Bool("dive", true, "also compute dive's numbers")
	speed := flag.Bool("speed", false, "instead: time the walker against sha256 on one layer of FILES tiny files")
	flag.Parse()
	if *speed {
		timeWalker(*files)
		return
	}
	base := heap()
	start := time.Now()
	var ls []*tree.Layer
	per := *files / *layers
	for l := range *layers {
		ls = append(ls, walkLayer(l*per, per))
	}
	walked := heap()
	report("layers walked", walked-base, *files, time.Since(start))
	start = time.Now()
	img := tree.Merge(ls, tree.Options{})
	merged := heap()
	report("merged (layers + image)", merged-base, img.Facts.Paths, time.Since(start))
	report("merged image alone", merged-walked, img.Facts.Paths, 0)
	if *dive {
		start = time.Now()
		d := tree.Dive(ls, tree.Options{})
		fmt.Printf("dive: efficiency %.4f in %v\n", d.Efficiency, time.Since(start).Round(time.Millisecond))
	}
	runtime.KeepAlive(ls)
	runtime.KeepAlive(img)
}

// timeWalker streams a layer of n one-byte files in 1 MiB chunks and
// times, chunk by chunk, in CPU time of the thread, sha256 of the bytes (what the diffID costs) and
// the Walker over the same bytes, interleaved.
func timeWalker(n int) {
	runtime.LockOSThread()
	w := tree.NewWalker(tree.Options{})
	h := sha256.New()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var tHash, tWalk time.Duration
	var total int64
	feed := func() {
		b := buf.Bytes()
		t0 := cpu()
		h.Write(b)
		t1 := cpu()
		w.Write(b)
		t2 := cpu()
		tHash += t1.Sub(t0)
		tWalk += t2.Sub(t1)
		total += int64(len(b))
		buf.Reset()
	}
	for i := range n {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/share/pkg%05d/file%03d.txt", i/100, i%100), Mode: 0o644, Size: 1})
		tw.Write([]byte{'x'})
		if buf.Len() >= 1<<20 {
			feed()
		}
	}
	tw.Close()
	feed()
	l := w.Finish()
	fmt.Printf("%d entries, %d bytes: sha256 %v (%.0f MB/s), walker %v (%.0f MB/s, %.0f ns/entry), walker/sha256 = %.2f\n",
		l.Facts.Entries, total, tHash.Round(time.Millisecond), float64(total)/tHash.Seconds()/1e6,
		tWalk.Round(time.Millisecond), float64(total)/tWalk.Seconds()/1e6, float64(tWalk.Nanoseconds())/float64(n), tWalk.Seconds()/tHash.Seconds())
}

// cpu returns the CPU time (user and system) of the calling thread, so
// that other processes on a shared machine do not count.
func cpu() time.Time {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Unix(0, ru.Utime.Nano()+ru.Stime.Nano())
}

// walkLayer streams a layer of n files, numbered from first, into a Walker.
func walkLayer(first, n int) *tree.Layer {
	w := tree.NewWalker(tree.Options{})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := first; i < first+n; i++ {
		if i%100 == 0 {
			tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/share/pkg%05d/", i/100), Typeflag: tar.TypeDir, Mode: 0o755})
		}
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/share/pkg%05d/file%03d.txt", i/100, i%100), Mode: 0o644, Size: 1})
		tw.Write([]byte{'x'})
		if buf.Len() > 1<<20 {
			w.Write(buf.Bytes())
			buf.Reset()
		}
	}
	tw.Close()
	w.Write(buf.Bytes())
	return w.Finish()
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func report(what string, bytes uint64, paths int, d time.Duration) {
	fmt.Fprintf(os.Stdout, "%-26s %7.1f MiB, %6.1f bytes/path (%d paths) %v\n", what, float64(bytes)/(1<<20), float64(bytes)/float64(paths), paths, d.Round(time.Millisecond))
}
