package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// tfReference is archive/tar's verdict on b, as docker's layer store
// reads a layer: every header and every body, to the end.
func tfReference(b []byte) error {
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		_, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return err
		}
	}
}

// tfFrame is tarFrame's verdict on b written in pieces of the sizes
// chunk cycles through.
func tfFrame(b []byte, chunk []int) error {
	f := newTarFrame()
	for i := 0; len(b) > 0; i++ {
		n := len(b)
		if len(chunk) > 0 {
			n = min(n, 1+chunk[i%len(chunk)])
		}
		f.Write(b[:n])
		b = b[n:]
	}
	return f.Err()
}

// tfSparse reports whether b may hold a sparse entry, whose maps
// archive/tar checks and tarFrame does not: tardigest refuses sparse
// entries of the archive itself, and docker load applies those of a layer.
func tfSparse(b []byte) bool {
	for off := 156; off < len(b); off += 512 {
		if b[off] == tar.TypeGNUSparse {
			return true
		}
	}
	return bytes.Contains(b, []byte("GNU.sparse"))
}

func tfTar(t testing.TB, entries ...tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		body := strings.Repeat("x", int(h.Size))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body[:h.Size])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tfSeeds(t testing.TB) [][]byte {
	long := strings.Repeat("n", 300)
	pax := tfTar(t, tar.Header{Name: long, Typeflag: tar.TypeReg, Size: 700, Format: tar.FormatPAX, PAXRecords: map[string]string{"comment": "c"}})
	gnu := tfTar(t, tar.Header{Name: long, Typeflag: tar.TypeReg, Size: 3, Format: tar.FormatGNU})
	plain := tfTar(t,
		tar.Header{Name: "etc/", Typeflag: tar.TypeDir},
		tar.Header{Name: "etc/hostname", Typeflag: tar.TypeReg, Size: 3, Format: tar.FormatUSTAR},
		tar.Header{Name: "etc/l", Typeflag: tar.TypeSymlink, Linkname: "hostname"},
		tar.Header{Name: "etc/h", Typeflag: tar.TypeLink, Linkname: "etc/hostname"},
	)
	return [][]byte{
		plain, pax, gnu,
		{},
		plain[:len(plain)-1024], // no end marker: a clean end for archive/tar
		plain[:len(plain)-1000],
		plain[:512+2],      // inside a body
		plain[:512+512+10], // inside a header
		pax[:len(pax)-1024-100],
		[]byte("hello, this is not a tar archive at all"),
		append(append([]byte{}, plain...), "trailing garbage"...),
		bytes.Repeat([]byte{0}, 512),
		append(bytes.Repeat([]byte{0}, 512), plain...),
	}
}

// TestTarFrame: tarFrame and archive/tar agree on what is a tar stream.
func TestTarFrame(t *testing.T) {
	for i, b := range tfSeeds(t) {
		want := tfReference(b)
		for _, chunk := range [][]int{nil, {0}, {510, 1, 3000}} {
			got := tfFrame(b, chunk)
			if (got == nil) != (want == nil) {
				t.Errorf("seed %d (chunks %v): tarFrame says %v, archive/tar %v", i, chunk, got, want)
			}
			if got != nil && !errors.Is(got, errNotTar) {
				t.Errorf("seed %d: %v is not errNotTar", i, got)
			}
		}
	}
}

// FuzzTarFrame holds tarFrame to archive/tar on any bytes.
func FuzzTarFrame(f *testing.F) {
	for _, b := range tfSeeds(f) {
		f.Add(b, byte(0))
	}
	f.Fuzz(func(t *testing.T, b []byte, chunk byte) {
		if tfSparse(b) {
			return
		}
		want := tfReference(b)
		got := tfFrame(b, []int{int(chunk), 511, int(chunk) * 7})
		if (got == nil) != (want == nil) {
			t.Fatalf("tarFrame says %v, archive/tar %v", got, want)
		}
	})
}
