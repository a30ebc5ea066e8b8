package layer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// fuzzLimits keeps one execution cheap: a mutated bomb stops at 8 MiB.
var fuzzLimits = layer.Limits{MaxUncompressedBytes: 8 << 20}

// stdlibCompareBytes bounds the compress/gzip cross-check.
const stdlibCompareBytes = 1 << 20

// fuzzSeeds are small blobs of every shape the unit tests use.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	text := semiCompressible(16<<10, 5)
	a, b := text[:6<<10], text[6<<10:]
	gz := gzipOf(tb, gzip.DefaultCompression, text)
	zs := zstdOf(tb, text)
	x := []byte("x")
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
		gzipOf(tb, gzip.BestCompression, make([]byte, 9<<20)), // over fuzzLimits
		zstdOf(tb, make([]byte, 9<<20)),
		{0x1f, 0x8b, 0x08},
		{0x28, 0xb5, 0x2f, 0xfd},
	}
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

// stdlibGunzip decodes in with compress/gzip in multistream mode; ok is
// false when the output is over max bytes and so not compared.
func stdlibGunzip(in []byte, max int64) (d digest.Digest, n int64, ok bool, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(in))
	if err != nil {
		return "", 0, true, err
	}
	h := sha256.New()
	n, err = io.Copy(h, io.LimitReader(zr, max+1))
	if n > max {
		return "", n, false, nil
	}
	return digest.Digest("sha256:" + hex.EncodeToString(h.Sum(nil))), n, true, err
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
		if want := layer.Detect(in[:min(len(in), 4)]); got.Compression != want {
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
			if !errors.Is(got.DiffIDErr, layer.ErrCorrupt) && !errors.Is(got.DiffIDErr, layer.ErrLimit) {
				t.Errorf("DiffIDErr = %v, want ErrCorrupt or ErrLimit", got.DiffIDErr)
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

		// Cross-check gzip against the standard library.
		if got.Compression != layer.Gzip {
			return
		}
		want, n, ok, stdErr := stdlibGunzip(in, stdlibCompareBytes)
		switch {
		case !ok:
			// Over the comparison bound.
		case stdErr == nil && got.DiffIDErr != nil:
			t.Errorf("compress/gzip decodes %d bytes to %s; Compute says %v", n, want, got.DiffIDErr)
		case stdErr == nil && (got.DiffID != want || got.UncompressedSize != n):
			t.Errorf("compress/gzip decodes %d bytes to %s; Compute says %d bytes, %s", n, want, got.UncompressedSize, got.DiffID)
		case stdErr != nil && got.DiffIDErr == nil:
			t.Errorf("compress/gzip fails (%v); Compute gives DiffID %s", stdErr, got.DiffID)
		}
	})
}
