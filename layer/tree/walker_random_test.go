package tree

import (
	"archive/tar"
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// randomName draws names that exercise normalisation and long names.
func randomName(rng *rand.Rand) string {
	parts := []string{"a", "b", "usr", ".", "..", "", ".wh.a", ".wh..wh..opq", "é", strings.Repeat("x", 100+rng.IntN(60))}
	n := 1 + rng.IntN(4)
	var b []string
	for range n {
		b = append(b, parts[rng.IntN(len(parts))])
	}
	s := strings.Join(b, "/")
	switch rng.IntN(6) {
	case 0:
		s = "/" + s
	case 1:
		s = "./" + s
	case 2:
		s += "/"
	}
	return s
}

// randomTar writes a random archive with archive/tar in a random format.
func randomTar(rng *rand.Rand) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	formats := []tar.Format{tar.FormatUnknown, tar.FormatUSTAR, tar.FormatPAX, tar.FormatGNU}
	types := []byte{tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeChar, tar.TypeFifo, tar.TypeReg, tar.TypeReg}
	for range rng.IntN(8) {
		h := &tar.Header{
			Name: randomName(rng), Typeflag: types[rng.IntN(len(types))], Mode: int64(rng.IntN(0o10000)),
			Uid: rng.IntN(3) * (1 << (rng.IntN(40))), Gid: rng.IntN(70000), Uname: []string{"", "root", "ü"}[rng.IntN(3)],
			ModTime: time.Unix(int64(rng.IntN(2e9))-1e8, int64(rng.IntN(3))*int64(rng.IntN(1e9))),
			Format:  formats[rng.IntN(len(formats))],
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(rng.IntN(1200))
		}
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			h.Linkname = randomName(rng)
		}
		if rng.IntN(4) == 0 && h.Format != tar.FormatUSTAR && h.Format != tar.FormatGNU {
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": "c", "SCHILY.xattr.user.e": ""}
		}
		if tw.WriteHeader(h) != nil {
			continue
		}
		tw.Write(bytes.Repeat([]byte{byte(rng.IntN(256))}, int(h.Size)))
	}
	if rng.IntN(5) > 0 {
		tw.Close()
	}
	return buf.Bytes()
}

// mutate damages data in one of a few ways, or not at all.
func mutate(rng *rand.Rand, data []byte) []byte {
	data = append([]byte(nil), data...)
	if len(data) == 0 {
		return data
	}
	switch rng.IntN(6) {
	case 0:
		data[rng.IntN(len(data))] ^= byte(1 + rng.IntN(255))
	case 1:
		return data[:rng.IntN(len(data))]
	case 2:
		return append(data, bytes.Repeat([]byte{byte(rng.IntN(2))}, rng.IntN(1500))...)
	case 3:
		i := rng.IntN(len(data))
		data[i] = "0123456789 \x00x"[rng.IntN(13)]
	}
	return data
}

func TestWalkerRandom(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 7))
		data := mutate(rng, randomTar(rng))
		compareWithStdlib(t, "random", data, rng)
	}
}

// TestWalkerGNUTar compares on archives GNU tar 1.34 wrote (see
// testdata/README.md): V7, old GNU, GNU with base-256 ids, POSIX with
// fractional mtimes, and the four sparse formats.
func TestWalkerGNUTar(t *testing.T) {
	files, _ := filepath.Glob("testdata/tars/*.tar")
	if len(files) < 8 {
		t.Fatalf("found %d GNU tar fixtures, want 8", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for seed := range uint64(10) {
			compareWithStdlib(t, f, data, rand.New(rand.NewPCG(seed, 3)))
		}
		for cut := 0; cut < len(data); cut += 7 {
			compareWithStdlib(t, f, data[:cut], nil)
		}
		for i := 0; i < len(data); i += 3 {
			d := append([]byte(nil), data...)
			d[i] ^= 0x55
			compareWithStdlib(t, f, d, nil)
		}
	}
}

func FuzzWalker(f *testing.F) {
	files, _ := filepath.Glob("testdata/tars/*.tar")
	for _, name := range files {
		data, _ := os.ReadFile(name)
		f.Add(data, uint64(1))
	}
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 9))
		f.Add(randomTar(rng), seed)
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		compareWithStdlib(t, "fuzz", data, rand.New(rand.NewPCG(seed, 0)))
	})
}
