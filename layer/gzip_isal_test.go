//go:build isal

package layer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/tardigest/tardigest/internal/count"
)

// decodeOutcome is what a gzip reader made of a stream: the output's
// hash and size, whether it failed, and how far it read into the input.
type decodeOutcome struct {
	sum    [32]byte
	size   int64
	failed bool
	pos    int64
}

// decodeWith decodes in with the ISA-L reader or with the pure-Go build's
// (newGoGzipReader), reading the input oneByte at a time if asked and the
// output in chunk-byte reads.
func decodeWith(in []byte, chunk int, oneByte, isal bool) decodeOutcome {
	var src io.Reader = bytes.NewReader(in)
	if oneByte {
		src = iotest.OneByteReader(src)
	}
	cr := &count.Reader{R: src} // counts what br pulls in
	br := bufio.NewReaderSize(cr, 4096)
	var (
		zr  io.ReadCloser
		err error
	)
	if isal {
		zr, err = NewGzipReader(br)
	} else {
		zr, err = newGoGzipReader(br)
	}
	var out decodeOutcome
	h := sha256.New()
	if err == nil {
		buf := make([]byte, chunk)
		for out.size < 16<<20 {
			n, rerr := zr.Read(buf)
			h.Write(buf[:n])
			out.size += int64(n)
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				err = rerr
				break
			}
		}
		zr.Close()
	}
	if err != nil {
		// What a decoder emits before it fails, and where it stops, are
		// its own business: the caller reports only the failure.
		return decodeOutcome{failed: true}
	}
	copy(out.sum[:], h.Sum(nil))
	out.pos = cr.N - int64(br.Buffered())
	return out
}

func gzipMember(tb testing.TB, level int, hdr gzip.Header, payload []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		tb.Fatal(err)
	}
	zw.Header = hdr
	zw.Write(payload)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// gzipSeeds are streams both decoders must treat alike: valid, multi-member,
// with every optional header field, and broken in the usual ways.
func gzipSeeds(tb testing.TB) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	text := make([]byte, 200<<10)
	for i := range text {
		text[i] = "abcdefgh \n"[rng.IntN(10)]
	}
	noise := make([]byte, 70<<10)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	named := gzip.Header{Name: "layer.tar", Comment: "made by a test", Extra: []byte("xx\x02\x00ab")}
	one := gzipMember(tb, gzip.DefaultCompression, gzip.Header{}, text)
	withHCRC := append([]byte(nil), gzipMember(tb, gzip.BestSpeed, gzip.Header{}, text[:1000])...)
	// Set FHCRC and splice in the header CRC (of the 10 header bytes).
	withHCRC[3] |= 2
	h := crc32.ChecksumIEEE(withHCRC[:10])
	withHCRC = append(append(append([]byte(nil), withHCRC[:10]...), byte(h), byte(h>>8)), withHCRC[10:]...)
	badHCRC := append([]byte(nil), withHCRC...)
	badHCRC[10] ^= 1
	longName := gzipMember(tb, gzip.BestSpeed, gzip.Header{Name: string(bytes.Repeat([]byte("n"), 511))}, []byte("x"))
	// Longer than the 511 bytes klauspost/compress/gzip reads: both
	// builds read any length.
	tooLong := gzipMember(tb, gzip.BestSpeed, gzip.Header{Name: string(bytes.Repeat([]byte("n"), 512))}, []byte("x"))
	veryLong := gzipMember(tb, gzip.BestSpeed, gzip.Header{Name: string(bytes.Repeat([]byte("n"), 9000)), Comment: string(bytes.Repeat([]byte("c"), 40000))}, text[:5000])
	hugeComment := gzipMember(tb, gzip.BestSpeed, gzip.Header{Comment: string(bytes.Repeat([]byte("c"), 1<<20))}, text[:5000])
	longHCRC := append([]byte(nil), tooLong...)
	longHCRC[3] |= 2
	hc := crc32.ChecksumIEEE(longHCRC[:10+513])
	longHCRC = cat(longHCRC[:10+513], []byte{byte(hc), byte(hc >> 8)}, longHCRC[10+513:])
	badLongHCRC := append([]byte(nil), longHCRC...)
	badLongHCRC[10+513] ^= 1
	reserved := append([]byte(nil), one...)
	reserved[3] |= 0x20
	badCRC := append([]byte(nil), one...)
	badCRC[len(badCRC)-6] ^= 0xff
	badSize := append([]byte(nil), one...)
	badSize[len(badSize)-2] ^= 1
	corrupt := append([]byte(nil), one...)
	corrupt[len(corrupt)/2] ^= 0x55
	return [][]byte{
		one,
		gzipMember(tb, gzip.NoCompression, gzip.Header{}, noise),
		gzipMember(tb, gzip.HuffmanOnly, named, text),
		gzipMember(tb, gzip.BestCompression, gzip.Header{}, nil),
		// A few dozen bytes that end in long matches: ISA-L may have read
		// all of it while output is still owed.
		gzipMember(tb, gzip.BestCompression, gzip.Header{}, bytes.Repeat([]byte("a"), 100000)),
		cat(gzipMember(tb, gzip.BestCompression, gzip.Header{}, bytes.Repeat([]byte("ab"), 5000)), gzipMember(tb, gzip.BestSpeed, gzip.Header{}, bytes.Repeat([]byte("z"), 3000))),
		cat(one, gzipMember(tb, gzip.BestSpeed, named, noise), gzipMember(tb, 1, gzip.Header{}, nil)),
		withHCRC, badHCRC, longName, tooLong, reserved, badCRC, badSize, corrupt,
		veryLong, hugeComment, longHCRC, badLongHCRC, cat(one, veryLong), veryLong[:4000], tooLong[:300],
		one[:len(one)-1], one[:len(one)-8], one[:len(one)-9], one[:len(one)/3], one[:12],
		cat(one, []byte("garbage!")), cat(one, []byte("garbage and more")),
		cat(one, make([]byte, 64)), cat(one, one[:5]), cat(one, []byte{0x1f, 0x8b, 8, 0}),
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestIsalMatchesPureGo: the ISA-L build decodes exactly what the pure-Go
// build decodes, fails where it fails, and stops at the same input byte,
// however the input and output are chunked.
func TestIsalMatchesPureGo(t *testing.T) {
	for i, in := range gzipSeeds(t) {
		want := decodeWith(in, 32<<10, false, false)
		for _, chunk := range []int{1, 7, 4096, 256 << 10} {
			for _, oneByte := range []bool{false, true} {
				if oneByte && chunk == 1 && len(in) > 100<<10 {
					continue
				}
				got := decodeWith(in, chunk, oneByte, true)
				if got != want {
					t.Errorf("seed %d (%d bytes), chunk %d, one-byte input %v:\n isal %+v\n go   %+v", i, len(in), chunk, oneByte, got, want)
				}
			}
		}
	}
}

// FuzzIsalMatchesPureGo is TestIsalMatchesPureGo on mutated streams:
// go test -tags isal -run='^$' -fuzz=FuzzIsalMatchesPureGo ./layer
func FuzzIsalMatchesPureGo(f *testing.F) {
	for _, s := range gzipSeeds(f) {
		if len(s) < 64<<10 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 || in[0] != 0x1f || in[1] != 0x8b {
			return
		}
		want := decodeWith(in, 32<<10, false, false)
		if got := decodeWith(in, 32<<10, false, true); got != want {
			t.Fatalf("isal %+v\ngo   %+v", got, want)
		}
		if got := decodeWith(in, 5, true, true); got != want {
			t.Fatalf("one-byte input, 5-byte reads: isal %+v\ngo   %+v", got, want)
		}
	})
}
