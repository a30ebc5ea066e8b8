package layer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "crypto/sha512" // registers sha512: digest.SHA512.Available()
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/internal/count"
)

// Compression is the compression of a blob, detected from its first bytes.
type Compression string

// The compressions tardigest recognises: those docker load decompresses.
const (
	None  Compression = "none"
	Gzip  Compression = "gzip"
	Zstd  Compression = "zstd"
	Bzip2 Compression = "bzip2"
	Xz    Compression = "xz"
)

// MagicLen is the number of first bytes Detect needs to tell every
// compression (xz's magic is six bytes long).
const MagicLen = 6

var (
	// ErrCorrupt is the class of a compressed stream that does not decode:
	// bad header, bad checksum, truncation or trailing garbage.
	ErrCorrupt = errors.New("corrupt compressed stream")
	// ErrLimit is the class of a blob that exceeds one of its Limits.
	ErrLimit = errors.New("limit exceeded")
	// ErrUnsupported is the class of a digest algorithm tardigest cannot
	// compute, and of a valid compressed stream it cannot decode (an xz
	// filter other than LZMA2, an xz integrity check xz itself does not
	// verify).
	ErrUnsupported = errors.New("unsupported")
)

// Options tune Compute. The zero value computes sha256 with default limits.
type Options struct {
	// Algorithm of Digest; sha256 when empty. DiffID is always sha256.
	Algorithm digest.Algorithm
	// Limits bounds decompression.
	Limits Limits
	// Pipeline spreads the work on one compressed blob over three
	// goroutines (read and stored digest, decompression, diffID), so a
	// single large blob uses more than one core. Leave it off when other
	// blobs keep the cores busy: it costs a little CPU. An uncompressed
	// blob is not read ahead (its one hash runs as it is read); only
	// Content, if set, goes on a goroutine of its own.
	Pipeline bool
	// Budget, if not nil, is the archive's: Compute charges it too (see
	// Budget), so the expansion ratio holds for the archive as a whole.
	Budget *Budget
	// Content, if not nil, is given every byte the DiffID is computed
	// from, in order, in chunks of any size: the decompressed stream, or
	// for an uncompressed blob the blob itself. A tar reader placed here
	// (such as layer/tree's Walker) reads the layer's files in the same
	// pass. Write must not keep the slice; its errors are ignored. In
	// pipelined mode it runs on a goroutine of its own, beside the
	// diffID hash's.
	Content io.Writer
}

// Result holds the identities of one blob.
type Result struct {
	// Digest is the digest of the bytes exactly as stored (for a layer,
	// the compressed blob digest a registry manifest names).
	Digest digest.Digest
	// Size is the number of stored bytes.
	Size int64
	// Compression is what the first bytes say.
	Compression Compression
	// DiffID is the sha256 of the decompressed stream, every byte of it;
	// equal to Digest for an uncompressed sha256 blob. Empty when
	// DiffIDErr is set.
	DiffID digest.Digest
	// UncompressedSize is the number of decompressed bytes.
	UncompressedSize int64
	// DiffIDErr says why DiffID could not be computed; it matches
	// ErrCorrupt, ErrLimit or ErrUnsupported. The stored Digest is still
	// valid.
	DiffIDErr error
}

// Detect returns the compression announced by the first bytes of a blob
// (MagicLen of them are enough), as docker load detects it: gzip needs its
// two magic bytes and the deflate method byte, zstd its four-byte frame
// magic (or a skippable frame's), xz its six-byte stream magic, bzip2
// "BZh". Anything else is None. For bzip2, as for docker, the block-size
// digit that follows is not part of the magic: a blob starting "BZh" and
// then anything but 1 to 9 is a corrupt bzip2 stream, which docker load
// refuses, not a tar.
func Detect(magic []byte) Compression {
	switch {
	case len(magic) >= 3 && magic[0] == 0x1f && magic[1] == 0x8b && magic[2] == 0x08:
		return Gzip
	case len(magic) >= 3 && string(magic[:3]) == "BZh":
		return Bzip2
	case len(magic) >= 6 && string(magic[:6]) == "\xfd7zXZ\x00":
		return Xz
	case len(magic) >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		return Zstd
	case len(magic) >= 4 && magic[0]&0xf0 == 0x50 && magic[1] == 0x2a && magic[2] == 0x4d && magic[3] == 0x18:
		// A zstd skippable frame (zstd:chunked puts one first): the stream
		// is zstd if any data frame follows.
		return Zstd
	}
	return None
}

// sideSpan is the span of a mapped blob handed at once to a content
// reader on its own goroutine (ComputeBytes with Pipeline and Content).
// tarball drops a mapping's pages one span behind the hash (its dropLag
// and TestPageDropper): change both together.
const sideSpan = 16 * bufSize

// bufSize is the size of the copy buffers; large enough that per-call
// overhead vanishes against hashing.
const bufSize = 256 << 10

// The pools keep per-blob buffers out of the garbage collector's way: an
// archive of thousands of small entries would otherwise allocate half a
// megabyte for each.
var (
	bufPool    = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufSize) }}
)

// Compute reads r to EOF and returns the identities of its bytes. It
// returns an error only when r cannot be read, ctx is done, or the
// algorithm is not sha256 or sha512 (ErrUnsupported); a blob that does not
// decompress is a Result with DiffIDErr set.
func Compute(ctx context.Context, r io.Reader, opts Options) (Result, error) {
	alg := opts.Algorithm
	if alg == "" {
		alg = digest.SHA256
	}
	if !alg.Available() || (alg != digest.SHA256 && alg != digest.SHA512) {
		return Result{}, fmt.Errorf("%w: digest algorithm %q", ErrUnsupported, alg)
	}
	lim := opts.Limits.withDefaults()

	raw := &source{ctx: ctx, r: r, h: alg.Hash()}
	var ra io.ReadCloser
	in := &count.Reader{R: raw}
	if opts.Pipeline {
		// raw may then be read on ReadAhead's goroutine: read raw.n,
		// raw.err and raw.h only after ra.Close; use in.N and in.Err
		// before.
		in.R, ra = readAheadCompressed(raw)
		defer func() {
			if ra != nil {
				ra.Close()
			}
		}()
	}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(in)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	magic, _ := br.Peek(MagicLen) // a short blob is simply uncompressed
	comp := Detect(magic)
	res := Result{Compression: comp}
	storedByMe := opts.Budget != nil && !opts.Budget.byReader.Load()

	bufp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bufp)
	buf := *bufp

	if comp == None {
		n, diff, err := hashUncompressed(br, buf, alg, opts, storedByMe)
		if err != nil {
			return Result{}, err
		}
		res.UncompressedSize, res.DiffID = n, diff
	} else {
		n, derr := decompress(br, in, comp, lim, opts, storedByMe, buf)
		if in.Err != nil {
			return Result{}, in.Err
		}
		// Anything the decoder left (after a failure) is still part of
		// the blob.
		if _, err := drain(br, buf, nil); err != nil {
			return Result{}, err
		}
		if derr != nil {
			res.DiffIDErr = derr
		} else {
			res.DiffID = n.digest
			res.UncompressedSize = n.size
		}
	}
	if ra != nil {
		ra.Close() // waits for the goroutine: raw is ours again
		ra = nil
	}
	res.Digest = digest.NewDigest(alg, raw.h)
	res.Size = raw.n
	if res.DiffID == "" && res.DiffIDErr == nil {
		res.DiffID = res.Digest
	}
	return res, nil
}

// readAheadCompressed is the input of a pipelined blob: raw read ahead
// on a goroutine of its own (ra, for the caller to Close) when the blob
// is compressed, else raw itself and a nil ra. An uncompressed blob is
// hashed as it is read, on one goroutine whatever is done: reading it
// ahead would overlap nothing and only add 4 MiB of buffers and a copy
// of every byte (3.5% of the CPU samples of a gzipped docker save,
// issue 16). The first MagicLen bytes decide, read before any goroutine
// starts.
func readAheadCompressed(raw *source) (in io.Reader, ra io.ReadCloser) {
	var head [MagicLen]byte
	n, _ := io.ReadFull(raw, head[:]) // an error other than EOF stays in raw.err
	in = io.MultiReader(bytes.NewReader(head[:n]), raw)
	if Detect(head[:n]) == None {
		return in, nil
	}
	ra = ReadAhead(in)
	return ra, ra
}

// hashUncompressed reads the rest of an uncompressed blob. Its DiffID is
// its Digest, which the caller has; diff is set only when the Digest is
// not sha256.
func hashUncompressed(br *bufio.Reader, buf []byte, alg digest.Algorithm, opts Options, storedByMe bool) (int64, digest.Digest, error) {
	var h hash.Hash
	if alg != digest.SHA256 {
		h = sha256.New()
	}
	var (
		n   int64
		err error
	)
	if opts.Pipeline && opts.Content != nil {
		// The content reader goes beside the hash, as Options.Content
		// says; reading ahead would add a copy of every byte.
		bufp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bufp)
		n, err = drainBeside(br, [2][]byte{buf, *bufp}, h, opts.Content)
	} else {
		n, err = drainTo(br, buf, h, opts.Content)
	}
	if err != nil {
		return 0, "", err
	}
	if storedByMe {
		// Stored bytes only lower the archive's ratio: a budget already
		// over its limit does not fail this blob.
		_ = opts.Budget.charge(n, 0, 0)
	}
	var diff digest.Digest
	if h != nil {
		diff = digest.NewDigest(digest.SHA256, h)
	}
	return n, diff, nil
}

// ComputeBytes is Compute for a blob already in memory, such as a slice
// of a memory-mapped file: an uncompressed sha256 blob is hashed in place,
// without copying it through buffers. onRead, if not nil, is called with
// the bytes consumed as hashing goes, for progress.
func ComputeBytes(ctx context.Context, b []byte, opts Options, onRead func(n int)) (Result, error) {
	if (opts.Algorithm != "" && opts.Algorithm != digest.SHA256) || Detect(b) != None {
		res, err := Compute(ctx, bytes.NewReader(b), opts)
		if err == nil && onRead != nil {
			onRead(len(b))
		}
		return res, err
	}
	h := sha256.New()
	var (
		sink io.Writer = h
		side *sidecar
	)
	switch {
	case opts.Content != nil && opts.Pipeline:
		side = newSidecar(opts.Content)
		defer side.close()
	case opts.Content != nil:
		sink = &tee{h: h, w: opts.Content}
	}
	for off := 0; off < len(b); off += bufSize {
		if err := ctx.Err(); err != nil {
			if side != nil && off > 0 {
				side.wait()
			}
			return Result{}, err
		}
		if side != nil && off%sideSpan == 0 {
			// One hand-off per span, not per chunk: the content reader
			// is at most a span behind the hash.
			if off > 0 {
				side.wait()
			}
			side.start(b[off:min(off+sideSpan, len(b))])
		}
		chunk := b[off:min(off+bufSize, len(b))]
		sink.Write(chunk)
		if onRead != nil {
			onRead(len(chunk))
		}
	}
	if side != nil && len(b) > 0 {
		side.wait()
	}
	d := digest.NewDigest(digest.SHA256, h)
	n := int64(len(b))
	if opts.Budget != nil && !opts.Budget.byReader.Load() {
		_ = opts.Budget.charge(n, 0, 0) // as in Compute
	}
	return Result{Digest: d, Size: n, Compression: None, DiffID: d, UncompressedSize: n}, nil
}

// source counts and hashes every byte read from the underlying reader and
// remembers its first error other than EOF, so read failures are told
// apart from decompression failures.
type source struct {
	ctx context.Context
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if n > 0 {
		s.h.Write(p[:n])
		s.n += int64(n)
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// drain reads r to EOF, optionally hashing, and returns the byte count.
func drain(r io.Reader, buf []byte, h hash.Hash) (int64, error) {
	return drainTo(r, buf, h, nil)
}

// drainTo is drain that also gives every byte to content, if not nil.
func drainTo(r io.Reader, buf []byte, h hash.Hash, content io.Writer) (int64, error) {
	var n int64
	for {
		m, err := r.Read(buf)
		if m > 0 {
			n += int64(m)
			if h != nil {
				h.Write(buf[:m])
			}
			if content != nil {
				content.Write(buf[:m])
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

type diffResult struct {
	digest digest.Digest
	size   int64
}

// decompress decodes br, which reads from in, and hashes the output.
// Errors it returns are classed (see Reader); a read failure of the
// underlying source shows in in.Err.
func decompress(br *bufio.Reader, in *count.Reader, comp Compression, lim Limits, opts Options, storedByMe bool, buf []byte) (diffResult, error) {
	zr, err := newReader(br, in, comp, lim, opts.Budget, storedByMe)
	if err != nil {
		return diffResult{}, err
	}
	defer zr.Close()
	var (
		h               = sha256.New()
		sink  io.Writer = h
		async *fanOut
	)
	switch {
	case opts.Pipeline && opts.Content != nil:
		// The hash and the content reader each on a goroutine.
		async = newFanOut(h, opts.Content)
		sink = async
	case opts.Pipeline:
		async = newFanOut(h)
		sink = async
	case opts.Content != nil:
		sink = &tee{h: h, w: opts.Content}
	}
	if async != nil {
		defer func() {
			if async != nil {
				async.finish()
			}
		}()
	}
	var n int64
	for {
		m, err := zr.Read(buf)
		if m > 0 {
			n += int64(m)
			sink.Write(buf[:m])
		}
		if err == io.EOF {
			if async != nil {
				async.finish()
				async = nil
			}
			return diffResult{digest: digest.NewDigest(digest.SHA256, h), size: n}, nil
		}
		if err != nil {
			return diffResult{}, err
		}
	}
}
