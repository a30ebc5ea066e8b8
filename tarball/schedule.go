package tarball

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// hashEntry computes e.blob from r, keeping the bytes of small JSON-looking
// entries within the catalog's metadata budget.
func hashEntry(ctx context.Context, cat *catalog, e *entry, r io.Reader, opts *Options, pipeline bool) error {
	defer opts.track()()
	lopts := layer.Options{Algorithm: algorithmFromName(e.name), Limits: opts.Limits.Layer, Pipeline: pipeline && e.size >= pipelineMinBytes, Budget: opts.budget}
	walked := opts.walkInto(e, &lopts)
	if e.size >= 0 && e.size <= opts.Limits.MaxJSONBytes {
		b, err := io.ReadAll(io.LimitReader(r, opts.Limits.MaxJSONBytes+1))
		if err != nil {
			return err
		}
		res, err := layer.ComputeBytes(ctx, b, lopts, nil)
		if err != nil {
			return err
		}
		e.blob = res
		walked()
		if keepable(b) && cat.keep(int64(len(b))) {
			e.data = b
		}
		return nil
	}
	res, err := layer.Compute(ctx, r, lopts)
	if err != nil {
		return err
	}
	e.blob = res
	walked()
	return nil
}

// track counts one blob as in progress until the returned func is called.
func (o *Options) track() (done func()) {
	p := o.Progress
	if p == nil {
		return func() {}
	}
	p.Active.Add(1)
	return func() { p.Active.Add(-1); p.Blobs.Add(1) }
}

// pipelineMinBytes is the blob size below which pipelining one blob costs
// more in hand-offs than it gains.
const pipelineMinBytes = 8 << 20

// algorithmFromName picks the digest algorithm a blob path implies
// (blobs/sha512/...), so a sha512-addressed blob is hashed with sha512 in
// the same read.
func algorithmFromName(name string) digest.Algorithm {
	if strings.HasPrefix(name, "blobs/sha512/") {
		return digest.SHA512
	}
	return ""
}

func entryReadError(name string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, ErrLimit) || errors.Is(err, ErrMalformed) {
		return fmt.Errorf("entry %q: %w", name, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, tar.ErrHeader) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: entry %q: archive is truncated or corrupt: %v", ErrMalformed, name, err)
	}
	return fmt.Errorf("entry %q: %w", name, err)
}

// blobJob is a regular entry waiting to be hashed: in a tar file, offset
// is where its body starts; in a directory it is 0.
type blobJob struct {
	e      *entry
	offset int64
	// info is what lstat saw of a directory's file, and aliases its
	// other names (hard links), which get its results.
	info    fs.FileInfo
	aliases []*entry
}

// hashAll is the one scheduler of the seekable file and directory readers.
// It hashes the jobs on opts.workers() goroutines, largest first, so the
// longest blob starts first; a blob that would otherwise run alone on one
// core while the other workers sit idle is hashed pipelined (see
// pipelined). hash reads one job; its first error stops the others.
func hashAll(ctx context.Context, jobs []blobJob, opts *Options, hash func(j blobJob, pipeline bool) error) error {
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].e.size > jobs[j].e.size })
	sizes := make([]int64, len(jobs))
	for i, j := range jobs {
		sizes[i] = j.e.size
	}
	pipe := pipelined(sizes, opts.workers())
	return runJobs(ctx, opts.workers(), len(jobs), func(i int) error { return hash(jobs[i], pipe[i]) })
}

// inPlace reports whether an entry is hashed straight from the mapping:
// an uncompressed sha256 blob, where copying out of the page cache is a
// large part of the work. Compressed blobs are read as before: inflating
// costs far more than the copy.
func inPlace(e *entry, b []byte) bool {
	return algorithmFromName(e.name) == "" && layer.Detect(b[:min(layer.MagicLen, len(b))]) == layer.None
}

// hashMapped hashes an entry whose bytes are a slice of the mapped
// archive. A file truncated by someone else while it is mapped faults on
// access; the fault becomes an error here, not a crash.
func hashMapped(ctx context.Context, cat *catalog, e *entry, b []byte, opts *Options, pipeline bool) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverFault(&err)
	defer opts.track()()
	drop := pageDropper{b: b, drop: dropPages}
	onRead := func(n int) {
		drop.read(n)
		if p := opts.Progress; p != nil {
			p.Bytes.Add(int64(n))
		}
	}
	// Pipelined, the walker reads the mapping beside the hash: no copy.
	lopts := layer.Options{Algorithm: algorithmFromName(e.name), Limits: opts.Limits.Layer, Pipeline: pipeline && e.size >= pipelineMinBytes, Budget: opts.budget}
	walked := opts.walkInto(e, &lopts)
	res, err := layer.ComputeBytes(ctx, b, lopts, onRead)
	if err != nil {
		return err
	}
	e.blob = res
	walked()
	if int64(len(b)) <= opts.Limits.MaxJSONBytes && keepable(b) && cat.keep(int64(len(b))) {
		e.data = bytes.Clone(b) // the mapping goes away after the read
	}
	return nil
}

// Pages of a mapped blob are dropped from the resident set in steps of
// dropBytes, dropLag behind the hash: the content walker beside the hash
// (layer's sidecar, in spans of 4 MiB) is at most one span behind it, so
// it never faults a dropped page in again. 1,024 madvise calls per GiB
// cost nothing against hashing it (the same pages leave either way);
// resident pages stay under 5 MiB per blob.
const dropBytes, dropLag = 1 << 20, 4 << 20

// pageDropper drops the pages of b as they are read: read(n) says n more
// bytes were hashed; the last read drops the rest.
type pageDropper struct {
	b             []byte
	dropped, done int
	drop          func([]byte)
}

func (d *pageDropper) read(n int) {
	d.done += n
	upto := d.done - dropLag
	if d.done == len(d.b) {
		upto = d.done
	}
	if upto > d.dropped && (upto-d.dropped >= dropBytes || upto == len(d.b)) {
		d.drop(d.b[d.dropped:upto])
		d.dropped = upto
	}
}

// pipelined decides, for blobs sorted largest first, which to hash with
// layer's pipelined mode: a blob larger than all the work after it shared
// among the other workers would otherwise run alone on one core while the
// rest sit idle (a single large layer is the common case).
func pipelined(sizes []int64, workers int) []bool {
	pipe := make([]bool, len(sizes))
	if workers < 2 {
		return pipe
	}
	var after int64
	for i := len(sizes) - 1; i >= 0; i-- {
		pipe[i] = sizes[i] > after/int64(workers-1)
		after += sizes[i]
	}
	return pipe
}

// runJobs calls do(0..n-1) on up to workers goroutines and returns the
// first error; the others stop at their next job.
func runJobs(ctx context.Context, workers, n int, do func(int) error) error {
	if workers < 1 {
		workers = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for w := 0; w < workers && w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= n || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := do(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
