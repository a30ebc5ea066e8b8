package archivetest

import (
	"archive/tar"
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// path is where section s goes in the archive.
func (b *builder) path(s *Section) (string, error) {
	if m, ok := s.mod("at"); ok {
		p, err := b.expand(m.Args[0])
		if err != nil {
			return "", b.errf(s, "at: %v", err)
		}
		return p, nil
	}
	if m, ok := s.mod("blob"); ok {
		v, err := b.eval(s)
		if err != nil {
			return "", err
		}
		alg := "sha256"
		if len(m.Args) == 1 {
			alg = m.Args[0]
		}
		switch alg {
		case "sha256":
			return "blobs/sha256/" + strings.TrimPrefix(v.sha256(), "sha256:"), nil
		case "sha512":
			sum := sha512.Sum512(v.data)
			return "blobs/sha512/" + hex.EncodeToString(sum[:]), nil
		}
		return "", b.errf(s, "blob %q: want sha256 or sha512", alg)
	}
	p, err := b.expand(s.Name)
	if err != nil {
		return "", b.errf(s, "name: %v", err)
	}
	return p, nil
}

func (b *builder) linkTarget(s *Section, key string) (string, error) {
	m, _ := s.mod(key)
	t, err := b.expand(m.Args[0])
	if err != nil {
		return "", b.errf(s, "%s: %v", key, err)
	}
	return t, nil
}

// Archive returns the bytes of the archive for every container but
// directory: the tar, compressed as the container says, then truncated and
// flipped as the header says; for raw, the one written section.
func (c *Case) Archive() ([]byte, error) {
	if c.Container == "directory" {
		return nil, fmt.Errorf("%s: a directory case has no archive bytes; use WriteDir", c.Name)
	}
	b := newBuilder(c)
	var out []byte
	var err error
	switch c.Container {
	case "raw":
		for _, s := range c.Sections {
			if s.has("def") || s.has("outside") {
				continue
			}
			v, err := b.eval(s)
			if err != nil {
				return nil, err
			}
			out = v.data
		}
	default:
		if out, err = b.tar(); err != nil {
			return nil, err
		}
		switch c.Container {
		case "tar+gzip":
			out, err = gzipOf(out)
		case "tar+zstd":
			out, err = zstdOf(out)
		}
		if err != nil {
			return nil, err
		}
	}
	return c.finish(out)
}

func (c *Case) finish(out []byte) ([]byte, error) {
	if c.HasTruncate {
		n := c.Truncate
		if n < 0 {
			n += int64(len(out))
		}
		if n < 0 || n > int64(len(out)) {
			return nil, fmt.Errorf("%s: truncate %d: archive has %d bytes", c.Name, c.Truncate, len(out))
		}
		out = out[:n]
	}
	for _, f := range c.Flip {
		var err error
		if out, err = flip(out, strconv.FormatInt(f, 10)); err != nil {
			return nil, fmt.Errorf("%s: %v", c.Name, err)
		}
	}
	return out, nil
}

// copies is how many times a section is written: N for (repeat N).
func copies(s *Section) (int, error) {
	m, ok := s.mod("repeat")
	if !ok {
		return 1, nil
	}
	n, err := strconv.Atoi(m.Args[0])
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, fmt.Errorf("repeat %q: not a count", m.Args[0])
	}
	return n, nil
}

// forEachCopy calls write for every copy of every written section, in
// order, with {{i}} set for a (repeat N) section and its cache cleared
// between copies.
func (b *builder) forEachCopy(write func(s *Section) error) error {
	for _, s := range b.c.Sections {
		if s.has("def") {
			continue
		}
		n, err := copies(s)
		if err != nil {
			return b.errf(s, "%v", err)
		}
		for k := 0; k < n; k++ {
			if s.has("repeat") {
				b.index = append(b.index, k)
				delete(b.done, s)
			}
			err := write(s)
			if s.has("repeat") {
				b.index = b.index[:len(b.index)-1]
				delete(b.done, s)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// tar writes every written section as a tar entry, in order.
func (b *builder) tar() ([]byte, error) {
	var buf bytes.Buffer
	ended := false
	err := b.forEachCopy(func(s *Section) error {
		if s.has("outside") || ended {
			return nil
		}
		var err error
		ended, err = b.tarEntry(&buf, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ended {
		buf.Write(make([]byte, 1024)) // end of archive
	}
	return buf.Bytes(), nil
}

// tarEntry writes one copy of section s as a tar entry, and reports
// whether the archive ends inside it ((size N) larger than the body).
func (b *builder) tarEntry(buf *bytes.Buffer, s *Section) (bool, error) {
	name, err := b.path(s)
	if err != nil {
		return false, err
	}
	hdr := &tar.Header{Name: name, ModTime: epoch, Mode: 0o644, Typeflag: tar.TypeReg}
	var data []byte
	switch {
	case s.has("dir"):
		hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		if !strings.HasSuffix(hdr.Name, "/") {
			hdr.Name += "/"
		}
	case s.has("symlink"), s.has("hardlink"):
		hdr.Typeflag, hdr.Mode = tar.TypeSymlink, 0o777
		key := "symlink"
		if s.has("hardlink") {
			hdr.Typeflag, hdr.Mode, key = tar.TypeLink, 0o644, "hardlink"
		}
		if hdr.Linkname, err = b.linkTarget(s, key); err != nil {
			return false, err
		}
	case s.has("device"):
		hdr.Typeflag, hdr.Devmajor, hdr.Devminor = tar.TypeChar, 1, 3
	case s.has("fifo"):
		hdr.Typeflag = tar.TypeFifo
	default:
		v, err := b.eval(s)
		if err != nil {
			return false, err
		}
		data = v.data
		hdr.Size = int64(len(data))
	}
	if m, ok := s.mod("sparse"); ok {
		writeSparseSection(buf, name, data, m)
		return false, nil
	}
	if m, ok := s.mod("size"); ok {
		return b.lyingSize(buf, s, hdr, data, m)
	}
	tw := tar.NewWriter(buf)
	if err := tw.WriteHeader(hdr); err != nil {
		return false, b.errf(s, "%v", err)
	}
	if _, err := tw.Write(data); err != nil {
		return false, b.errf(s, "%v", err)
	}
	if err := tw.Flush(); err != nil {
		return false, b.errf(s, "%v", err)
	}
	return false, nil
}

// lyingSize writes an entry whose header claims the size of a (size N)
// modifier: with fewer bytes in the body, the archive ends inside it.
func (b *builder) lyingSize(buf *bytes.Buffer, s *Section, hdr *tar.Header, data []byte, m Mod) (bool, error) {
	n, err := strconv.ParseInt(m.Args[0], 10, 64)
	if err != nil {
		return false, b.errf(s, "size: %v", err)
	}
	hdr.Size = n
	if err := tar.NewWriter(buf).WriteHeader(hdr); err != nil {
		return false, b.errf(s, "size: %v", err)
	}
	buf.Write(data)
	if int64(len(data)) < n {
		return true, nil
	}
	pad(buf)
	return false, nil
}

func pad(buf *bytes.Buffer) {
	if r := buf.Len() % 512; r != 0 {
		buf.Write(make([]byte, 512-r))
	}
}

// writeSparseSection writes the sparse member of a (sparse N [FORMAT])
// section whose bytes are data (expanded, unless the hole is large).
func writeSparseSection(buf *bytes.Buffer, name string, data []byte, m Mod) {
	hole, _ := sparseArgs(m)
	if hole <= maxExpandedHole {
		data = data[:int64(len(data))-hole]
	}
	format := "pax1.0"
	if len(m.Args) == 2 {
		format = m.Args[1]
	}
	writeSparse(buf, name, data, int64(len(data))+hole, format)
}

// writeSparse writes a sparse member: data at offset 0, then a hole up
// to realSize, in one of the encodings archive/tar reads but will not
// write: PAX 1.0 (the map at the start of the body), PAX 0.1 (the map in
// one record), PAX 0.0 (one record per number) or old GNU ('S', the map
// in the header).
func writeSparse(buf *bytes.Buffer, name string, data []byte, realSize int64, format string) {
	size, n := strconv.FormatInt(realSize, 10), strconv.Itoa(len(data))
	var records [][2]string
	switch format {
	case "gnu":
		buf.Write(gnuSparseHeader(name, int64(len(data)), realSize))
		buf.Write(data)
		pad(buf)
		return
	case "pax0.0":
		records = [][2]string{{"GNU.sparse.size", size}, {"GNU.sparse.numblocks", "1"}, {"GNU.sparse.offset", "0"}, {"GNU.sparse.numbytes", n}}
	case "pax0.1":
		records = [][2]string{{"GNU.sparse.size", size}, {"GNU.sparse.numblocks", "1"}, {"GNU.sparse.map", "0," + n}}
	default:
		records = [][2]string{{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.name", name}, {"GNU.sparse.realsize", size}}
	}
	text := ""
	for _, kv := range records {
		text += paxRecord(kv[0], kv[1])
	}
	buf.Write(rawHeader("PaxHeaders.0/"+shortName(name), 'x', int64(len(text)), ""))
	buf.WriteString(text)
	pad(buf)
	if format != "pax1.0" {
		buf.Write(rawHeader(name, '0', int64(len(data)), ""))
		buf.Write(data)
		pad(buf)
		return
	}
	sparseMap := fmt.Sprintf("1\n0\n%d\n", len(data))
	block := len(sparseMap) + (512-len(sparseMap)%512)%512
	buf.Write(rawHeader("GNUSparseFile.0/"+shortName(name), '0', int64(block+len(data)), ""))
	buf.WriteString(sparseMap)
	pad(buf)
	buf.Write(data)
	pad(buf)
}

// gnuSparseHeader is an old GNU sparse header ('S'): one data region at
// offset 0 of n bytes, in a file of realSize bytes.
func gnuSparseHeader(name string, n, realSize int64) []byte {
	h := rawHeader(name, 'S', n, "")
	copy(h[257:265], "ustar  \x00") // the GNU magic and version
	copy(h[386:398], fmt.Sprintf("%011o\x00", 0))
	copy(h[398:410], fmt.Sprintf("%011o\x00", n))
	copy(h[483:495], fmt.Sprintf("%011o\x00", realSize))
	return checksum(h)
}

func shortName(name string) string {
	name = filepath.Base(name)
	if len(name) > 60 {
		name = name[:60]
	}
	return name
}

// paxRecord formats one "%d key=value\n" record, whose length counts
// itself.
func paxRecord(k, v string) string {
	size := len(k) + len(v) + 3
	size += len(strconv.Itoa(size))
	rec := fmt.Sprintf("%d %s=%s\n", size, k, v)
	if len(rec) != size {
		size = len(rec)
		rec = fmt.Sprintf("%d %s=%s\n", size, k, v)
	}
	return rec
}

// rawHeader builds a USTAR header block by hand, for header types
// archive/tar refuses to write.
func rawHeader(name string, typeflag byte, size int64, linkname string) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], "0000644\x00")
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[136:148], "00000000000\x00")
	h[156] = typeflag
	copy(h[157:257], linkname)
	copy(h[257:263], "ustar\x00")
	copy(h[263:265], "00")
	return checksum(h)
}

// checksum sets the checksum field of a header block.
func checksum(h []byte) []byte {
	for i := 148; i < 156; i++ {
		h[i] = ' '
	}
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

// WriteDir writes a directory case: the layout into root, (outside)
// sections into outside. Both directories must exist.
func (c *Case) WriteDir(root, outside string) error {
	b := newBuilder(c)
	return b.forEachCopy(func(s *Section) error { return b.writeFile(s, root, outside) })
}

// writeFile writes one copy of section s into a directory container.
func (b *builder) writeFile(s *Section, root, outside string) error {
	name, err := b.path(s)
	if err != nil {
		return err
	}
	base := root
	if s.has("outside") {
		base = outside
	}
	p := filepath.Join(base, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	switch {
	case s.has("dir"):
		err = os.MkdirAll(p, 0o755)
	case s.has("symlink"):
		t, terr := b.linkTarget(s, "symlink")
		if terr != nil {
			return terr
		}
		err = os.Symlink(filepath.FromSlash(t), p)
	case s.has("hardlink"):
		t, terr := b.linkTarget(s, "hardlink")
		if terr != nil {
			return terr
		}
		err = os.Link(filepath.Join(root, filepath.FromSlash(t)), p)
	case s.has("fifo"):
		err = mkfifo(p)
	case s.has("sparse"):
		err = writeSparseFile(b, s, p)
	case s.has("device"), s.has("size"):
		return b.errf(s, "not possible in a directory container")
	default:
		v, verr := b.eval(s)
		if verr != nil {
			return verr
		}
		err = os.WriteFile(p, v.data, 0o644)
	}
	if err != nil {
		return b.errf(s, "%v", err)
	}
	return nil
}

// writeSparseFile writes a (sparse N) section of a directory container as
// a sparse file: its body, then a hole of N bytes.
func writeSparseFile(b *builder, s *Section, p string) error {
	m, _ := s.mod("sparse")
	hole, err := sparseArgs(m)
	if err != nil {
		return err
	}
	v, err := b.eval(s)
	if err != nil {
		return err
	}
	data := v.data
	if hole <= maxExpandedHole {
		data = data[:int64(len(data))-hole]
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	return os.Truncate(p, int64(len(data))+hole)
}
