package layer_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// readOut is what a Reader yields: the digest and size of its output and
// its error, or the error of NewReader (size -1).
type readOut struct {
	digest digest.Digest
	size   int64
	err    error
}

func readThrough(r io.Reader, lim layer.Limits, b *layer.Budget) readOut {
	zr, err := layer.NewReader(r, lim, b)
	if err != nil {
		return readOut{size: -1, err: err}
	}
	defer zr.Close()
	h := sha256.New()
	n, err := io.Copy(h, zr)
	return readOut{digest.NewDigest(digest.SHA256, h), n, err}
}

// same reports whether two reads yielded the same bytes and the same
// error, to the letter.
func same(a, b readOut) bool {
	if a.digest != b.digest || a.size != b.size || (a.err == nil) != (b.err == nil) {
		return false
	}
	return a.err == nil || a.err.Error() == b.err.Error()
}

// gzipMemoryCases are gzip streams whose headers, members, trailers and
// ends take every path of the reader of gzip in memory.
func gzipMemoryCases(t testing.TB) map[string][]byte {
	text := text256K()
	gz := gzipOf(t, 6, text)
	long := strings.Repeat("n", 70000)
	named := gzipNamed(t, gzip.Header{Name: long, Comment: strings.Repeat("c", 1<<20)}, text[:1000])
	return map[string][]byte{
		// Valid streams.
		"one member":                  gz,
		"three members, one empty":    cat(gz, gzipOf(t, 1, nil), gzipOf(t, 9, text[:5000])),
		"long name and comment":       named,
		"long name with a header CRC": withHeaderCRC(named, 2),
		"long name in the 2nd member": cat(gz, named),
		"extra field":                 withExtra(gz, 5000),
		// Corrupt ones ("bad" in the name).
		"bad header CRC":                    flip(withHeaderCRC(named, 2), 10+70001+(1<<20)+1),
		"bad: cut in the header":            gz[:5],
		"bad: cut in a long name":           named[:40000],
		"bad: cut in the deflate data":      gz[:len(gz)/2],
		"bad: cut in the trailer":           gz[:len(gz)-3],
		"bad CRC":                           flip(gz, -8),
		"bad size":                          flip(gz, -1),
		"bad: trailing garbage":             cat(gz, []byte("garbage")),
		"bad: trailing zeros":               cat(gz, make([]byte, 100)),
		"bad: a second member's magic only": cat(gz, []byte{0x1f, 0x8b}),
		"bad deflate data":                  flip(gz, 40),
	}
}

// withExtra gives a gzip member written by gzipOf an FEXTRA field of n
// bytes (no header CRC to fix).
func withExtra(m []byte, n int) []byte {
	m = bytes.Clone(m)
	m[3] |= 4
	return cat(m[:10], []byte{byte(n), byte(n >> 8)}, bytes.Repeat([]byte{'e'}, n), m[10:])
}

// TestNewReaderFromMemory: a gzip stream in a *bytes.Reader is inflated
// straight from memory (see TestNewReaderTakesMemory), with its own
// parser of headers over the bytes. It must yield what the buffered
// reader of any other io.Reader yields, fail the same way, and feed the
// budget the same stored bytes, also when the stream starts midway
// through the bytes.Reader.
func TestNewReaderFromMemory(t *testing.T) {
	t.Parallel()
	for name, in := range gzipMemoryCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prefix := []byte("read before")
			mr := bytes.NewReader(cat(prefix, in))
			mr.Seek(int64(len(prefix)), io.SeekStart) // within the slice: cannot fail
			mb, sb := layer.NewBudget(layer.Limits{}), layer.NewBudget(layer.Limits{})
			mem := readThrough(mr, layer.Limits{}, mb)
			stream := readThrough(iotest.HalfReader(bytes.NewReader(in)), layer.Limits{}, sb)
			if !same(mem, stream) {
				t.Fatalf("from memory: %d bytes %s, %v\n  streamed: %d bytes %s, %v", mem.size, mem.digest, mem.err, stream.size, stream.digest, stream.err)
			}
			if bad := strings.Contains(name, "bad"); bad != (mem.err != nil) || (bad && !errors.Is(mem.err, layer.ErrCorrupt)) {
				t.Errorf("error %v, want ErrCorrupt: %v", mem.err, bad)
			}
			if mem.err == nil {
				if mb.Stored() != int64(len(in)) || mb.Decompressed() != mem.size {
					t.Errorf("budget: %d stored, %d decompressed; want %d and %d", mb.Stored(), mb.Decompressed(), len(in), mem.size)
				}
				if mr.Len() != 0 {
					t.Errorf("%d bytes left unread", mr.Len())
				}
			}
		})
	}
}

// TestNewReaderFromMemoryLimits: the expansion ratio is enforced on the
// stored bytes the decoder took from memory, as a stream's are counted:
// 200 MiB of zeros in one gzip member (a ratio of about 1030) pass a
// limit above that ratio and are refused under it after little more
// than RatioFloorBytes.
func TestNewReaderFromMemoryLimits(t *testing.T) {
	t.Parallel()
	bombs, _ := zeroBombs()
	bomb := bombs[layer.Gzip]
	for _, tc := range []struct {
		ratio int64
		want  error
	}{{2000, nil}, {100, layer.ErrLimit}} {
		got := readThrough(bytes.NewReader(bomb), layer.Limits{MaxExpansionRatio: tc.ratio}, nil)
		if !errors.Is(got.err, tc.want) || (tc.want == nil) != (got.err == nil) {
			t.Errorf("ratio limit %d: %v, want %v", tc.ratio, got.err, tc.want)
		}
		if tc.want != nil && got.size > layer.RatioFloorBytes+(2<<20) {
			t.Errorf("ratio limit %d: %d bytes out before the limit, want about %d", tc.ratio, got.size, layer.RatioFloorBytes)
		}
	}
	b := layer.NewBudget(layer.Limits{MaxExpansionRatio: 100})
	if got := readThrough(bytes.NewReader(bomb), layer.Limits{}, b); !errors.Is(got.err, layer.ErrLimit) || !strings.Contains(got.err.Error(), "archive") {
		t.Errorf("with the archive's budget at ratio 100: %v, want ErrLimit for the archive", got.err)
	}
}

// FuzzNewReaderFromMemory holds the reader of gzip in memory to the
// buffered one: the same bytes, the same error, for any input.
// go test -run='^$' -fuzz=FuzzNewReaderFromMemory ./layer
func FuzzNewReaderFromMemory(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	for _, s := range gzipMemoryCases(f) {
		if len(s) < 64<<10 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := layer.Limits{MaxUncompressedBytes: fuzzLimits.MaxUncompressedBytes, MaxWindowBytes: fuzzLimits.MaxWindowBytes}
		mem := readThrough(bytes.NewReader(in), lim, nil)
		stream := readThrough(iotest.HalfReader(bytes.NewReader(in)), lim, nil)
		if !same(mem, stream) {
			t.Errorf("from memory: %d bytes %s, %v\n  streamed: %d bytes %s, %v", mem.size, mem.digest, mem.err, stream.size, stream.digest, stream.err)
		}
	})
}
