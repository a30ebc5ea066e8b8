package tarball

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/layer"
)

// TestMappedGzipFileShrinks: a gzip archive cut short by someone else while
// it is mapped faults on the next read of the lost pages; that is an error
// naming what happened, never a crash.
func TestMappedGzipFileShrinks(t *testing.T) {
	// Incompressible, and larger than any buffer a decoder reads ahead.
	random := make([]byte, 4<<20)
	rand.NewChaCha8([32]byte{}).Read(random)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(random) // a bytes.Buffer does not fail
	zw.Close()
	path := filepath.Join(t.TempDir(), "archive.tar.gz")
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := Options{}
	opts.normalize()
	r, closer, err := mappedOuterReader(f, &opts)
	if r == nil || err != nil {
		if mapped, unmap := mapFile(f); mapped == nil {
			t.Skip("files are not mapped on this platform")
		} else {
			unmap()
		}
		t.Fatalf("mappedOuterReader = %v, %v; want a mapped stream", r, err)
	}
	defer closer()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, r)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "the file changed while it was read") {
		t.Errorf("reading a mapped file cut short: %v; want ErrMalformed, the file changed", err)
	}
}

// TestRecoverFaultOnlyFaults: recoverFault turns faults into errors and
// lets every other panic, a bug, go on.
func TestRecoverFaultOnlyFaults(t *testing.T) {
	defer func() {
		if r := recover(); r != "a bug" {
			t.Errorf("recovered %v, want the panic \"a bug\" to go on", r)
		}
	}()
	func() (err error) {
		defer recoverFault(&err)
		panic("a bug")
	}()
}

// TestOpenGzipCountsInput: the expansion limits (the stream's and the
// archive's budget) and the progress count of a mapped archive see the
// compressed bytes the decoder took, as the stream reader's do. 66 MiB of
// zeros is past RatioFloorBytes; a ratio limit above the stream's real
// ratio passes only if its input was counted.
func TestOpenGzipCountsInput(t *testing.T) {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed) // a valid level
	tw := tar.NewWriter(zw)
	const size = 66 << 20
	tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	io.CopyN(tw, zeroReader{}, size) // into a bytes.Buffer: does not fail
	tw.Close()
	zw.Close()
	path := filepath.Join(t.TempDir(), "zeros.tar.gz")
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ratio := int64(size / gz.Len())
	for _, tc := range []struct {
		limit int64
		want  bool // ErrLimit
	}{{ratio / 4, true}, {ratio * 4, false}} {
		opts := Options{Limits: Limits{Layer: layer.Limits{MaxExpansionRatio: tc.limit}}}
		_, openErr := Open(context.Background(), path, opts)
		_, readErr := Read(context.Background(), bytes.NewReader(gz.Bytes()), opts)
		for how, err := range map[string]error{"Open": openErr, "Read": readErr} {
			if errors.Is(err, ErrLimit) != tc.want {
				t.Errorf("%s with a ratio limit of %d (the stream's is %d): %v; want ErrLimit %v", how, tc.limit, ratio, err, tc.want)
			}
		}
	}

	fixture := filepath.Join("..", "testdata", "archives", "docker-archive.tar.gz")
	info, err := os.Stat(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var p Progress
	if _, err := Open(context.Background(), fixture, Options{Progress: &p}); err != nil {
		t.Fatal(err)
	}
	if p.Bytes.Load() != info.Size() || p.Total.Load() != info.Size() {
		t.Errorf("progress of %s: %d of %d bytes, want %d of %d", fixture, p.Bytes.Load(), p.Total.Load(), info.Size(), info.Size())
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }
