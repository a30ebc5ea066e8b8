package layer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
		{"gzip", gz.Bytes(), ""},
		{"sha512", big, digest.SHA512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Algorithm: tt.alg}
			seen := 0
			got, err := ComputeBytes(context.Background(), tt.in, opts, func(n int) { seen += n })
			if err != nil {
				t.Fatal(err)
			}
			want, err := Compute(context.Background(), bytes.NewReader(tt.in), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("ComputeBytes = %+v\nCompute      = %+v", got, want)
			}
			if seen != len(tt.in) {
				t.Errorf("onRead saw %d bytes, want %d", seen, len(tt.in))
			}
			if tt.alg == "" {
				sum := sha256.Sum256(tt.in)
				if got.Digest.Encoded() != hex.EncodeToString(sum[:]) {
					t.Errorf("Digest %s is not sha256 of the input", got.Digest)
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ComputeBytes(ctx, big, Options{}, nil); err == nil {
		t.Error("a cancelled context must stop ComputeBytes")
	}
}
