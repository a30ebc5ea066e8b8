package tree

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// seen is one entry as the differential tests compare it.
type seen struct {
	Name, Link, Uname, Gname string
	Type                     byte
	Size, Mode, UID, GID     int64
	Sec                      int64
	Nsec                     int
	Xattrs                   string
}

func xattrString(m map[string]string) string {
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, paxSchilyXattr) || strings.HasPrefix(k, paxLibarchXattr) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%q=%q;", k, m[k])
	}
	return b.String()
}

// readStdlib lists data with archive/tar: the entries it returns (global
// headers left out, as the walker applies them to nothing), whether it
// ends with io.EOF, and the sha256 of each regular, non-sparse body.
func readStdlib(data []byte) ([]seen, bool, map[int][32]byte) {
	tr := tar.NewReader(struct{ io.Reader }{bytes.NewReader(data)})
	var out []seen
	sums := map[int][32]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, true, sums
		}
		if err != nil {
			return out, false, sums
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		out = append(out, seen{
			Name: h.Name, Link: h.Linkname, Uname: h.Uname, Gname: h.Gname, Type: h.Typeflag,
			Size: h.Size, Mode: h.Mode, UID: int64(h.Uid), GID: int64(h.Gid),
			Sec: h.ModTime.Unix(), Nsec: h.ModTime.Nanosecond(), Xattrs: xattrString(h.PAXRecords),
		})
		sparse := h.Typeflag == tar.TypeGNUSparse || h.PAXRecords[sparseMajor] != "" || h.PAXRecords[sparseMap] != ""
		if h.Typeflag == tar.TypeReg && !sparse {
			hh := sha256.New()
			if _, err := io.Copy(hh, tr); err != nil {
				return out, false, sums
			}
			var d [32]byte
			hh.Sum(d[:0])
			sums[len(out)-1] = d
		}
	}
}

// walkChunks feeds data to a Walker in chunks of sizes drawn from rng
// (1 byte up) and returns what it saw.
func walkChunks(data []byte, rng *rand.Rand, opts Options) ([]seen, *Layer) {
	w := NewWalker(opts)
	var out []seen
	w.hook = func(h *header) {
		m := map[string]string{}
		for _, x := range h.xattrs {
			m[x.key] = x.value
		}
		out = append(out, seen{
			Name: string(h.name), Link: string(h.linkname), Uname: string(h.uname), Gname: string(h.gname),
			Type: h.typeflag, Size: h.size, Mode: h.mode, UID: h.uid, GID: h.gid,
			Sec: h.mtime, Nsec: int(h.nsec), Xattrs: xattrString(m),
		})
	}
	for p := data; len(p) > 0; {
		n := len(p)
		if rng != nil {
			switch rng.IntN(4) {
			case 0:
				n = 1 + rng.IntN(8)
			case 1:
				n = 1 + rng.IntN(1500)
			case 2:
				n = 512 * (1 + rng.IntN(4))
			}
		}
		n = min(n, len(p))
		if k, err := w.Write(p[:n]); k != n || err != nil {
			panic("Write did not consume everything")
		}
		p = p[n:]
	}
	return out, w.Finish()
}

func hasKind(l *Layer, k Kind) bool {
	for _, f := range l.Findings {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// compareWithStdlib checks the walker against archive/tar on data.
func compareWithStdlib(t *testing.T, name string, data []byte, rng *rand.Rand) {
	t.Helper()
	want, wantValid, sums := readStdlib(data)
	got, l := walkChunks(data, rng, Options{HashFiles: true})
	gotValid := !hasKind(l, KindInvalidTar)
	if gotValid != wantValid {
		t.Fatalf("%s: valid = %v, archive/tar says %v (findings %v)", name, gotValid, wantValid, l.Findings)
	}
	if !wantValid && len(got) > len(want) {
		got = got[:len(want)] // archive/tar may fail on the entry the walker reported
	}
	if wantValid && len(got) != len(want) || len(got) < len(want)-1 {
		t.Fatalf("%s: %d entries, archive/tar %d\n got %+v\nwant %+v", name, len(got), len(want), got, want)
	}
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s: entry %d:\n got %+v\nwant %+v", name, i, got[i], want[i])
		}
	}
	if wantValid {
		checkDigests(t, name, l, sums)
	}
}

// checkDigests compares the walker's per-file digests with sha256 of the
// bodies archive/tar returned. Entries the walker did not record (too
// long names) shift indices, so compare only when all were recorded.
func checkDigests(t *testing.T, name string, l *Layer, sums map[int][32]byte) {
	t.Helper()
	if hasKind(l, KindBadName) {
		return
	}
	for i := 0; i < l.entries.len(); i++ {
		e := l.entries.at(i)
		want, ok := sums[i]
		if e.kind != kFile || !ok {
			continue
		}
		if e.aux == 0 || l.digests[e.aux-1] != want {
			t.Fatalf("%s: entry %d digest differs from sha256 of archive/tar's body", name, i)
		}
	}
}

// tarOf writes headers (and bodies of their size) with archive/tar.
func tarOf(t testing.TB, hdrs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("%q: %v", h.Name, err)
		}
		if h.Typeflag == tar.TypeReg || h.Typeflag == 0 {
			tw.Write(bytes.Repeat([]byte{'x'}, int(h.Size)))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWalkerHandMade(t *testing.T) {
	mt := time.Unix(1700000000, 0)
	long := strings.Repeat("long/", 40) + "file"
	cases := map[string][]byte{
		"empty":          tarOf(t),
		"ustar":          tarOf(t, &tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mt, Format: tar.FormatUSTAR}, &tar.Header{Name: "etc/passwd", Size: 10, Mode: 0o644, ModTime: mt, Uname: "root", Format: tar.FormatUSTAR}),
		"prefix":         tarOf(t, &tar.Header{Name: strings.Repeat("d/", 60) + "f", Size: 3, Mode: 0o644, Format: tar.FormatUSTAR}),
		"pax":            tarOf(t, &tar.Header{Name: long, Size: 700, Mode: 0o4755, ModTime: time.Unix(1700000000, 123456789), Uid: 1 << 30, Format: tar.FormatPAX, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00", "SCHILY.xattr.user.x": "y", "LIBARCHIVE.xattr.user.%41": "eg=="}}),
		"gnu":            tarOf(t, &tar.Header{Name: long, Linkname: long + "2", Typeflag: tar.TypeSymlink, Uid: 1 << 40, Format: tar.FormatGNU}),
		"links":          tarOf(t, &tar.Header{Name: "a", Size: 1}, &tar.Header{Name: "b", Typeflag: tar.TypeLink, Linkname: "a"}, &tar.Header{Name: "c", Typeflag: tar.TypeSymlink, Linkname: "../../x"}, &tar.Header{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}, &tar.Header{Name: "p", Typeflag: tar.TypeFifo}),
		"whiteouts":      tarOf(t, &tar.Header{Name: "a/", Typeflag: tar.TypeDir}, &tar.Header{Name: "a/.wh..wh..opq"}, &tar.Header{Name: "a/.wh.b"}, &tar.Header{Name: ".wh.."}),
		"global":         tarOf(t, &tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "g", PAXRecords: map[string]string{"comment": "x"}}, &tar.Header{Name: "f", Size: 2}),
		"negative mtime": tarOf(t, &tar.Header{Name: "f", ModTime: time.Unix(-5, 500), Format: tar.FormatPAX}),
	}
	for name, data := range cases {
		for seed := range uint64(20) {
			compareWithStdlib(t, name, data, rand.New(rand.NewPCG(seed, 1)))
		}
		for cut := 0; cut < len(data); cut += 1 + len(data)/97 {
			compareWithStdlib(t, fmt.Sprintf("%s cut at %d", name, cut), data[:cut], rand.New(rand.NewPCG(uint64(cut), 2)))
		}
	}
}
