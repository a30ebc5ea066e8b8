package layer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// seqPayload is the output of `seq 1 n`, the payload of the fixtures in
// testdata/compressed, rebuilt here so their diffIDs are checked without
// the tools that made them.
func seqPayload(n int) []byte {
	var b []byte
	for i := 1; i <= n; i++ {
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '\n')
	}
	return b
}

var seq50k = sync.OnceValue(func() []byte { return seqPayload(50000) })

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "compressed", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// decoderCases are blobs made by the real tools and by hand for the
// decoders added for issue 10: bzip2 and xz, and zstd frames.
func decoderCases(t testing.TB) []computeCase {
	t.Helper()
	seq := seq50k()
	pixzDiffID := digest.Digest("sha256:" + strings.TrimSpace(string(fixture(t, "seq.tar.pixz.xz.sha256"))))
	pixz := fixture(t, "seq.tar.pixz.xz")
	cases := []computeCase{
		decodes("bzip2 -9", fixture(t, "seq.bz2"), layer.Bzip2, seq),
		decodes("pbzip2: three streams", fixture(t, "seq.pbzip2.bz2"), layer.Bzip2, seq),
		decodes("bzip2 streams concatenated", cat(fixture(t, "seq.bz2"), fixture(t, "seq.pbzip2.bz2")), layer.Bzip2, cat(seq, seq)),
		decodes("bzip2 streams of two block sizes", fixture(t, "small.bz2"), layer.Bzip2, seqPayload(3000)),
		decodes("xz -6", fixture(t, "seq.xz"), layer.Xz, seq),
		decodes("xz -T2, five blocks", fixture(t, "seq.T2.xz"), layer.Xz, seq),
		decodes("xz -C sha256", fixture(t, "seq.sha256.xz"), layer.Xz, seq),
		decodes("xz -C crc32", fixture(t, "seq.crc32.xz"), layer.Xz, seq),
		decodes("xz -C none", fixture(t, "seq.none.xz"), layer.Xz, seq),
		decodes("xz streams with padding", fixture(t, "seq.concat-padded.xz"), layer.Xz, seq),
		decodes("xz streams without padding", cat(fixture(t, "seq.xz"), fixture(t, "seq.T2.xz")), layer.Xz, cat(seq, seq)),
		{name: "pixz index block is output", in: pixz, want: layer.Result{
			Digest: sha256Of(pixz), Size: int64(len(pixz)), Compression: layer.Xz, DiffID: pixzDiffID, UncompressedSize: 296989, // xz -dc | wc -c
		}},
		decodes("zstd two frames", fixture(t, "seq.2frames.zst"), layer.Zstd, seq),
		decodes("zstd --ultra -22 second frame", fixture(t, "seq.ultra-second.zst"), layer.Zstd, seq),
		decodes("zstd --long=27", fixture(t, "seq.long27.zst"), layer.Zstd, seq),
		decodes("pzstd", fixture(t, "seq.pzstd.zst"), layer.Zstd, seq),

		fails("bzip2 truncated", fixture(t, "seq.bz2")[:30000], layer.Bzip2, layer.ErrCorrupt),
		fails("bzip2 flipped byte", flip(fixture(t, "seq.bz2"), 20000), layer.Bzip2, layer.ErrCorrupt),
		fails("bzip2 bad stream checksum", flip(fixture(t, "seq.bz2"), -1), layer.Bzip2, layer.ErrCorrupt),
		fails("bzip2 trailing garbage", cat(fixture(t, "seq.bz2"), []byte("garbage!")), layer.Bzip2, layer.ErrCorrupt),
		fails("bzip2 trailing zero bytes", cat(fixture(t, "seq.bz2"), make([]byte, 4)), layer.Bzip2, layer.ErrCorrupt),
		fails("bzip2 trailing BZ", cat(fixture(t, "seq.bz2"), []byte("BZ")), layer.Bzip2, layer.ErrCorrupt),
		fails("BZh then no digit", []byte("BZh0garbage"), layer.Bzip2, layer.ErrCorrupt),
		fails("BZh alone", []byte("BZh"), layer.Bzip2, layer.ErrCorrupt),
		fails("xz truncated", fixture(t, "seq.xz")[:5000], layer.Xz, layer.ErrCorrupt),
		fails("xz truncated in the footer", fixture(t, "seq.xz")[:len(fixture(t, "seq.xz"))-3], layer.Xz, layer.ErrCorrupt),
		fails("xz flipped byte", flip(fixture(t, "seq.xz"), 3000), layer.Xz, layer.ErrCorrupt),
		fails("xz bad check", flip(fixture(t, "seq.sha256.xz"), -60), layer.Xz, layer.ErrCorrupt),
		fails("xz trailing garbage", cat(fixture(t, "seq.xz"), []byte("garbage!")), layer.Xz, layer.ErrCorrupt),
		fails("xz trailing 3 zero bytes", cat(fixture(t, "seq.xz"), make([]byte, 3)), layer.Xz, layer.ErrCorrupt),
		fails("xz trailing 5 zero bytes", cat(fixture(t, "seq.xz"), make([]byte, 5)), layer.Xz, layer.ErrCorrupt),
		decodes("xz trailing 1024 zero bytes (stream padding)", cat(fixture(t, "seq.xz"), make([]byte, 1024)), layer.Xz, seq),
		fails("xz magic only", xzMagic(), layer.Xz, layer.ErrCorrupt),
	}
	return append(cases, xzCases(t)...)
}

func xzMagic() []byte { return []byte{0xFD, '7', 'z', 'X', 'Z', 0} }

// xzCases break the xz container's rules one at a time, on hand-made
// streams.
func xzCases(t testing.TB) []computeCase {
	t.Helper()
	data := randomBytes(200000, 7) // four chunks
	x := []byte("x")
	ok := xzParts(xzCheckCRC64, xzBlockSpec{data: data})
	sized := xzParts(xzCheckCRC32, xzBlockSpec{data: data[:1000], sizes: true}, xzBlockSpec{data: data[1000:], sizes: true})
	badIndex := sized
	badIndex.index = xzIndex([][2]uint64{sized.records[0], {sized.records[1][0], sized.records[1][1] + 1}})
	badIndex.footer = xzFooter(len(badIndex.index), []byte{0, xzCheckCRC32})
	fewer := sized
	fewer.index = xzIndex(sized.records[:1])
	fewer.footer = xzFooter(len(fewer.index), []byte{0, xzCheckCRC32})
	flags := ok
	flags.footer = xzFooter(len(ok.index), []byte{0, xzCheckCRC32})
	backward := ok
	backward.footer = xzFooter(len(ok.index)+4, []byte{0, xzCheckCRC64})
	lzmaChunk := func(props byte) []byte { return []byte{0xE0, 0, 0, 0, 4, props, 0, 0, 0, 0, 0, 0} }
	return []computeCase{
		decodes("xz by hand, CRC64", ok.bytes(), layer.Xz, data),
		decodes("xz by hand, sizes in headers, CRC32", sized.bytes(), layer.Xz, data),
		decodes("xz by hand, SHA-256", xzStream(xzCheckSHA256, xzBlockSpec{data: data}), layer.Xz, data),
		decodes("xz by hand, no check", xzStream(xzCheckNone, xzBlockSpec{data: x}), layer.Xz, x),
		decodes("xz by hand, no blocks", xzStream(xzCheckCRC64), layer.Xz, nil),
		decodes("xz by hand, an empty block", xzStream(xzCheckCRC64, xzBlockSpec{}), layer.Xz, nil),
		decodes("xz by hand, two streams", cat(ok.bytes(), make([]byte, 4), xzStream(xzCheckNone, xzBlockSpec{data: x})), layer.Xz, cat(data, x)),
		// A 4 GiB dictionary is never needed for 1000 declared bytes.
		decodes("xz dictionary 4 GiB, block of 1000 bytes", xzStream(xzCheckNone, xzBlockSpec{data: data[:1000], sizes: true, dictProp: 40}), layer.Xz, data[:1000]),

		fails("xz stream header checksum", flip(ok.bytes(), 9), layer.Xz, layer.ErrCorrupt),
		fails("xz block header checksum", flip(ok.bytes(), 13), layer.Xz, layer.ErrCorrupt),
		fails("xz index record wrong", badIndex.bytes(), layer.Xz, layer.ErrCorrupt),
		fails("xz index lists fewer blocks", fewer.bytes(), layer.Xz, layer.ErrCorrupt),
		fails("xz footer flags differ", flags.bytes(), layer.Xz, layer.ErrCorrupt),
		fails("xz footer index size wrong", backward.bytes(), layer.Xz, layer.ErrCorrupt),
		fails("xz footer magic", flip(ok.bytes(), -1), layer.Xz, layer.ErrCorrupt),
		fails("xz LZMA2 control byte 3", xzStream(xzCheckNone, xzBlockSpec{lzma2: []byte{3, 0, 0, 0}}), layer.Xz, layer.ErrCorrupt),
		fails("xz LZMA2 first chunk keeps the dictionary", xzStream(xzCheckNone, xzBlockSpec{lzma2: []byte{2, 0, 0, 'x', 0}, data: x}), layer.Xz, layer.ErrCorrupt),
		fails("xz LZMA2 lc+lp over 4", xzStream(xzCheckNone, xzBlockSpec{lzma2: lzmaChunk((2*5+1)*9 + 4)}), layer.Xz, layer.ErrCorrupt),
		fails("xz LZMA2 properties over 224", xzStream(xzCheckNone, xzBlockSpec{lzma2: lzmaChunk(225)}), layer.Xz, layer.ErrCorrupt),
		fails("xz block longer than declared", xzStream(xzCheckNone, xzBlockSpec{data: data[:100], sizes: true, lzma2: lzma2Stored(data[:200])}), layer.Xz, layer.ErrCorrupt),

		fails("xz check 2 (xz -dc warns, docker load fails)", xzStream(2, xzBlockSpec{data: x}), layer.Xz, layer.ErrUnsupported),
		fails("xz x86 BCJ filter", xzStream(xzCheckNone, xzBlockSpec{data: x, filters: []byte{0x04, 0x00}}), layer.Xz, layer.ErrUnsupported),
		fails("xz reserved block flags", xzStream(xzCheckNone, xzBlockSpec{data: x, extraFlags: 0x04}), layer.Xz, layer.ErrUnsupported),
		fails("xz reserved stream flags", xzStream(0x10, xzBlockSpec{data: x}), layer.Xz, layer.ErrUnsupported),
		fails("xz dictionary property 41", xzStream(xzCheckNone, xzBlockSpec{data: x, dictProp: 41}), layer.Xz, layer.ErrUnsupported),

		fails("xz dictionary over MaxWindowBytes", xzStream(xzCheckNone, xzBlockSpec{data: x, dictProp: 17}), layer.Xz, layer.ErrLimit).
			with(layer.Limits{MaxWindowBytes: 1 << 20}),
		decodes("xz dictionary at MaxWindowBytes", xzStream(xzCheckNone, xzBlockSpec{data: x, dictProp: 16}), layer.Xz, x).
			with(layer.Limits{MaxWindowBytes: 1 << 20}),
		decodes("xz at MaxUncompressedBytes", ok.bytes(), layer.Xz, data).
			with(layer.Limits{MaxUncompressedBytes: int64(len(data))}),
		fails("xz one byte over MaxUncompressedBytes", ok.bytes(), layer.Xz, layer.ErrLimit).
			with(layer.Limits{MaxUncompressedBytes: int64(len(data)) - 1}),
	}
}

func TestComputeDecoders(t *testing.T) {
	t.Parallel()
	runComputeCases(t, decoderCases(t))
}

// TestComputeLimitMessages checks that every limit names the flag that
// raises it, and which frame or block went over.
func TestComputeLimitMessages(t *testing.T) {
	t.Parallel()
	x := []byte("x")
	tests := []struct {
		name  string
		in    []byte
		lim   layer.Limits
		wants []string
	}{
		// Before issue 10, only the first frame's window was checked: a
		// later one over the limit was called corrupt.
		{"zstd --ultra -22 second frame", fixture(t, "seq.ultra-second.zst"), layer.Limits{MaxWindowBytes: 64 << 20},
			[]string{"frame 2 asks for a window of 134217728 bytes", "max-window-bytes"}},
		{"zstd --long=27", fixture(t, "seq.long27.zst"), layer.Limits{MaxWindowBytes: 64 << 20},
			[]string{"frame 1 asks for a window of 134217728 bytes", "max-window-bytes"}},
		{"zstd skippable frames around, third frame over", cat(skippableFrame(0, x), zstdRawFrame(0, x), skippableFrame(2, x), zstdOf(t, x), zstdRawFrame(0x58, x)),
			layer.Limits{MaxWindowBytes: 1 << 20}, []string{"frame 3 asks for a window of 2097152 bytes"}},
		{"zstd single-segment second frame", cat(zstdRawFrame(0, x), zstdSingleSegmentFrame(2<<20, x)), layer.Limits{MaxWindowBytes: 1 << 20},
			[]string{"frame 2 asks for a window of 2097152 bytes"}},
		{"deprecated MaxZstdWindowBytes still works", fixture(t, "seq.ultra-second.zst"), layer.Limits{MaxZstdWindowBytes: 64 << 20},
			[]string{"frame 2", "max-window-bytes"}},
		{"xz block dictionary", xzStream(xzCheckNone, xzBlockSpec{data: x}, xzBlockSpec{data: x, dictProp: 24}), layer.Limits{MaxWindowBytes: 8 << 20},
			[]string{"block 2 needs a dictionary of 16777216 bytes", "max-window-bytes"}},
		{"bzip2 of 1 GiB of zeros", fixture(t, "zeros1g.bz2"), layer.Limits{},
			[]string{"bzip2: expands more than 11 times", "max-expansion-ratio"}},
		{"zstd of 5 GiB of zeros", zstdRLEFrame(40960, 0), layer.Limits{},
			[]string{"zstd: expands more than 550 times", "max-expansion-ratio"}},
		{"gzip over MaxUncompressedBytes", gzipOf(t, 1, make([]byte, 2000)), layer.Limits{MaxUncompressedBytes: 1000},
			[]string{"gzip: uncompressed size over 1000 bytes", "max-uncompressed-bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := layer.Compute(context.Background(), bytes.NewReader(tc.in), layer.Options{Limits: tc.lim})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(got.DiffIDErr, layer.ErrLimit) {
				t.Fatalf("DiffIDErr = %v, want ErrLimit", got.DiffIDErr)
			}
			for _, want := range tc.wants {
				if !strings.Contains(got.DiffIDErr.Error(), want) {
					t.Errorf("DiffIDErr = %q, want it to say %q", got.DiffIDErr, want)
				}
			}
		})
	}
}

// TestComputeZstdBlockOverWindow: a block larger than its own frame's
// window is corrupt in any frame, even with a tiny window limit.
func TestComputeZstdBlockOverWindow(t *testing.T) {
	t.Parallel()
	in := cat(zstdRawFrame(0, []byte("x")), zstdRawFrame(0, randomBytes(2000, 4)))
	got, err := layer.Compute(context.Background(), bytes.NewReader(in), layer.Options{Limits: layer.Limits{MaxWindowBytes: 1 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(got.DiffIDErr, layer.ErrCorrupt) {
		t.Errorf("DiffIDErr = %v, want ErrCorrupt", got.DiffIDErr)
	}
}
