package layer_test

import (
	"bytes"
	"compress/gzip"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/layer"
)

// gzipNamed is one gzip member with the given header, written by the
// standard library (which writes names and comments of any length).
func gzipNamed(tb testing.TB, hdr gzip.Header, payload []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Header = hdr
	zw.Write(payload) // a bytes.Buffer does not fail
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// withHeaderCRC sets FHCRC on a member written by gzipNamed and splices
// in the header CRC, computed over the header bytes (10 fixed ones, then
// the name and comment fields, each zero-terminated).
func withHeaderCRC(m []byte, fields int) []byte {
	end := 10
	for range fields {
		end += bytes.IndexByte(m[end:], 0) + 1
	}
	m = bytes.Clone(m)
	m[3] |= 2
	sum := crc32.ChecksumIEEE(m[:end])
	return cat(m[:end], []byte{byte(sum), byte(sum >> 8)}, m[end:])
}

// gzipHeaderCases are gzip members whose headers carry what RFC 1952
// allows: file names and comments of any length, with or without a
// header CRC.
func gzipHeaderCases(t testing.TB) []computeCase {
	t.Helper()
	text := text256K()
	x := []byte("x")
	long := func(n int) string { return strings.Repeat("n", n) }
	named := gzipNamed(t, gzip.Header{Name: long(512)}, text)
	commented := gzipNamed(t, gzip.Header{Name: long(70000), Comment: long(1 << 20)}, x)
	return []computeCase{
		// RFC 1952 puts no limit on FNAME and FCOMMENT; the decoders of
		// Go and klauspost refuse more than 511 bytes as a bad header.
		decodes("gzip name of 512 bytes", named, layer.Gzip, text),
		decodes("gzip name of 70000 bytes, comment of 1 MiB", commented, layer.Gzip, x),
		decodes("gzip long name in the second member", cat(gzipOf(t, 6, text), named), layer.Gzip, cat(text, text)),
		decodes("gzip long name and comment with a header CRC", withHeaderCRC(commented, 2), layer.Gzip, x),
		fails("gzip long name with a wrong header CRC", flip(withHeaderCRC(commented, 2), 10+70001+(1<<20)+1), layer.Gzip, layer.ErrCorrupt),
		fails("gzip cut inside a long name", named[:400], layer.Gzip, layer.ErrCorrupt),
		fails("gzip name never ends", cat(named[:10], []byte(long(3000))), layer.Gzip, layer.ErrCorrupt),
	}
}

// TestComputeGzipHeaders runs in both builds: before issue 10, a name or
// comment over 511 bytes was called corrupt, as klauspost/compress/gzip
// (and compress/gzip) refuse it; GNU gzip and pigz read it.
func TestComputeGzipHeaders(t *testing.T) {
	t.Parallel()
	runComputeCases(t, gzipHeaderCases(t))
}
