package layer

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// TestNewReaderTakesMemory: where this build's decoder reads memory
// fastest (the pure-Go one, issue 16), NewReader inflates gzip in a
// *bytes.Reader straight from it; any other reader, or compression, goes
// through the buffer as before.
func TestNewReaderTakesMemory(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("payload")) // a bytes.Buffer does not fail
	zw.Close()
	for _, tc := range []struct {
		name string
		r    io.Reader
		mem  bool
	}{
		{"gzip in a *bytes.Reader", bytes.NewReader(gz.Bytes()), gzipReadsMemory},
		{"gzip in another reader", io.MultiReader(bytes.NewReader(gz.Bytes())), false},
		{"uncompressed in a *bytes.Reader", bytes.NewReader([]byte("payload")), false},
	} {
		zr, err := NewReader(tc.r, Limits{}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (zr.mem != nil) != tc.mem || (zr.br == nil) != tc.mem {
			t.Errorf("%s: read from memory %v, want %v", tc.name, zr.mem != nil, tc.mem)
		}
		if got, err := io.ReadAll(zr); err != nil || string(got) != "payload" {
			t.Errorf("%s: read %q, %v", tc.name, got, err)
		}
		zr.Close()
	}
}
