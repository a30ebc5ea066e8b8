package layer_test

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// fuzzLimits keeps one execution cheap: a mutated bomb stops at 2 MiB, a
// window at 8 MiB.
var fuzzLimits = layer.Limits{MaxUncompressedBytes: 2 << 20, MaxWindowBytes: 8 << 20}

// stdlibCompareBytes bounds the compress/gzip cross-check.
const stdlibCompareBytes = 1 << 20

// fuzzSeeds are small blobs of every shape the unit tests use.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	text := semiCompressible(16<<10, 5)
	a, b := text[:6<<10], text[6<<10:]
	x := []byte("x")
	gz := gzipOf(tb, gzip.DefaultCompression, text)
	zs := zstdOf(tb, text)
	return [][]byte{
		nil,
		emptyTar,
		emptyTarGzip,
		klauspostGzipOf(tb, emptyTar),
		randomBytes(4096, 6),
		gz,
		gzipOf(tb, gzip.NoCompression, text),
		cat(gzipOf(tb, gzip.DefaultCompression, a), gzipOf(tb, gzip.BestSpeed, b)),
		cat(gzipOf(tb, gzip.DefaultCompression, nil), gz),
		zs,
		cat(zstdOf(tb, a), zstdOf(tb, b)),
		cat(skippableFrame(0, []byte("zstd:chunked manifest")), zs),
		cat(zstdOf(tb, a), skippableFrame(0x0f, randomBytes(100, 3)), zstdOf(tb, b)),
		skippableFrame(3, []byte("no data frame")),
		zstdRawFrame(0x00, x),
		zstdRawFrame(0x00, randomBytes(2000, 4)),
		cat(zstdRawFrame(0x00, x), zstdRawFrame(0x58, x)),
		zstdRawFrame(0xa0, x),
		zstdSingleSegmentFrame(1<<30, x),
		flip(gz, -8),
		gz[:len(gz)-4],
		gz[:len(gz)/2],
		cat(gz, []byte("garbage!")),
		cat(gz, make([]byte, 64)),
		flip(zs, -1),
		zs[:len(zs)/2],
		cat(zs, []byte("garbage!")),
		gzipOf(tb, gzip.BestCompression, make([]byte, 3<<20)), // over fuzzLimits
		zstdOf(tb, make([]byte, 3<<20)),
		{0x1f, 0x8b, 0x08},
		{0x28, 0xb5, 0x2f, 0xfd},
		gzipNamed(tb, gzip.Header{Name: strings.Repeat("n", 600), Comment: "c"}, x),
		withHeaderCRC(gzipNamed(tb, gzip.Header{Name: strings.Repeat("n", 600)}, x), 1),
		fixture(tb, "seq.xz"),
		fixture(tb, "seq.T2.xz"),
		fixture(tb, "seq.concat-padded.xz"),
		fixture(tb, "seq.tar.pixz.xz"),
		fixture(tb, "seq.ultra-second.zst"),
		fixture(tb, "seq.pzstd.zst"),
		fixture(tb, "small.bz2"),
		xzStream(xzCheckCRC32, xzBlockSpec{data: text[:100], sizes: true}, xzBlockSpec{data: text[100:300]}),
		xzStream(xzCheckSHA256, xzBlockSpec{data: x, filters: []byte{0x04, 0x00}}),
		cat(xzStream(xzCheckNone), make([]byte, 8), xzStream(xzCheckCRC64, xzBlockSpec{data: x, dictProp: 40})),
		xzMagic(),
		[]byte("BZh9"),
	}
}

// refGunzip decodes in as RFC 1952 says, independently of the code under
// test: member headers are parsed here (names and comments of any length,
// as GNU gzip and pigz read them), deflate data by compress/flate,
// trailers checked here. ok is false when the output is over max bytes
// and so not compared.
func refGunzip(in []byte, max int64) (d digest.Digest, n int64, ok bool, err error) {
	h := sha256.New()
	r := bytes.NewReader(in) // a ByteReader: flate reads no further than its data
	for first := true; first || r.Len() > 0; first = false {
		if err := skipGzipHeader(in, r); err != nil {
			return "", n, true, err
		}
		crc := crc32.NewIEEE()
		m, err := io.Copy(io.MultiWriter(h, crc), io.LimitReader(flate.NewReader(r), max-n+1))
		if n += m; n > max {
			return "", n, false, nil
		}
		if err != nil {
			return "", n, true, err
		}
		var t [8]byte
		if _, err := io.ReadFull(r, t[:]); err != nil {
			return "", n, true, err
		}
		if binary.LittleEndian.Uint32(t[:4]) != crc.Sum32() || binary.LittleEndian.Uint32(t[4:]) != uint32(m) {
			return "", n, true, errors.New("trailer mismatch")
		}
	}
	return digest.Digest("sha256:" + hex.EncodeToString(h.Sum(nil))), n, true, nil
}

// errReservedFlags: GNU gzip and pigz (docker's unpigz) refuse a member
// whose reserved flag bits are set, and so do both builds; compress/gzip
// (docker without unpigz) and Python ignore them.
var errReservedFlags = errors.New("reserved flags set")

// skipGzipHeader reads one member header of in by RFC 1952 section
// 2.3.1; r reads in.
func skipGzipHeader(in []byte, r *bytes.Reader) error {
	start := int(r.Size()) - r.Len()
	var h [10]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return err
	}
	flg := h[3]
	switch {
	case h[0] != 0x1f || h[1] != 0x8b || h[2] != 8:
		return errors.New("bad header")
	case flg&0xe0 != 0:
		return errReservedFlags
	}
	if flg&4 != 0 { // FEXTRA
		var xlen [2]byte
		if _, err := io.ReadFull(r, xlen[:]); err != nil {
			return err
		}
		n := int(binary.LittleEndian.Uint16(xlen[:]))
		if n > r.Len() {
			return errors.New("short extra field")
		}
		r.Seek(int64(n), io.SeekCurrent)
	}
	for _, bit := range []byte{8, 16} { // FNAME, FCOMMENT
		if flg&bit == 0 {
			continue
		}
		for {
			c, err := r.ReadByte()
			if err != nil {
				return err
			}
			if c == 0 {
				break
			}
		}
	}
	if flg&2 != 0 { // FHCRC: the low 16 bits of the CRC-32 of the header so far
		end := int(r.Size()) - r.Len()
		var c [2]byte
		if _, err := io.ReadFull(r, c[:]); err != nil {
			return err
		}
		if binary.LittleEndian.Uint16(c[:]) != uint16(crc32.ChecksumIEEE(in[start:end])) {
			return errors.New("header CRC mismatch")
		}
	}
	return nil
}

// stdlibBunzip2 decodes in with compress/bzip2, which docker load uses.
func stdlibBunzip2(in []byte, max int64) (d digest.Digest, n int64, ok bool, err error) {
	h := sha256.New()
	n, err = io.Copy(h, io.LimitReader(bzip2.NewReader(bytes.NewReader(in)), max+1))
	if n > max {
		return "", n, false, nil
	}
	return digest.Digest("sha256:" + hex.EncodeToString(h.Sum(nil))), n, true, err
}

// archiveSeeds adds the files under testdata/archives, if there are any.
func archiveSeeds(f *testing.F) int {
	n := 0
	err := filepath.WalkDir(filepath.Join("..", "testdata", "archives"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 4<<20 {
			return err // big fixtures would slow every fuzz round
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f.Add(b)
		n++
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.Fatal(err)
	}
	return n
}

func sameResult(a, b layer.Result) bool {
	ae, be := a.DiffIDErr, b.DiffIDErr
	a.DiffIDErr, b.DiffIDErr = nil, nil
	if a != b || (ae == nil) != (be == nil) {
		return false
	}
	return ae == nil || ae.Error() == be.Error()
}

func FuzzCompute(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	if n := archiveSeeds(f); n == 0 {
		f.Fatal("no seeds found under testdata/archives: the fuzz target would start from nothing")
	}

	f.Fuzz(func(t *testing.T, in []byte) {
		ctx := context.Background()
		opts := layer.Options{Limits: fuzzLimits}
		r := bytes.NewReader(in)
		got, err := layer.Compute(ctx, r, opts)
		if err != nil {
			t.Fatalf("Compute of an in-memory blob: %v", err)
		}
		if r.Len() != 0 {
			t.Errorf("Compute left %d bytes unread", r.Len())
		}
		if want := sha256Of(in); got.Digest != want {
			t.Errorf("Digest = %s, want %s", got.Digest, want)
		}
		if got.Size != int64(len(in)) {
			t.Errorf("Size = %d, want %d", got.Size, len(in))
		}
		if want := layer.Detect(in[:min(len(in), layer.MagicLen)]); got.Compression != want {
			t.Errorf("Compression = %q, Detect says %q", got.Compression, want)
		}
		if got.Compression == layer.None {
			if got.DiffID != got.Digest || got.UncompressedSize != got.Size || got.DiffIDErr != nil {
				t.Errorf("uncompressed blob: got %+v, want DiffID == Digest, UncompressedSize == Size", got)
			}
		}
		if got.DiffIDErr != nil {
			if got.DiffID != "" {
				t.Errorf("DiffID = %s alongside DiffIDErr %v, want empty", got.DiffID, got.DiffIDErr)
			}
			if !errors.Is(got.DiffIDErr, layer.ErrCorrupt) && !errors.Is(got.DiffIDErr, layer.ErrLimit) && !errors.Is(got.DiffIDErr, layer.ErrUnsupported) {
				t.Errorf("DiffIDErr = %v, want ErrCorrupt, ErrLimit or ErrUnsupported", got.DiffIDErr)
			}
		} else if err := got.DiffID.Validate(); err != nil || got.DiffID.Algorithm() != digest.SHA256 {
			t.Errorf("DiffID = %q: want a valid sha256 digest (%v)", got.DiffID, err)
		}
		if got.UncompressedSize > fuzzLimits.MaxUncompressedBytes {
			t.Errorf("UncompressedSize = %d, over the %d limit", got.UncompressedSize, fuzzLimits.MaxUncompressedBytes)
		}

		// Same answer again, pipelined, with short reads and data
		// arriving with EOF.
		opts.Pipeline = true
		again, err := layer.Compute(ctx, iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(in))), opts)
		if err != nil || !sameResult(got, again) {
			t.Errorf("second run differs:\n got %+v, %v\nwant %+v", again, err, got)
		}

		crossCheck(t, in, got)
	})
}

// crossCheck compares a gzip or bzip2 Result with decoders written
// elsewhere: refGunzip, and compress/bzip2 (docker load's).
func crossCheck(t *testing.T, in []byte, got layer.Result) {
	t.Helper()
	// Cross-check gzip and bzip2 against decoders written elsewhere.
	var (
		want   digest.Digest
		n      int64
		ok     bool
		refErr error
	)
	switch got.Compression {
	case layer.Gzip:
		want, n, ok, refErr = refGunzip(in, stdlibCompareBytes)
		// The reference agrees with compress/gzip wherever that
		// decodes (it refuses names over 511 bytes), but for reserved
		// flags, which compress/gzip ignores.
		if zr, err := gzip.NewReader(bytes.NewReader(in)); err == nil && ok && !errors.Is(refErr, errReservedFlags) {
			h := sha256.New()
			if m, err := io.Copy(h, io.LimitReader(zr, stdlibCompareBytes+1)); err == nil && m <= stdlibCompareBytes &&
				(refErr != nil || digest.NewDigest(digest.SHA256, h) != want) {
				t.Fatalf("reference gunzip (%v, %s) disagrees with compress/gzip (%s)", refErr, want, digest.NewDigest(digest.SHA256, h))
			}
		}
	case layer.Bzip2:
		want, n, ok, refErr = stdlibBunzip2(in, stdlibCompareBytes)
	default:
		return
	}
	switch {
	case !ok || errors.Is(got.DiffIDErr, layer.ErrLimit):
		// Over the comparison bound, or our limits.
	case refErr == nil && got.DiffIDErr != nil:
		t.Errorf("the reference decodes %d bytes to %s; Compute says %v", n, want, got.DiffIDErr)
	case refErr == nil && (got.DiffID != want || got.UncompressedSize != n):
		t.Errorf("the reference decodes %d bytes to %s; Compute says %d bytes, %s", n, want, got.UncompressedSize, got.DiffID)
	case refErr != nil && got.DiffIDErr == nil:
		t.Errorf("the reference fails (%v); Compute gives DiffID %s", refErr, got.DiffID)
	}
}

// FuzzLimitsNeverCorrupt: a window or dictionary over MaxWindowBytes is a
// limit, never "corrupt", in any frame or block. Each input is decoded
// with a tight window limit and a loose one: what the loose run decodes,
// the tight run decodes the same or refuses as a limit; what the tight
// run calls corrupt, the loose run does too.
// go test -run='^$' -fuzz=FuzzLimitsNeverCorrupt ./layer
func FuzzLimitsNeverCorrupt(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		if len(s) < 64<<10 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		run := func(window uint64) layer.Result {
			got, err := layer.Compute(context.Background(), bytes.NewReader(in), layer.Options{Limits: layer.Limits{MaxUncompressedBytes: fuzzLimits.MaxUncompressedBytes, MaxWindowBytes: window}})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		tight, loose := run(64<<10), run(64<<20)
		switch {
		case loose.DiffIDErr == nil && tight.DiffIDErr == nil && tight != loose:
			t.Errorf("tight limit %+v, loose %+v", tight, loose)
		case loose.DiffIDErr == nil && tight.DiffIDErr != nil && !errors.Is(tight.DiffIDErr, layer.ErrLimit):
			t.Errorf("decodes with a loose window limit; with a tight one: %v", tight.DiffIDErr)
		case errors.Is(tight.DiffIDErr, layer.ErrCorrupt) && !errors.Is(loose.DiffIDErr, layer.ErrCorrupt):
			t.Errorf("corrupt with a tight window limit (%v); with a loose one: %v", tight.DiffIDErr, loose.DiffIDErr)
		}
	})
}
