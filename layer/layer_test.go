package layer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// The test files of this package deliberately do not import crypto/sha512:
// a program that links package layer does not either (go list -deps), so
// the sha512 cases see what such a program sees. Their expected values are
// known answers computed elsewhere.

// Well-known identities, written out rather than computed.
const (
	// sha256 of no bytes.
	emptySHA256 = digest.Digest("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	// DiffID of the empty tar: 1024 zero bytes (two zero blocks).
	emptyTarDiffID = digest.Digest("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")
	// Digest of the 32-byte gzip of the empty tar written by Go's
	// compress/gzip at the default level (the "empty layer" of BuildKit).
	emptyTarGzipDigest = digest.Digest("sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1")

	// sha512 known answers.
	emptySHA512 = digest.Digest("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
	abcSHA512   = digest.Digest("sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
	// sha512 of emptyTarGzip.
	emptyTarGzipSHA512 = digest.Digest("sha512:5444785a0b8ee97d67ade2c5119177a2d3693595f776080f4aaebcca96804b637a022bebdb443602c2b744ec05cc84e2a322b8b745078cab59c269667630fade")
)

// emptyTarGzip is the blob behind emptyTarGzipDigest.
var emptyTarGzip = []byte{
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x62, 0x18, 0x05, 0xa3, 0x60, 0x14,
	0x8c, 0x58, 0x00, 0x08, 0x00, 0x00, 0xff, 0xff, 0x2e, 0xaf, 0xb5, 0xef, 0x00, 0x04, 0x00, 0x00,
}

var errBoom = errors.New("boom: the disk went away")

// sha256Of is the expected digest of the concatenation of parts, computed
// with crypto/sha256 directly rather than through go-digest.
func sha256Of(parts ...[]byte) digest.Digest {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return digest.Digest("sha256:" + hex.EncodeToString(h.Sum(nil)))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// gzipOf compresses payload with the standard library as one gzip member.
func gzipOf(tb testing.TB, level int, payload []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := zw.Write(payload); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// klauspostGzipOf compresses payload with the gzip writer of the decoder's
// own library, to show that the blob Digest depends on the encoder.
func klauspostGzipOf(tb testing.TB, payload []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := kgzip.NewWriter(&buf)
	if _, err := zw.Write(payload); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// zstdOf compresses payload as one zstd frame (with a content checksum).
func zstdOf(tb testing.TB, payload []byte, opts ...zstd.EOption) []byte {
	tb.Helper()
	zw, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(payload, nil)
}

// skippableFrame writes a zstd skippable frame by hand: the magic
// 0x184D2A50+id little endian, a 4-byte little-endian length, the payload.
func skippableFrame(id byte, payload []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x184D2A50|uint32(id&0x0f))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// zstdRawFrame writes by hand a zstd frame with a Window_Descriptor byte
// (window = 2^(10+wd>>3) * (1 + (wd&7)/8)), no content size, no checksum,
// and one last raw block holding block.
func zstdRawFrame(windowDescriptor byte, block []byte) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, windowDescriptor}
	bh := 1 | uint32(len(block))<<3 // Last_Block, Block_Type raw, Block_Size
	b = append(b, byte(bh), byte(bh>>8), byte(bh>>16))
	return append(b, block...)
}

// zstdSingleSegmentFrame writes by hand a single-segment zstd frame whose
// 4-byte Frame_Content_Size says fcs (and so does its window), followed by
// one last raw block holding block.
func zstdSingleSegmentFrame(fcs uint32, block []byte) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0xa0} // FCS_Field_Size 4, Single_Segment
	b = binary.LittleEndian.AppendUint32(b, fcs)
	bh := 1 | uint32(len(block))<<3
	b = append(b, byte(bh), byte(bh>>8), byte(bh>>16))
	return append(b, block...)
}

// randomBytes returns n incompressible bytes, the same on every run.
func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(b) // never fails
	return b
}

// semiCompressible returns n bytes, the same on every run, that compress
// about 1.8 to one (gzip -6 and zstd alike): words from a small vocabulary
// mixed with random runs, like a layer of text files and binaries.
func semiCompressible(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x7a7d16e5))
	vocab := make([][]byte, 512)
	for i := range vocab {
		w := make([]byte, 3+r.IntN(9))
		for j := range w {
			w[j] = 'a' + byte(r.IntN(26))
		}
		vocab[i] = w
	}
	out := make([]byte, 0, n+64)
	for len(out) < n {
		switch x := r.IntN(16); {
		case x < 12:
			out = append(out, vocab[r.IntN(len(vocab))]...)
			out = append(out, " \n\t/"[r.IntN(4)])
		default:
			for range 4 + r.IntN(12) {
				out = append(out, byte(r.Uint32()))
			}
		}
	}
	return out[:n]
}

var (
	emptyTar = make([]byte, 1024)
	random3M = sync.OnceValue(func() []byte { return randomBytes(3<<20, 1) })
	text256K = sync.OnceValue(func() []byte { return semiCompressible(256<<10, 2) })
)

// flip returns a copy of b with the byte at i (from the end when negative)
// inverted.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	if i < 0 {
		i += len(c)
	}
	c[i] ^= 0xff
	return c
}

// modes are the ways Compute can run; every Compute test runs in each.
var modes = []struct {
	name     string
	pipeline bool
}{{"serial", false}, {"pipeline", true}}

type computeCase struct {
	name string
	in   []byte
	opts layer.Options
	// want is the whole expected Result except DiffIDErr, which must match
	// wantDiffIDErr with errors.Is (nil: no error).
	want          layer.Result
	wantDiffIDErr error
}

// decodes is a case whose blob decodes to payload.
func decodes(name string, in []byte, comp layer.Compression, payload []byte) computeCase {
	return computeCase{name: name, in: in, want: layer.Result{
		Digest: sha256Of(in), Size: int64(len(in)), Compression: comp,
		DiffID: sha256Of(payload), UncompressedSize: int64(len(payload)),
	}}
}

// fails is a case whose blob does not decode; it still has a Digest.
func fails(name string, in []byte, comp layer.Compression, class error) computeCase {
	return computeCase{name: name, in: in, wantDiffIDErr: class, want: layer.Result{
		Digest: sha256Of(in), Size: int64(len(in)), Compression: comp,
	}}
}

func (c computeCase) with(lim layer.Limits) computeCase {
	c.opts.Limits = lim
	return c
}

func computeCases(t *testing.T) []computeCase {
	t.Helper()
	text := text256K()
	a, b := text[:100<<10], text[100<<10:]
	gz := gzipOf(t, gzip.DefaultCompression, text)
	zs := zstdOf(t, text)
	text1M := semiCompressible(1<<20, 3)
	gz1M := gzipOf(t, gzip.DefaultCompression, text1M)
	zs1M := zstdOf(t, text1M)
	x := []byte("x")
	return []computeCase{
		{name: "empty blob", in: nil, want: layer.Result{
			Digest: emptySHA256, Size: 0, Compression: layer.None, DiffID: emptySHA256, UncompressedSize: 0,
		}},
		{name: "empty tar", in: emptyTar, want: layer.Result{
			Digest: emptyTarDiffID, Size: 1024, Compression: layer.None, DiffID: emptyTarDiffID, UncompressedSize: 1024,
		}},
		{name: "gzip of empty tar by compress/gzip", in: gzipOf(t, gzip.DefaultCompression, emptyTar), want: layer.Result{
			Digest: emptyTarGzipDigest, Size: 32, Compression: layer.Gzip, DiffID: emptyTarDiffID, UncompressedSize: 1024,
		}},
		// klauspost's writer makes different bytes (29 of them), so another
		// Digest, but the same DiffID.
		decodes("gzip of empty tar by klauspost", klauspostGzipOf(t, emptyTar), layer.Gzip, emptyTar),
		decodes("uncompressed random 3 MiB", random3M(), layer.None, random3M()),
		decodes("gzip one member", gz, layer.Gzip, text),
		decodes("gzip best speed", gzipOf(t, gzip.BestSpeed, text), layer.Gzip, text),
		decodes("gzip stored blocks", gzipOf(t, gzip.NoCompression, text), layer.Gzip, text),
		decodes("gzip two members", cat(gzipOf(t, gzip.DefaultCompression, a), gzipOf(t, gzip.BestSpeed, b)), layer.Gzip, text),
		decodes("gzip empty member first", cat(gzipOf(t, gzip.DefaultCompression, nil), gz), layer.Gzip, text),
		decodes("zstd", zs, layer.Zstd, text),
		decodes("zstd fastest", zstdOf(t, text, zstd.WithEncoderLevel(zstd.SpeedFastest)), layer.Zstd, text),
		decodes("zstd two frames", cat(zstdOf(t, a), zstdOf(t, b)), layer.Zstd, text),
		decodes("zstd leading skippable frame", cat(skippableFrame(0, []byte("zstd:chunked manifest")), zs), layer.Zstd, text),
		decodes("zstd skippable frame in the middle", cat(zstdOf(t, a), skippableFrame(0x0f, randomBytes(100, 3)), zstdOf(t, b)), layer.Zstd, text),
		decodes("zstd trailing skippable frame", cat(zs, skippableFrame(7, nil)), layer.Zstd, text),
		decodes("zstd skippable frame only", skippableFrame(3, []byte("no data frame")), layer.Zstd, nil),
		decodes("zstd hand-made raw block", zstdRawFrame(0x00, x), layer.Zstd, x),

		fails("gzip bad crc", flip(gz, -8), layer.Gzip, layer.ErrCorrupt),
		fails("gzip bad isize", flip(gz, -1), layer.Gzip, layer.ErrCorrupt),
		fails("gzip bad crc in second member", cat(gzipOf(t, 6, a), flip(gzipOf(t, 6, b), -8)), layer.Gzip, layer.ErrCorrupt),
		fails("gzip truncated in trailer", gz[:len(gz)-4], layer.Gzip, layer.ErrCorrupt),
		fails("gzip truncated in deflate data", gz[:len(gz)/2], layer.Gzip, layer.ErrCorrupt),
		fails("gzip header only", gz[:10], layer.Gzip, layer.ErrCorrupt),
		fails("gzip magic only", gz[:3], layer.Gzip, layer.ErrCorrupt),
		fails("gzip magic and flags only", gz[:4], layer.Gzip, layer.ErrCorrupt),
		fails("gzip trailing garbage", cat(gz, []byte("garbage!")), layer.Gzip, layer.ErrCorrupt),
		// Decided: zero padding after the last member is not a member
		// header, so it is garbage (compress/gzip agrees; GNU gzip warns
		// and ignores it). The Digest still covers it.
		fails("gzip trailing 1024 zero bytes", cat(gz, make([]byte, 1024)), layer.Gzip, layer.ErrCorrupt),
		fails("gzip trailing one zero byte", cat(gz, []byte{0}), layer.Gzip, layer.ErrCorrupt),
		fails("zstd bad checksum", flip(zs, -1), layer.Zstd, layer.ErrCorrupt),
		fails("zstd truncated", zs[:len(zs)/2], layer.Zstd, layer.ErrCorrupt),
		fails("zstd magic only", zs[:4], layer.Zstd, layer.ErrCorrupt),
		fails("zstd trailing garbage", cat(zs, []byte("garbage!")), layer.Zstd, layer.ErrCorrupt),
		fails("zstd trailing zero bytes", cat(zs, make([]byte, 1024)), layer.Zstd, layer.ErrCorrupt),
		fails("zstd truncated skippable frame", skippableFrame(0, []byte("short"))[:10], layer.Zstd, layer.ErrCorrupt),
		// A block may not be larger than the frame's window (RFC 8878
		// 3.1.1.2.3): that is a corrupt frame, not one over our limit, whose
		// 1 KiB window is far below it.
		fails("zstd raw block larger than its window", zstdRawFrame(0x00, randomBytes(2000, 4)), layer.Zstd, layer.ErrCorrupt),

		// Limits, at the limit and one past it.
		decodes("zstd window at MaxZstdWindowBytes", zstdRawFrame(0x50, x), layer.Zstd, x).
			with(layer.Limits{MaxZstdWindowBytes: 1 << 20}),
		fails("zstd window over MaxZstdWindowBytes", zstdRawFrame(0x58, x), layer.Zstd, layer.ErrLimit).
			with(layer.Limits{MaxZstdWindowBytes: 1 << 20}),
		decodes("gzip at MaxUncompressedBytes", gz1M, layer.Gzip, text1M).
			with(layer.Limits{MaxUncompressedBytes: 1 << 20}),
		fails("gzip one byte over MaxUncompressedBytes", gz1M, layer.Gzip, layer.ErrLimit).
			with(layer.Limits{MaxUncompressedBytes: 1<<20 - 1}),
		decodes("zstd at MaxUncompressedBytes", zs1M, layer.Zstd, text1M).
			with(layer.Limits{MaxUncompressedBytes: 1 << 20}),
		fails("zstd one byte over MaxUncompressedBytes", zs1M, layer.Zstd, layer.ErrLimit).
			with(layer.Limits{MaxUncompressedBytes: 1<<20 - 1}),
		// Limits bound decompression; an uncompressed blob is only hashed.
		decodes("uncompressed blob over MaxUncompressedBytes", random3M(), layer.None, random3M()).
			with(layer.Limits{MaxUncompressedBytes: 1 << 20}),
		decodes("expansion ratio not enforced below RatioFloorBytes", gzipOf(t, gzip.BestSpeed, make([]byte, 4<<20)), layer.Gzip, make([]byte, 4<<20)).
			with(layer.Limits{MaxExpansionRatio: 2}),

		// Digest algorithm: Digest follows it, DiffID is always sha256.
		{name: "sha512 empty blob", in: nil, opts: layer.Options{Algorithm: digest.SHA512}, want: layer.Result{
			Digest: emptySHA512, Size: 0, Compression: layer.None, DiffID: emptySHA256, UncompressedSize: 0,
		}},
		{name: "sha512 uncompressed", in: []byte("abc"), opts: layer.Options{Algorithm: digest.SHA512}, want: layer.Result{
			Digest: abcSHA512, Size: 3, Compression: layer.None, DiffID: sha256Of([]byte("abc")), UncompressedSize: 3,
		}},
		{name: "sha512 gzip", in: emptyTarGzip, opts: layer.Options{Algorithm: digest.SHA512}, want: layer.Result{
			Digest: emptyTarGzipSHA512, Size: 32, Compression: layer.Gzip, DiffID: emptyTarDiffID, UncompressedSize: 1024,
		}},
		{name: "explicit sha256", in: emptyTarGzip, opts: layer.Options{Algorithm: digest.SHA256}, want: layer.Result{
			Digest: emptyTarGzipDigest, Size: 32, Compression: layer.Gzip, DiffID: emptyTarDiffID, UncompressedSize: 1024,
		}},

		// Short blobs and near-magic.
		decodes("two bytes of gzip magic", []byte{0x1f, 0x8b}, layer.None, []byte{0x1f, 0x8b}),
		decodes("gzip magic with method 7", []byte{0x1f, 0x8b, 0x07, 0x00, 0x00}, layer.None, []byte{0x1f, 0x8b, 0x07, 0x00, 0x00}),
		decodes("three bytes of zstd magic", []byte{0x28, 0xb5, 0x2f}, layer.None, []byte{0x28, 0xb5, 0x2f}),
	}
}

// checkResult compares a Result with what a case wants.
func checkResult(t *testing.T, got, want layer.Result, wantDiffIDErr error) {
	t.Helper()
	switch {
	case wantDiffIDErr == nil && got.DiffIDErr != nil:
		t.Errorf("DiffIDErr = %v, want nil", got.DiffIDErr)
	case wantDiffIDErr != nil && !errors.Is(got.DiffIDErr, wantDiffIDErr):
		t.Errorf("DiffIDErr = %v, want errors.Is %v", got.DiffIDErr, wantDiffIDErr)
	}
	got.DiffIDErr = nil
	if got != want {
		t.Errorf("Compute:\n got %+v\nwant %+v", got, want)
	}
}

func TestCompute(t *testing.T) {
	t.Parallel()
	runComputeCases(t, computeCases(t))
}

// runComputeCases runs each case in each mode, in parallel.
func runComputeCases(t *testing.T, cases []computeCase) {
	t.Helper()
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					r := bytes.NewReader(tc.in)
					opts := tc.opts
					opts.Pipeline = mode.pipeline
					content := &contentSink{h: sha256.New()}
					opts.Content = content
					got, err := layer.Compute(context.Background(), r, opts)
					if err != nil {
						t.Fatalf("Compute: %v", err)
					}
					checkResult(t, got, tc.want, tc.wantDiffIDErr)
					if r.Len() != 0 {
						t.Errorf("Compute left %d bytes unread", r.Len())
					}
					content.check(t, got)
				})
			}
		})
	}
}

// contentSink is an Options.Content that hashes and counts what it is
// given, to compare with the DiffID.
type contentSink struct {
	h hash.Hash
	n int64
}

func (c *contentSink) Write(p []byte) (int, error) {
	c.h.Write(p)
	c.n += int64(len(p))
	return len(p), nil
}

// check compares what Content was given with the DiffID of a blob that
// decoded: the same bytes, in the same order.
func (c *contentSink) check(t *testing.T, got layer.Result) {
	t.Helper()
	if got.DiffIDErr != nil {
		if c.n > got.UncompressedSize && got.UncompressedSize > 0 {
			t.Errorf("Content was given %d bytes, more than the %d decoded", c.n, got.UncompressedSize)
		}
		return
	}
	if d := digest.NewDigest(digest.SHA256, c.h); c.n != got.UncompressedSize || d != got.DiffID {
		t.Errorf("Content was given %d bytes hashing to %s; DiffID %s of %d bytes", c.n, d, got.DiffID, got.UncompressedSize)
	}
}

// zerosDiffID is the DiffID of 200 MiB of zeros (head -c 200M /dev/zero | sha256sum).
const zerosDiffID = digest.Digest("sha256:72abf2ca8f36943ebe2e49ca3a51d409ca5f0bfcffab6c9d25643c17c32889da")

// zeroBombs are 200 MiB of zeros as one gzip member (about 200 KiB, a
// ratio of about 1030, gzip's maximum) and as one zstd frame (about 22 KiB,
// a ratio of about 9400), written from a 1 MiB buffer; and the sha256 of
// those zeros, as a check on zerosDiffID.
var zeroBombs = sync.OnceValues(func() (map[layer.Compression][]byte, digest.Digest) {
	zeros := make([]byte, 1<<20)
	var gz, zs bytes.Buffer
	gw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		panic(err)
	}
	zw, err := zstd.NewWriter(&zs)
	if err != nil {
		panic(err)
	}
	h := sha256.New()
	for range 200 {
		gw.Write(zeros) // a bytes.Buffer does not fail
		zw.Write(zeros)
		h.Write(zeros)
	}
	if err := errors.Join(gw.Close(), zw.Close()); err != nil {
		panic(err)
	}
	bombs := map[layer.Compression][]byte{layer.Gzip: gz.Bytes(), layer.Zstd: zs.Bytes()}
	return bombs, digest.Digest("sha256:" + hex.EncodeToString(h.Sum(nil)))
})

// zstdRLEFrame writes by hand a zstd frame with an 8 MiB window holding
// blocks RLE blocks of 128 KiB (the largest a block may be) of byte b: four
// bytes per block, a ratio of 32768, which is what zstd(1) writes for a
// run of zeros (200 MiB of zeros: 6590 bytes with zstd 1.5 at level 3).
func zstdRLEFrame(blocks int, b byte) []byte {
	out := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x68}
	for i := range blocks {
		bh := uint32(1)<<1 | 128<<10<<3 // Block_Type RLE, Block_Size 128 KiB
		if i == blocks-1 {
			bh |= 1 // Last_Block
		}
		out = append(out, byte(bh), byte(bh>>8), byte(bh>>16), b)
	}
	return out
}

// lateRead is 66 MiB of zeros in one gzip member followed by 6 MiB of
// random bytes in a stored one: the expansion ratio is checked (past
// RatioFloorBytes) while more than a read-ahead's worth of the blob is
// still unread. Its DiffID comes second.
var lateRead = sync.OnceValues(func() ([]byte, digest.Digest) {
	zeros, random := make([]byte, 66<<20), randomBytes(6<<20, 9)
	var buf bytes.Buffer
	for _, m := range []struct {
		level   int
		payload []byte
	}{{gzip.BestSpeed, zeros}, {gzip.NoCompression, random}} {
		zw, err := gzip.NewWriterLevel(&buf, m.level)
		if err != nil {
			panic(err)
		}
		zw.Write(m.payload) // a bytes.Buffer does not fail
		if err := zw.Close(); err != nil {
			panic(err)
		}
	}
	return buf.Bytes(), sha256Of(zeros, random)
})

func TestComputeDecompressionBomb(t *testing.T) {
	t.Parallel()
	bombs, sum := zeroBombs()
	if sum != zerosDiffID {
		t.Fatalf("sha256 of 200 MiB of zeros = %s, want %s", sum, zerosDiffID)
	}
	rle := zstdRLEFrame(1600, 0) // 200 MiB
	tests := []struct {
		name          string
		comp          layer.Compression
		in            []byte // bombs[comp] when nil
		lim           layer.Limits
		wantDiffIDErr error
		// pipelined too; the others run serially only, to save time.
		pipelined bool
	}{
		{"gzip, default limits", layer.Gzip, nil, layer.Limits{}, nil, false},
		{"gzip, MaxUncompressedBytes 100 MiB", layer.Gzip, nil, layer.Limits{MaxUncompressedBytes: 100 << 20}, layer.ErrLimit, false},
		{"gzip, MaxExpansionRatio 10", layer.Gzip, nil, layer.Limits{MaxExpansionRatio: 10}, layer.ErrLimit, true},
		// zstd compresses runs of zeros (sparse files such as a big
		// /var/log/lastlog) far more than gzip's 1032 times: 9400 times
		// here. The default ratio refuses it past RatioFloorBytes of work
		// (a zstd byte counts 2).
		{"zstd, default limits", layer.Zstd, nil, layer.Limits{}, layer.ErrLimit, false},
		{"zstd, MaxExpansionRatio 20000", layer.Zstd, nil, layer.Limits{MaxExpansionRatio: 20000}, nil, false},
		{"zstd, MaxUncompressedBytes 100 MiB", layer.Zstd, nil, layer.Limits{MaxUncompressedBytes: 100 << 20}, layer.ErrLimit, true},
		{"zstd, MaxExpansionRatio 10", layer.Zstd, nil, layer.Limits{MaxExpansionRatio: 10}, layer.ErrLimit, false},
		{"zstd RLE blocks as zstd(1) writes them, default limits", layer.Zstd, rle, layer.Limits{}, layer.ErrLimit, false},
		{"zstd RLE blocks, MaxExpansionRatio 70000", layer.Zstd, rle, layer.Limits{MaxExpansionRatio: 70000}, nil, false},
		{"zstd RLE blocks, MaxUncompressedBytes 100 MiB", layer.Zstd, rle, layer.Limits{MaxUncompressedBytes: 100 << 20}, layer.ErrLimit, false},
	}
	for _, mode := range modes {
		for _, tc := range tests {
			if mode.pipeline && !tc.pipelined {
				continue
			}
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				in := tc.in
				if in == nil {
					in = bombs[tc.comp]
				}
				got, err := layer.Compute(context.Background(), bytes.NewReader(in), layer.Options{Limits: tc.lim, Pipeline: mode.pipeline})
				if err != nil {
					t.Fatalf("Compute: %v", err)
				}
				want := layer.Result{Digest: sha256Of(in), Size: int64(len(in)), Compression: tc.comp}
				if tc.wantDiffIDErr == nil {
					want.DiffID, want.UncompressedSize = zerosDiffID, 200<<20
				}
				checkResult(t, got, want, tc.wantDiffIDErr)
			})
		}
		t.Run(mode.name+"/ratio checked while the blob is still being read", func(t *testing.T) {
			t.Parallel()
			in, diffID := lateRead()
			got, err := layer.Compute(context.Background(), bytes.NewReader(in), layer.Options{Pipeline: mode.pipeline})
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			want := layer.Result{Digest: sha256Of(in), Size: int64(len(in)), Compression: layer.Gzip, DiffID: diffID, UncompressedSize: 72 << 20}
			checkResult(t, got, want, nil)
		})
	}
}

// TestComputeZstdHugeWindow feeds frames that ask for a 1 GiB window or
// more and checks they are refused without the memory. It is not parallel:
// the sequential tests run before any parallel one resumes, so TotalAlloc
// counts this test alone.
func TestComputeZstdHugeWindow(t *testing.T) {
	const maxAlloc = 200 << 20
	x := []byte("x")
	tests := []struct {
		name string
		in   []byte
	}{
		{"window descriptor 1 GiB", zstdRawFrame(0xa0, x)},
		{"window descriptor 3.75 TiB", zstdRawFrame(0xff, x)},
		{"single segment, content size 1 GiB", zstdSingleSegmentFrame(1<<30, x)},
		{"skippable frame, then window 1 GiB", cat(skippableFrame(0, nil), zstdRawFrame(0xa0, x))},
		{"second frame asks for 1 GiB", cat(zstdRawFrame(0x00, x), zstdRawFrame(0xa0, x))},
		{"third frame, single segment, content size 1 GiB", cat(zstdRawFrame(0x00, x), skippableFrame(1, x), zstdRawFrame(0x00, x), zstdSingleSegmentFrame(1<<30, x))},
		{"xz block asks for a 4 GiB dictionary", xzStream(xzCheckCRC64, xzBlockSpec{data: x, dictProp: 40})},
		{"second xz stream asks for 1 GiB", cat(xzStream(xzCheckNone, xzBlockSpec{data: x}), xzStream(xzCheckNone, xzBlockSpec{data: x, dictProp: 36}))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got, err := layer.Compute(context.Background(), bytes.NewReader(tc.in), layer.Options{})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			// Whichever frame asks, it is over a limit, not corrupt.
			if !errors.Is(got.DiffIDErr, layer.ErrLimit) || !strings.Contains(got.DiffIDErr.Error(), "max-window-bytes") {
				t.Errorf("DiffIDErr = %v, want ErrLimit naming max-window-bytes", got.DiffIDErr)
			}
			if got.DiffID != "" || got.Digest != sha256Of(tc.in) || got.Size != int64(len(tc.in)) {
				t.Errorf("Compute = %+v, want no DiffID, Digest %s, Size %d", got, sha256Of(tc.in), len(tc.in))
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > maxAlloc {
				t.Errorf("Compute allocated %d MiB, want at most %d MiB", d>>20, maxAlloc>>20)
			}
		})
	}
}

// failingReader hands out its bytes in chunks, then fails with err instead
// of io.EOF; with together set, the last chunk comes with the error.
type failingReader struct {
	r        *bytes.Reader
	chunk    int
	err      error
	together bool
}

func (f *failingReader) Read(p []byte) (int, error) {
	p = p[:min(len(p), f.chunk)]
	n, _ := f.r.Read(p)
	if f.r.Len() == 0 && (n == 0 || f.together) {
		return n, f.err
	}
	return n, nil
}

func TestComputeReadError(t *testing.T) {
	t.Parallel()
	big := random3M()
	gz := gzipOf(t, gzip.BestSpeed, big) // incompressible: about 3 MiB stored
	zs := zstdOf(t, big)
	tests := []struct {
		name     string
		in       []byte
		together bool
	}{
		{"uncompressed, at once", nil, false},
		{"uncompressed, inside the magic", big[:2], false},
		{"uncompressed, midway", big[:1<<20], false},
		{"uncompressed, with the last bytes", big[:1<<20], true},
		{"uncompressed, instead of EOF", big, false},
		{"gzip, inside the header", gz[:6], false},
		{"gzip, midway", gz[:len(gz)/2], false},
		{"gzip, midway with the last bytes", gz[:len(gz)/2], true},
		{"gzip, inside the trailer", gz[:len(gz)-3], false},
		{"gzip, instead of EOF", gz, false},
		{"gzip, after trailing garbage", cat(gz, []byte("garbage")), false},
		{"zstd, inside the magic", zs[:3], false},
		{"zstd, midway", zs[:len(zs)/2], false},
		{"zstd, instead of EOF", zs, false},
		{"zstd, inside a skippable frame", skippableFrame(0, make([]byte, 4096))[:1000], false},
		// The decoder fails first; the read error comes later and wins.
		{"gzip corrupt early, then fails late", cat(flip(gzipOf(t, 6, emptyTar), 12), big), false},
	}
	for _, mode := range modes {
		for _, tc := range tests {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				r := &failingReader{r: bytes.NewReader(tc.in), chunk: 64 << 10, err: errBoom, together: tc.together}
				got, err := layer.Compute(context.Background(), r, layer.Options{Pipeline: mode.pipeline})
				if !errors.Is(err, errBoom) {
					t.Errorf("Compute error = %v, want errors.Is %v", err, errBoom)
				}
				if got != (layer.Result{}) {
					t.Errorf("Compute = %+v, want the zero Result", got)
				}
			})
		}
	}
}

// cancellingReader cancels its context once it has handed out some bytes.
type cancellingReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:min(len(p), 64<<10)])
	c.cancel()
	return n, err
}

func TestComputeContext(t *testing.T) {
	t.Parallel()
	big := random3M()
	gz := gzipOf(t, gzip.BestSpeed, big)
	zs := zstdOf(t, big)
	tests := []struct {
		name string
		in   []byte
		// midway cancels after the first read instead of before Compute.
		midway bool
	}{
		{"cancelled before, empty blob", nil, false},
		{"cancelled before, gzip", gz, false},
		{"cancelled midway, uncompressed", big, true},
		{"cancelled midway, gzip", gz, true},
		{"cancelled midway, zstd", zs, true},
	}
	for _, mode := range modes {
		for _, tc := range tests {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var r io.Reader = bytes.NewReader(tc.in)
				if tc.midway {
					r = &cancellingReader{r: r, cancel: cancel}
				} else {
					cancel()
				}
				got, err := layer.Compute(ctx, r, layer.Options{Pipeline: mode.pipeline})
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Compute error = %v, want errors.Is %v", err, context.Canceled)
				}
				if got != (layer.Result{}) {
					t.Errorf("Compute = %+v, want the zero Result", got)
				}
			})
		}
	}
	t.Run("deadline passed", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		got, err := layer.Compute(ctx, bytes.NewReader(emptyTarGzip), layer.Options{})
		if !errors.Is(err, context.DeadlineExceeded) || got != (layer.Result{}) {
			t.Errorf("Compute = %+v, %v; want the zero Result, errors.Is %v", got, err, context.DeadlineExceeded)
		}
	})
}

func TestComputeUnsupportedAlgorithm(t *testing.T) {
	t.Parallel()
	for _, alg := range []digest.Algorithm{"md5", "SHA256", "sha256+b64", "blake3", "sha384"} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			got, err := layer.Compute(context.Background(), bytes.NewReader(emptyTarGzip), layer.Options{Algorithm: alg})
			if !errors.Is(err, layer.ErrUnsupported) {
				t.Errorf("Compute error = %v, want errors.Is %v", err, layer.ErrUnsupported)
			}
			if got != (layer.Result{}) {
				t.Errorf("Compute = %+v, want the zero Result", got)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		magic []byte
		want  layer.Compression
	}{
		{"nil", nil, layer.None},
		{"empty", []byte{}, layer.None},
		{"gzip, 1 byte", []byte{0x1f}, layer.None},
		{"gzip, 2 bytes", []byte{0x1f, 0x8b}, layer.None},
		// The doc: gzip needs its two magic bytes and the method byte.
		{"gzip, 3 bytes", []byte{0x1f, 0x8b, 0x08}, layer.Gzip},
		{"gzip, 4 bytes", []byte{0x1f, 0x8b, 0x08, 0x00}, layer.Gzip},
		{"gzip, whole header", emptyTarGzip[:10], layer.Gzip},
		{"gzip with method 7", []byte{0x1f, 0x8b, 0x07, 0x00}, layer.None},
		{"zstd, 3 bytes", []byte{0x28, 0xb5, 0x2f}, layer.None},
		{"zstd, 4 bytes", []byte{0x28, 0xb5, 0x2f, 0xfd}, layer.Zstd},
		{"zstd, other last byte", []byte{0x28, 0xb5, 0x2f, 0xfe}, layer.None},
		{"skippable, 3 bytes", []byte{0x50, 0x2a, 0x4d}, layer.None},
		{"below skippable range", []byte{0x4f, 0x2a, 0x4d, 0x18}, layer.None},
		{"above skippable range", []byte{0x60, 0x2a, 0x4d, 0x18}, layer.None},
		{"tar", []byte("ustar\x0000"), layer.None},
		// bzip2 is "BZh", as docker detects it: the block-size digit
		// after it is checked by the decoder, so "BZh0" is a corrupt
		// bzip2 stream, as docker load finds it, not a tar.
		{"bzip2, 2 bytes", []byte("BZ"), layer.None},
		{"bzip2, 3 bytes", []byte("BZh"), layer.Bzip2},
		{"bzip2", []byte("BZh9"), layer.Bzip2},
		{"bzip2, bad digit", []byte("BZh0"), layer.Bzip2},
		{"bzip2, lower case", []byte("bzh9"), layer.None},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, layer.Xz},
		{"xz, 5 bytes", []byte{0xfd, '7', 'z', 'X', 'Z'}, layer.None},
		{"xz, sixth byte wrong", []byte{0xfd, '7', 'z', 'X', 'Z', 0x01}, layer.None},
		{"lzma alone", []byte{0x5d, 0x00, 0x00, 0x80, 0x00, 0xff}, layer.None},
	}
	for id := range byte(16) {
		tests = append(tests, struct {
			name  string
			magic []byte
			want  layer.Compression
		}{"skippable " + hex.EncodeToString([]byte{0x50 | id}), skippableFrame(id, nil), layer.Zstd})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := layer.Detect(tc.magic); got != tc.want {
				t.Errorf("Detect(% x) = %q, want %q", tc.magic, got, tc.want)
			}
		})
	}
}

// TestComputePipelineUncompressedReadsOnce: an uncompressed blob is hashed
// as it is read, so Pipeline must not put it through read-ahead buffers
// (4 MiB of them and a copy of every byte, for no overlap). Measured by
// the bytes Compute allocates; the pools are warmed first.
func TestComputePipelineUncompressedReadsOnce(t *testing.T) {
	blob := randomBytes(16<<20, 3)
	want := digest.FromBytes(blob)
	compute := func() {
		res, err := layer.Compute(context.Background(), bytes.NewReader(blob), layer.Options{Pipeline: true})
		if err != nil || res.Digest != want || res.DiffID != want {
			t.Fatalf("Compute = %+v, %v; want Digest and DiffID %s", res, err, want)
		}
	}
	compute()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	compute()
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("Compute with Pipeline allocated %d bytes for an uncompressed blob, want under 1 MiB (no read-ahead buffers)", n)
	}
}

// TestComputePipelineContentBesideUncompressed: with Pipeline, an
// uncompressed blob's Content runs beside its hash, as Options.Content
// says: the blob is read on while Content is busy with an earlier
// chunk. Before, Content ran on the goroutine that reads, so a busy
// Content held up the read (this test then waits out its deadline).
func TestComputePipelineContentBesideUncompressed(t *testing.T) {
	t.Parallel()
	blob := bytes.Repeat([]byte("uncompressed layer bytes "), 1<<17) // 3.1 MiB
	r := &callCounter{r: bytes.NewReader(blob)}
	content := &blockingContent{reads: &r.calls, h: sha256.New(), t: t}
	got, err := layer.Compute(context.Background(), r, layer.Options{Pipeline: true, Content: content})
	if err != nil {
		t.Fatal(err)
	}
	want := digest.FromBytes(blob)
	if got.Digest != want || got.DiffID != want || digest.NewDigest(digest.SHA256, content.h) != want {
		t.Errorf("Digest %s, DiffID %s, Content saw %s; want %s for all", got.Digest, got.DiffID, digest.NewDigest(digest.SHA256, content.h), want)
	}
	if !content.overlapped {
		t.Error("the blob was not read while Content was busy with its first chunk")
	}
}

// callCounter counts the Read calls on r, at most 64 KiB each.
type callCounter struct {
	r     io.Reader
	calls atomic.Int64
}

func (c *callCounter) Read(p []byte) (int, error) {
	c.calls.Add(1)
	return c.r.Read(p[:min(len(p), 64<<10)])
}

// blockingContent hashes what it is given; its first Write waits (up to
// a deadline that only a hold-up reaches) for another read of the blob.
type blockingContent struct {
	reads      *atomic.Int64
	h          hash.Hash
	t          *testing.T
	started    bool
	overlapped bool
}

func (b *blockingContent) Write(p []byte) (int, error) {
	if !b.started {
		b.started = true
		before := b.reads.Load()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if b.reads.Load() > before {
				b.overlapped = true
				break
			}
		}
	}
	b.h.Write(p)
	return len(p), nil
}
