package tarball

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// entryKind is what a name in the archive is.
type entryKind int

const (
	kindFile entryKind = iota
	kindSymlink
	kindHardlink
	kindDir
	kindOther // devices, fifos: never a blob
)

// entry is one name of the archive, hashed as it was read. Roles (layer,
// config, manifest) are assigned later, from the metadata.
type entry struct {
	name string // cleaned, relative to the archive root
	kind entryKind
	link string // symlink or hard link target, cleaned, relative to the root
	size int64  // from the tar header or the file system
	blob layer.Result
	data []byte // the bytes, kept for small documents that look like JSON
}

// catalog is every entry of an archive by cleaned name.
type catalog struct {
	entries  map[string]*entry
	order    []string // first-seen order
	findings []Finding
	retained int64 // bytes kept in entry.data
	// overflow is set when a document could not be kept within
	// Limits.MaxMetadataBytes. Which one that is depends on the order
	// blobs finish in, so it ends the read as a whole, deterministically.
	overflow bool
}

// read finishes a catalog read: the error of the read, or else the
// metadata budget's.
func (c *catalog) read(err error, opts *Options) (*catalog, error) {
	if err == nil && c.overflow {
		err = fmt.Errorf("%w: JSON documents exceed %d bytes in all (the max-metadata-bytes limit)", ErrLimit, opts.Limits.MaxMetadataBytes)
	}
	return c, err
}

func newCatalog() *catalog { return &catalog{entries: map[string]*entry{}} }

func (c *catalog) problem(kind, subject string, err error, format string, args ...any) {
	c.findings = append(c.findings, newFinding(SeverityError, kind, subject, -1, err, format, args...))
}

// add records e unless its name is taken; a repeated name is an error,
// because tools disagree on which copy wins.
func (c *catalog) add(e *entry) bool {
	if _, dup := c.entries[e.name]; dup {
		c.problem("duplicate_entry", e.name, ErrMalformed, "entry %q appears more than once; tools disagree on which copy wins", e.name)
		return false
	}
	c.entries[e.name] = e
	c.order = append(c.order, e.name)
	return true
}

// cleanName turns a tar entry name into a name relative to the archive
// root. "./" prefixes are normal (GNU tar writes them) and are removed;
// absolute names, ".." and names that are not clean are refused rather than
// fixed. It returns "" for the root itself.
func cleanName(raw string) (string, error) {
	name := raw
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	name = strings.TrimSuffix(name, "/")
	switch {
	case name == "" || name == ".":
		return "", nil
	case strings.HasPrefix(name, "/"):
		return "", fmt.Errorf("%w: entry %q: absolute name", ErrMalformed, raw)
	case strings.ContainsRune(name, 0) || strings.Contains(name, "\\"):
		return "", fmt.Errorf("%w: entry %q: invalid character in name", ErrMalformed, raw)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: entry %q: name leaves the archive", ErrMalformed, raw)
		}
	}
	if path.Clean(name) != name {
		return "", fmt.Errorf("%w: entry %q: name is not clean", ErrMalformed, raw)
	}
	return name, nil
}

// resolveLink turns a symlink target into a name relative to the root,
// refusing targets that leave the archive.
func resolveLink(from, target string, symlink bool) (string, error) {
	if target == "" {
		return "", fmt.Errorf("%w: entry %q: empty link target", ErrMalformed, from)
	}
	if strings.HasPrefix(target, "/") {
		return "", fmt.Errorf("%w: entry %q: link to absolute path %q", ErrMalformed, from, target)
	}
	joined := target
	if symlink {
		joined = path.Join(path.Dir(from), target)
	} else {
		for strings.HasPrefix(joined, "./") {
			joined = joined[2:]
		}
		joined = path.Clean(joined)
	}
	if joined == ".." || strings.HasPrefix(joined, "../") {
		return "", fmt.Errorf("%w: entry %q: link target %q leaves the archive", ErrMalformed, from, target)
	}
	return joined, nil
}

// MaxLinkHops bounds how many links are followed to reach one entry.
const MaxLinkHops = 16

// lookup returns the regular entry name refers to, following links inside
// the archive only, with a hop limit and cycle detection. via is the first
// link followed, if any.
func (c *catalog) lookup(name string) (e *entry, via string, err error) {
	seen := map[string]bool{}
	cur := name
	for hops := 0; ; hops++ {
		e, ok := c.entries[cur]
		if !ok {
			if cur != name {
				return nil, via, fmt.Errorf("%w: %q links to %q, which is not in the archive", ErrMissing, name, cur)
			}
			return nil, "", fmt.Errorf("%w: %q is not in the archive", ErrMissing, name)
		}
		switch e.kind {
		case kindFile:
			return e, via, nil
		case kindSymlink, kindHardlink:
			if hops >= MaxLinkHops || seen[cur] {
				return nil, via, fmt.Errorf("%w: %q: link loop or more than %d links", ErrMalformed, name, MaxLinkHops)
			}
			seen[cur] = true
			if via == "" {
				via = e.link
			}
			cur = e.link
		case kindDir:
			return nil, via, fmt.Errorf("%w: %q is a directory, not a file", ErrMalformed, cur)
		default:
			return nil, via, fmt.Errorf("%w: %q is not a regular file", ErrMalformed, cur)
		}
	}
}

// keepable reports whether a small entry looks like a JSON document the
// analysis may need to parse: an object, an array, or null (a manifest.json
// of null must be reported as such, not as "not JSON").
func keepable(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[') || string(b) == "null"
}

// hashEntry computes e.blob from r, keeping the bytes of small JSON-looking
// entries within the catalog's retention budget. The budget is checked by
// the caller under its lock through keep.
func hashEntry(ctx context.Context, e *entry, r io.Reader, opts *Options, keep func(n int64) bool, pipeline bool) error {
	defer opts.track()()
	lopts := layer.Options{Algorithm: algorithmFromName(e.name), Limits: opts.Limits.Layer, Pipeline: pipeline && e.size >= pipelineMinBytes}
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
		if keepable(b) && keep(int64(len(b))) {
			e.data = b
		}
		return nil
	}
	res, err := layer.Compute(ctx, r, lopts)
	if err != nil {
		return err
	}
	e.blob = res
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

// readTar reads a tar stream in one pass, hashing every regular entry as
// it streams by. It is the path for pipes and for archives compressed as a
// whole.
func readTar(ctx context.Context, r io.Reader, opts *Options) (*catalog, error) {
	cat := newCatalog()
	tr := tar.NewReader(r)
	keep := cat.keeper(opts)
	err := walkTar(ctx, tr, cat, opts, func(e *entry, hdr *tar.Header) error {
		// One blob at a time: pipelining is what keeps a second core busy.
		if err := hashEntry(ctx, e, tr, opts, keep, true); err != nil {
			return entryReadError(e.name, err)
		}
		return nil
	})
	return cat.read(err, opts)
}

func (c *catalog) keeper(opts *Options) func(int64) bool {
	var mu sync.Mutex
	return func(n int64) bool {
		mu.Lock()
		defer mu.Unlock()
		if c.retained+n > opts.Limits.MaxMetadataBytes {
			c.overflow = true
			return false
		}
		c.retained += n
		return true
	}
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

// walkTar reads every header of tr into cat and calls body for each
// regular entry whose body the caller wants to read.
func walkTar(ctx context.Context, tr *tar.Reader, cat *catalog, opts *Options, body func(*entry, *tar.Header) error) error {
	last := ""
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			if n == 0 {
				return fmt.Errorf("%w: not an image archive: the tar has no entries", ErrMalformed)
			}
			return nil
		}
		if err != nil {
			if errors.Is(err, ErrLimit) || errors.Is(err, ErrMalformed) || errors.Is(err, context.Canceled) {
				return err // the outer stream already said what is wrong
			}
			if n == 0 {
				return fmt.Errorf("%w: not a tar archive: %v", ErrMalformed, err)
			}
			return fmt.Errorf("%w: after entry %q: archive is truncated or corrupt: %v", ErrMalformed, last, err)
		}
		if n >= opts.Limits.MaxEntries {
			return fmt.Errorf("%w: more than %d entries (the max-entries limit)", ErrLimit, opts.Limits.MaxEntries)
		}
		last = hdr.Name
		name, err := cleanName(hdr.Name)
		if err != nil {
			cat.problem("bad_entry_name", hdr.Name, err, "%v", err)
			continue
		}
		if name == "" {
			continue
		}
		e := &entry{name: name, size: hdr.Size}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			e.kind = kindFile
			if hdr.Size < 0 {
				return fmt.Errorf("%w: entry %q: negative size", ErrMalformed, hdr.Name)
			}
		case tar.TypeSymlink, tar.TypeLink:
			e.kind = kindSymlink
			if hdr.Typeflag == tar.TypeLink {
				e.kind = kindHardlink
			}
			e.link, err = resolveLink(name, hdr.Linkname, e.kind == kindSymlink)
			if err != nil {
				cat.problem("bad_link", name, err, "%v", err)
				e.kind = kindOther
			}
		case tar.TypeDir:
			e.kind = kindDir
		default:
			e.kind = kindOther
		}
		if !cat.add(e) {
			continue
		}
		if e.kind == kindFile {
			if err := body(e, hdr); err != nil {
				return err
			}
		}
	}
}

// blobJob is a regular entry of a seekable archive waiting to be hashed.
type blobJob struct {
	e      *entry
	offset int64
}

// readSeekable indexes a plain tar file in a first pass that seeks past
// entry bodies, then hashes the bodies concurrently, largest first, each
// through its own section reader. Sparse entries, whose bodies are not
// contiguous, are hashed during the first pass.
func readSeekable(ctx context.Context, f *os.File, opts *Options) (*catalog, error) {
	cat := newCatalog()
	tr := tar.NewReader(f)
	keep := cat.keeper(opts)
	var jobs []blobJob
	err := walkTar(ctx, tr, cat, opts, func(e *entry, hdr *tar.Header) error {
		if hdr.Typeflag == tar.TypeGNUSparse || isPAXSparse(hdr) {
			if err := hashEntry(ctx, e, tr, opts, keep, false); err != nil {
				return entryReadError(e.name, err)
			}
			return nil
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		jobs = append(jobs, blobJob{e: e, offset: off})
		return nil
	})
	if err != nil {
		return cat, err
	}
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].e.size > jobs[j].e.size })
	sizes := make([]int64, len(jobs))
	for i, j := range jobs {
		sizes[i] = j.e.size
	}
	pipe := pipelined(sizes, opts.workers())
	// Map the file when the platform allows: uncompressed blobs are then
	// hashed in place, without a copy out of the page cache.
	mapped, unmap := mapFile(f)
	defer unmap()
	err = runJobs(ctx, opts.workers(), len(jobs), func(i int) (err error) {
		j := jobs[i]
		if end := j.offset + j.e.size; mapped != nil && end <= int64(len(mapped)) && inPlace(j.e, mapped[j.offset:end]) {
			if err := hashMapped(ctx, j.e, mapped[j.offset:end], opts, keep); err != nil {
				return entryReadError(j.e.name, err)
			}
			return nil
		}
		sr := io.NewSectionReader(f, j.offset, j.e.size)
		if err := hashEntry(ctx, j.e, &exactReader{r: opts.count(sr), want: j.e.size}, opts, keep, pipe[i]); err != nil {
			return entryReadError(j.e.name, err)
		}
		return nil
	})
	return cat.read(err, opts)
}

// inPlace reports whether an entry is hashed straight from the mapping:
// an uncompressed sha256 blob, where copying out of the page cache is a
// large part of the work. Compressed blobs are read as before: inflating
// costs far more than the copy.
func inPlace(e *entry, b []byte) bool {
	return algorithmFromName(e.name) == "" && layer.Detect(b[:min(4, len(b))]) == layer.None
}

// hashMapped hashes an entry whose bytes are a slice of the mapped
// archive. A file truncated by someone else while it is mapped faults on
// access; the fault becomes an error here, not a crash.
func hashMapped(ctx context.Context, e *entry, b []byte, opts *Options, keep func(int64) bool) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the file changed while it was read (%v)", ErrMalformed, r)
		}
	}()
	defer opts.track()()
	// Pages are dropped from the resident set in 16 MiB steps: often
	// enough to bound memory, rarely enough that madvise costs nothing.
	const dropBytes = 16 << 20
	dropped, done := 0, 0
	onRead := func(n int) {
		if done += n; done-dropped >= dropBytes || done == len(b) {
			dropPages(b[dropped:done])
			dropped = done
		}
		if p := opts.Progress; p != nil {
			p.Bytes.Add(int64(n))
		}
	}
	lopts := layer.Options{Algorithm: algorithmFromName(e.name), Limits: opts.Limits.Layer}
	res, err := layer.ComputeBytes(ctx, b, lopts, onRead)
	if err != nil {
		return err
	}
	e.blob = res
	if int64(len(b)) <= opts.Limits.MaxJSONBytes && keepable(b) && keep(int64(len(b))) {
		e.data = bytes.Clone(b) // the mapping goes away after the read
	}
	return nil
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

func isPAXSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// exactReader turns a short read of a section into io.ErrUnexpectedEOF.
type exactReader struct {
	r    io.Reader
	want int64
	got  int64
}

func (x *exactReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	x.got += int64(n)
	if err == io.EOF && x.got < x.want {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
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

// readDir reads an OCI image layout directory. Everything is opened
// through an os.Root, so no name in the layout can reach outside it; a
// symlink is recorded as such and never followed.
func readDir(ctx context.Context, dir string, opts *Options) (*catalog, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	cat := newCatalog()
	var files []*entry
	n := 0
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %q: %v", ErrMalformed, name, err)
		}
		if name == "." {
			return nil
		}
		if n++; n > opts.Limits.MaxEntries {
			return fmt.Errorf("%w: more than %d files (the max-entries limit)", ErrLimit, opts.Limits.MaxEntries)
		}
		e := &entry{name: name}
		switch t := d.Type(); {
		case t.IsDir():
			e.kind = kindDir
		case t&fs.ModeSymlink != 0:
			e.kind = kindOther
			cat.problem("symlink_in_layout", name, ErrMalformed, "%q is a symlink; tardigest does not follow symlinks in a layout directory", name)
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			e.kind, e.size = kindFile, info.Size()
			files = append(files, e)
		default:
			e.kind = kindOther
		}
		cat.add(e)
		return nil
	})
	if err != nil {
		return cat, err
	}
	if _, ok := cat.entries["index.json"]; !ok {
		return cat, fmt.Errorf("%w: %s: not an OCI image layout (no index.json)", ErrMalformed, dir)
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].size > files[j].size })
	sizes := make([]int64, len(files))
	var total int64
	for i, e := range files {
		sizes[i] = e.size
		total += e.size
	}
	if opts.Progress != nil {
		opts.Progress.Total.Store(total)
	}
	keep := cat.keeper(opts)
	pipe := pipelined(sizes, opts.workers())
	err = runJobs(ctx, opts.workers(), len(files), func(i int) error {
		e := files[i]
		f, err := root.Open(e.name)
		if err != nil {
			return fmt.Errorf("open %q: %w", e.name, err)
		}
		defer f.Close()
		if err := hashEntry(ctx, e, &exactReader{r: opts.count(f), want: e.size}, opts, keep, pipe[i]); err != nil {
			return entryReadError(e.name, err)
		}
		return nil
	})
	return cat.read(err, opts)
}

// outerReader detects whole-archive compression from the first bytes and
// returns the tar stream, the container name and a closer. The stream of
// a compressed archive is bounded like a layer's (size and expansion
// ratio) and its errors carry a class.
func outerReader(r io.Reader, limits Limits) (io.Reader, string, func(), error) {
	in := &byteCounter{r: r}
	br := bufio.NewReaderSize(in, 1<<20)
	magic, _ := br.Peek(4)
	comp := layer.Detect(magic)
	var dec io.Reader
	closer := func() {}
	switch comp {
	case layer.Gzip:
		zr, err := layer.NewGzipReader(br)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%w: archive: gzip: %v", ErrMalformed, err)
		}
		dec, closer = zr, func() { zr.Close() }
	case layer.Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(limits.Layer.MaxZstdWindowBytes),
			zstd.WithDecoderMaxMemory(limits.Layer.MaxZstdWindowBytes))
		if err != nil {
			return nil, "", nil, fmt.Errorf("%w: archive: zstd: %v", ErrMalformed, err)
		}
		dec, closer = zr, zr.Close
	default:
		return br, "tar", closer, nil
	}
	return &outerStream{r: dec, in: in, comp: comp, lim: limits.Layer}, "tar+" + string(comp), closer, nil
}

// byteCounter counts the bytes read through it.
type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// outerStream is the decompressed stream of an archive compressed as a
// whole. It enforces the layer limits on the archive and gives every
// decoder error a class, so a damaged archive is "malformed" and a bomb a
// "limit", wherever in the tar the damage falls.
type outerStream struct {
	r    io.Reader
	in   *byteCounter
	comp layer.Compression
	lim  layer.Limits
	out  int64
	err  error
}

func (o *outerStream) Read(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.r.Read(p)
	o.out += int64(n)
	if lerr := o.lim.CheckExpansion(o.comp, o.out, o.in.n); lerr != nil {
		o.err = fmt.Errorf("archive: %w", lerr)
		return n, o.err
	}
	switch {
	case err == nil || err == io.EOF:
		return n, err
	case errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded):
		err = fmt.Errorf("%w: archive: zstd: %v (the max-zstd-window-bytes limit)", ErrLimit, err)
	case errors.Is(err, context.Canceled) || errors.Is(err, ErrMalformed):
	default:
		err = fmt.Errorf("%w: archive: %s stream is corrupt: %v", ErrMalformed, o.comp, err)
	}
	o.err = err
	return n, err
}
