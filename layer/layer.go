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
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
)

// Compression is the compression of a blob, detected from its first bytes.
type Compression string

// The compressions tardigest recognises.
const (
	None Compression = "none"
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

var (
	// ErrCorrupt is the class of a compressed stream that does not decode:
	// bad header, bad checksum, truncation or trailing garbage.
	ErrCorrupt = errors.New("corrupt compressed stream")
	// ErrLimit is the class of a blob that exceeds one of its Limits.
	ErrLimit = errors.New("limit exceeded")
	// ErrUnsupported is the class of a digest algorithm tardigest cannot
	// compute.
	ErrUnsupported = errors.New("unsupported")
)

// Defaults for Limits. Real images stay below them: the largest layers
// seen in the wild are tens of GB; gzip cannot expand more than about 1032
// times and zstd about 32768 times (run-length blocks of zeros), so the
// default ratio never refuses a valid stream while still bounding the work
// per stored byte. Lower it for untrusted input when time matters.
const (
	DefaultMaxUncompressedBytes int64  = 1 << 40 // 1 TiB
	DefaultMaxExpansionRatio    int64  = 1 << 16
	DefaultMaxZstdWindowBytes   uint64 = 128 << 20 // zstd --long=27, --ultra -22
	// RatioFloorBytes is the uncompressed size below which the expansion
	// ratio is not enforced: tiny blobs (an empty tar compresses 32 times)
	// would otherwise trip it.
	RatioFloorBytes int64 = 64 << 20
)

// Limits bounds the work Compute does on one blob. Zero fields take the
// defaults above.
type Limits struct {
	// MaxUncompressedBytes caps the decompressed size of one blob.
	MaxUncompressedBytes int64
	// MaxExpansionRatio caps decompressed bytes per stored byte, once more
	// than RatioFloorBytes have been decompressed.
	MaxExpansionRatio int64
	// MaxZstdWindowBytes caps the window a zstd frame may ask for, and so
	// the decoder's memory.
	MaxZstdWindowBytes uint64
}

// CheckExpansion returns an ErrLimit error when out decompressed bytes
// from in stored bytes exceed the uncompressed size or the expansion
// ratio. Zero fields take the defaults.
func (l Limits) CheckExpansion(comp Compression, out, in int64) error {
	l = l.withDefaults()
	if out > l.MaxUncompressedBytes {
		return fmt.Errorf("%w: %s: uncompressed size over %d bytes (the max-uncompressed-bytes limit)", ErrLimit, comp, l.MaxUncompressedBytes)
	}
	if out > RatioFloorBytes && out/l.MaxExpansionRatio > in {
		return fmt.Errorf("%w: %s: expands more than %d times (the max-expansion-ratio limit)", ErrLimit, comp, l.MaxExpansionRatio)
	}
	return nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxUncompressedBytes <= 0 {
		l.MaxUncompressedBytes = DefaultMaxUncompressedBytes
	}
	if l.MaxExpansionRatio <= 0 {
		l.MaxExpansionRatio = DefaultMaxExpansionRatio
	}
	if l.MaxZstdWindowBytes == 0 {
		l.MaxZstdWindowBytes = DefaultMaxZstdWindowBytes
	}
	return l
}

// Options tune Compute. The zero value computes sha256 with default limits.
type Options struct {
	// Algorithm of Digest; sha256 when empty. DiffID is always sha256.
	Algorithm digest.Algorithm
	// Limits bounds decompression.
	Limits Limits
	// Pipeline spreads the work on one compressed blob over three
	// goroutines (read and stored digest, decompression, diffID), so a
	// single large blob uses more than one core. Leave it off when other
	// blobs keep the cores busy: it costs a little CPU. It does nothing
	// to an uncompressed blob, whose one hash runs as it is read.
	Pipeline bool
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
	// ErrCorrupt or ErrLimit. The stored Digest is still valid.
	DiffIDErr error
}

// Detect returns the compression announced by the first bytes of a blob:
// gzip needs its two magic bytes and the deflate method byte, zstd its
// four-byte frame magic (or a skippable frame's). Anything else is None.
func Detect(magic []byte) Compression {
	switch {
	case len(magic) >= 3 && magic[0] == 0x1f && magic[1] == 0x8b && magic[2] == 0x08:
		return Gzip
	case len(magic) >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		return Zstd
	case len(magic) >= 4 && magic[0]&0xf0 == 0x50 && magic[1] == 0x2a && magic[2] == 0x4d && magic[3] == 0x18:
		// A zstd skippable frame (zstd:chunked puts one first): the stream
		// is zstd if any data frame follows.
		return Zstd
	}
	return None
}

// GzipInput is what [NewGzipReader] decodes: a *bufio.Reader, or a
// *bytes.Reader over a whole stream in memory, such as a mapped file,
// which the pure-Go decoder reads fastest (no buffer to refill: about a
// tenth less CPU than through a bufio.Reader).
type GzipInput interface {
	io.Reader
	io.ByteReader
}

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
	in := &seen{r: raw}
	if opts.Pipeline {
		// An uncompressed blob is hashed as it is read, on one goroutine
		// whatever we do: reading it ahead would only add a copy of every
		// byte. The first bytes decide, read before any goroutine starts.
		var head [4]byte
		n, _ := io.ReadFull(raw, head[:]) // an error other than EOF stays in raw.err
		in.r = io.MultiReader(bytes.NewReader(head[:n]), raw)
		if Detect(head[:n]) != None {
			// raw is then read on ReadAhead's goroutine: read raw.n,
			// raw.err and raw.h only after ra.Close; use in.n and in.err
			// before.
			ra = ReadAhead(in.r)
			defer func() {
				if ra != nil {
					ra.Close()
				}
			}()
			in.r = ra
		}
	}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(in)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	magic, _ := br.Peek(4) // a short blob is simply uncompressed
	comp := Detect(magic)
	res := Result{Compression: comp}

	bufp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bufp)
	buf := *bufp

	switch comp {
	case None:
		var diff hash.Hash
		if alg != digest.SHA256 {
			diff = sha256.New()
		}
		n, err := drain(br, buf, diff)
		if err != nil {
			return Result{}, err
		}
		res.UncompressedSize = n
		if diff != nil {
			res.DiffID = digest.NewDigest(digest.SHA256, diff)
		}
	default:
		n, derr := decompress(br, comp, in, lim, buf, opts.Pipeline)
		if in.err != nil {
			return Result{}, in.err
		}
		if derr == nil {
			// The decoder stopped at the end of its stream; anything
			// after it must still be hashed as part of the blob, and is
			// garbage to the decompressor.
			extra, err := drain(br, buf, nil)
			if err != nil {
				return Result{}, err
			}
			if extra > 0 {
				derr = fmt.Errorf("%w: %s: %d bytes after the end of the stream", ErrCorrupt, comp, extra)
			}
		} else if _, err := drain(br, buf, nil); err != nil {
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
	for off := 0; off < len(b); off += bufSize {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		end := min(off+bufSize, len(b))
		h.Write(b[off:end])
		if onRead != nil {
			onRead(end - off)
		}
	}
	d := digest.NewDigest(digest.SHA256, h)
	n := int64(len(b))
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
	var n int64
	for {
		m, err := r.Read(buf)
		if m > 0 {
			n += int64(m)
			if h != nil {
				h.Write(buf[:m])
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

// decompress decodes br and hashes the output. Errors it returns are
// ErrCorrupt or ErrLimit; a read failure of the underlying source shows in
// raw.err instead.
func decompress(br *bufio.Reader, comp Compression, raw *seen, lim Limits, buf []byte, pipeline bool) (diffResult, error) {
	var dec io.Reader
	switch comp {
	case Gzip:
		zr, err := NewGzipReader(br)
		if err != nil {
			return diffResult{}, corrupt(comp, err)
		}
		defer zr.Close()
		dec = zr
	case Zstd:
		// The decoder says ErrWindowSizeExceeded both for a frame that
		// asks for a window over the limit and for a block larger than its
		// frame's window (corrupt); tell them apart on the first frame.
		if w := zstdWindow(br); w > lim.MaxZstdWindowBytes {
			return diffResult{}, fmt.Errorf("%w: zstd: frame asks for a %d-byte window, over %d (the max-zstd-window-bytes limit)", ErrLimit, w, lim.MaxZstdWindowBytes)
		}
		zr, err := zstd.NewReader(br,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(lim.MaxZstdWindowBytes),
			zstd.WithDecoderMaxMemory(lim.MaxZstdWindowBytes),
			zstd.WithDecoderLowmem(false))
		if err != nil {
			return diffResult{}, corrupt(comp, err)
		}
		defer zr.Close()
		dec = zr
	}
	var (
		h               = sha256.New()
		sink  io.Writer = h
		async *asyncHash
	)
	if pipeline {
		async = newAsyncHash(h)
		sink = async
		defer func() {
			if async != nil {
				async.finish()
			}
		}()
	}
	var n int64
	for {
		m, err := dec.Read(buf)
		if m > 0 {
			n += int64(m)
			sink.Write(buf[:m])
			if err := lim.CheckExpansion(comp, n, raw.n); err != nil {
				return diffResult{}, err
			}
		}
		if err == io.EOF {
			if async != nil {
				async.finish()
				async = nil
			}
			return diffResult{digest: digest.NewDigest(digest.SHA256, h), size: n}, nil
		}
		if err != nil {
			if raw.err != nil {
				return diffResult{}, raw.err
			}
			if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
				return diffResult{}, fmt.Errorf("%w: zstd: %v (the max-zstd-window-bytes limit)", ErrLimit, err)
			}
			return diffResult{}, corrupt(comp, err)
		}
	}
}

// corrupt wraps a decoder error in ErrCorrupt, naming the compression
// once (klauspost's messages often name it already).
func corrupt(comp Compression, err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, string(comp)+":") {
		msg = string(comp) + ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrCorrupt, msg)
}

// zstdWindow returns the window the first data frame in br's buffer asks
// for (its content size if single-segment), past skippable frames; 0 when
// there is no whole header there.
func zstdWindow(br *bufio.Reader) uint64 {
	buf, _ := br.Peek(bufSize)
	for {
		var h zstd.Header
		rest, err := h.DecodeAndStrip(buf)
		switch {
		case err != nil:
			return 0
		case h.Skippable:
			if uint64(len(rest)) < uint64(h.SkippableSize) {
				return 0
			}
			buf = rest[h.SkippableSize:]
		case h.SingleSegment:
			return h.FrameContentSize
		default:
			return h.WindowSize
		}
	}
}

// seen counts the bytes Compute consumes and keeps the first read error,
// on Compute's goroutine (raw may be read on another).
type seen struct {
	r   io.Reader
	n   int64
	err error
}

func (s *seen) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}
