package layer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
)

// TestComputeBytesMatchesCompute checks the in-place path against the
// streaming one and against an independent sha256, and that onRead sees
// every byte.
func TestComputeBytesMatchesCompute(t *testing.T) {
	big := bytes.Repeat([]byte("tardigest "), 100_000) // 1 MB, several chunks
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(big)
	zw.Close()
	tests := []struct {
		name string
		in   []byte
		alg  digest.Algorithm
	}{
		{"empty", nil, ""},
		{"uncompressed", big, ""},
		{"uncompressed, several spans", bytes.Repeat(big, 10), ""},
		{"gzip", gz.Bytes(), ""},
		{"sha512", big, digest.SHA512},
	}
	for _, tt := range tests {
		for _, pipeline := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s pipeline=%v", tt.name, pipeline), func(t *testing.T) {
				computeBytesCase(t, tt.in, tt.alg, pipeline)
			})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big2 := make([]byte, 8<<20)
	for _, pipeline := range []bool{false, true} {
		content := &countWriter{}
		if _, err := ComputeBytes(ctx, big2, Options{Content: content, Pipeline: pipeline}, nil); err == nil {
			t.Error("a cancelled context must stop ComputeBytes")
		}
		if content.n != 0 {
			t.Errorf("pipeline=%v: a ComputeBytes cancelled before it started gave Content %d bytes", pipeline, content.n)
		}
	}
}

// countWriter keeps what it is given.
type countWriter struct {
	n int64
	d []byte
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.d = append(c.d, p...)
	return len(p), nil
}

// computeBytesCase compares ComputeBytes with Compute on in, and what
// Options.Content was given with the DiffID.
func computeBytesCase(t *testing.T, in []byte, alg digest.Algorithm, pipeline bool) {
	t.Helper()
	content := &countWriter{}
	opts := Options{Algorithm: alg, Pipeline: pipeline, Content: content}
	seen := 0
	got, err := ComputeBytes(context.Background(), in, opts, func(n int) { seen += n })
	if err != nil {
		t.Fatal(err)
	}
	if content.n != got.UncompressedSize || digest.FromBytes(content.d) != got.DiffID {
		t.Errorf("Content was given %d bytes (%s); DiffID %s of %d bytes", content.n, digest.FromBytes(content.d), got.DiffID, got.UncompressedSize)
	}
	opts.Content = nil
	want, err := Compute(context.Background(), bytes.NewReader(in), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("ComputeBytes = %+v\nCompute      = %+v", got, want)
	}
	if seen != len(in) {
		t.Errorf("onRead saw %d bytes, want %d", seen, len(in))
	}
	if alg == "" {
		sum := sha256.Sum256(in)
		if got.Digest.Encoded() != hex.EncodeToString(sum[:]) {
			t.Errorf("Digest %s is not sha256 of the input", got.Digest)
		}
	}
}
