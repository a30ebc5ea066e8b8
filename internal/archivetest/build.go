package archivetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// value is a section's evaluated bytes.
type value struct {
	data   []byte
	diffID string // sha256:<hex> of the uncompressed layer tar
}

// builder evaluates sections lazily, each once.
type builder struct {
	c       *Case
	byName  map[string]*Section
	done    map[*Section]*value
	working map[*Section]bool
}

func newBuilder(c *Case) *builder {
	b := &builder{c: c, byName: map[string]*Section{}, done: map[*Section]*value{}, working: map[*Section]bool{}}
	for _, s := range c.Sections {
		if _, ok := b.byName[s.Name]; !ok {
			b.byName[s.Name] = s
		}
	}
	return b
}

func (b *builder) errf(s *Section, format string, args ...any) error {
	return fmt.Errorf("%s:%d: section %q: %s", b.c.Name, s.Line, s.Name, fmt.Sprintf(format, args...))
}

// Bytes returns the evaluated bytes of the section labelled name.
func (c *Case) Bytes(name string) ([]byte, error) {
	b := newBuilder(c)
	s, ok := b.byName[name]
	if !ok {
		return nil, fmt.Errorf("%s: no section %q", c.Name, name)
	}
	v, err := b.eval(s)
	if err != nil {
		return nil, err
	}
	return v.data, nil
}

func (b *builder) eval(s *Section) (*value, error) {
	if v, ok := b.done[s]; ok {
		return v, nil
	}
	if b.working[s] {
		return nil, b.errf(s, "placeholder cycle")
	}
	b.working[s] = true
	defer delete(b.working, s)

	body := s.Body
	if !s.has("raw") {
		var err error
		if body, err = b.expand(body); err != nil {
			return nil, b.errf(s, "%v", err)
		}
	}
	data := []byte(body)
	switch {
	case s.has("base64"):
		d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
		if err != nil {
			return nil, b.errf(s, "base64: %v", err)
		}
		data = d
	case s.has("hex"):
		d, err := hex.DecodeString(strings.Join(strings.Fields(body), ""))
		if err != nil {
			return nil, b.errf(s, "hex: %v", err)
		}
		data = d
	}
	v := &value{}
	if m, ok := s.mod("layer"); ok {
		t, err := layerTar(body)
		if err != nil {
			return nil, b.errf(s, "layer: %v", err)
		}
		v.diffID = sha256Digest(t)
		if data, err = compress(m.Args[0], t); err != nil {
			return nil, b.errf(s, "layer: %v", err)
		}
	}
	if m, ok := s.mod("prepend"); ok {
		p, err := hex.DecodeString(m.Args[0])
		if err != nil {
			return nil, b.errf(s, "prepend: %v", err)
		}
		data = append(p, data...)
	}
	if m, ok := s.mod("append"); ok {
		p, err := hex.DecodeString(m.Args[0])
		if err != nil {
			return nil, b.errf(s, "append: %v", err)
		}
		data = append(data, p...)
	}
	if m, ok := s.mod("flip"); ok {
		var err error
		if data, err = flip(data, m.Args[0]); err != nil {
			return nil, b.errf(s, "%v", err)
		}
	}
	if m, ok := s.mod("sparse"); ok {
		n, err := strconv.Atoi(m.Args[0])
		if err != nil || n < 0 {
			return nil, b.errf(s, "sparse %q: not a size", m.Args[0])
		}
		data = append(data, make([]byte, n)...) // the expanded bytes
	}
	if v.diffID == "" {
		v.diffID = sha256Digest(data)
	}
	v.data = data
	b.done[s] = v
	return v, nil
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func flip(data []byte, arg string) ([]byte, error) {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("flip %q: %v", arg, err)
	}
	if n < 0 {
		n += int64(len(data))
	}
	if n < 0 || n >= int64(len(data)) {
		return nil, fmt.Errorf("flip %s: outside %d bytes", arg, len(data))
	}
	out := append([]byte(nil), data...)
	out[n] ^= 0xff
	return out, nil
}

// expand replaces the placeholders of s.
func (b *builder) expand(s string) (string, error) {
	var out strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			out.WriteString(s)
			return out.String(), nil
		}
		// "{{{x}}" is a literal "{" and then "{{x}}".
		for i+2 < len(s) && s[i+2] == '{' {
			i++
		}
		out.WriteString(s[:i])
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unclosed {{ in %q", clip(s[i:]))
		}
		action := strings.Fields(s[i+2 : i+j])
		s = s[i+j+2:]
		if len(action) == 0 {
			return "", fmt.Errorf("empty {{}}")
		}
		if action[0] == "repeat" {
			if len(action) < 2 || len(action) > 3 {
				return "", fmt.Errorf("want {{repeat N}} or {{repeat N SEP}}")
			}
			n, err := strconv.Atoi(action[1])
			if err != nil || n < 0 || n > 10_000_000 {
				return "", fmt.Errorf("repeat %q: not a count", action[1])
			}
			inner, rest, err := matchEnd(s)
			if err != nil {
				return "", err
			}
			text, err := b.expand(inner)
			if err != nil {
				return "", err
			}
			sep := ""
			if len(action) == 3 {
				sep = action[2]
			}
			for k := 0; k < n; k++ {
				if k > 0 {
					out.WriteString(sep)
				}
				out.WriteString(text)
			}
			s = rest
			continue
		}
		text, err := b.placeholder(action)
		if err != nil {
			return "", err
		}
		out.WriteString(text)
	}
}

// matchEnd splits s at the {{end}} that closes a {{repeat}}.
func matchEnd(s string) (inner, rest string, err error) {
	depth := 0
	for k := 0; k < len(s); {
		i := strings.Index(s[k:], "{{")
		if i < 0 {
			break
		}
		i += k
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		action := strings.Fields(s[i+2 : i+j])
		switch {
		case len(action) > 0 && action[0] == "repeat":
			depth++
		case len(action) == 1 && action[0] == "end":
			if depth == 0 {
				return s[:i], s[i+j+2:], nil
			}
			depth--
		}
		k = i + 2
	}
	return "", "", fmt.Errorf("{{repeat}} without {{end}}")
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func (b *builder) placeholder(action []string) (string, error) {
	fn := action[0]
	if fn == "bytes" {
		if len(action) != 2 {
			return "", fmt.Errorf("want {{bytes HEX}}")
		}
		d, err := hex.DecodeString(action[1])
		return string(d), err
	}
	if len(action) < 2 || len(action) > 3 || (len(action) == 3 && fn != "size") {
		return "", fmt.Errorf("bad placeholder {{%s}}", strings.Join(action, " "))
	}
	s, ok := b.byName[action[1]]
	if !ok {
		return "", fmt.Errorf("{{%s}}: no section %q", strings.Join(action, " "), action[1])
	}
	v, err := b.eval(s)
	if err != nil {
		return "", err
	}
	switch fn {
	case "digest":
		return sha256Digest(v.data), nil
	case "hex":
		return strings.TrimPrefix(sha256Digest(v.data), "sha256:"), nil
	case "sha512":
		sum := sha512.Sum512(v.data)
		return "sha512:" + hex.EncodeToString(sum[:]), nil
	case "diffid":
		return v.diffID, nil
	case "size":
		n := int64(len(v.data))
		if len(action) == 3 {
			d, err := strconv.ParseInt(action[2], 10, 64)
			if err != nil {
				return "", fmt.Errorf("{{size %s %s}}: %v", action[1], action[2], err)
			}
			n += d
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", fmt.Errorf("unknown placeholder {{%s}}", fn)
}

// epoch is the modification time of every entry, for reproducible bytes.
var epoch = time.Unix(0, 0)

// layerTar builds a layer tar from "path: content" lines.
func layerTar(body string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		hdr := &tar.Header{ModTime: epoch, Mode: 0o644, Format: tar.FormatPAX}
		var content string
		switch {
		case strings.Contains(line, " -> "):
			name, target, _ := strings.Cut(line, " -> ")
			hdr.Typeflag, hdr.Name, hdr.Linkname, hdr.Mode = tar.TypeSymlink, name, target, 0o777
		case strings.Contains(line, " => "):
			name, target, _ := strings.Cut(line, " => ")
			hdr.Typeflag, hdr.Name, hdr.Linkname = tar.TypeLink, name, target
		case strings.HasSuffix(line, "/") && !strings.Contains(line, ": "):
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, line, 0o755
		default:
			name, c, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("line %q: want path: content, path/, path -> target or path => target", clip(line))
			}
			content = strings.TrimPrefix(c, " ")
			hdr.Typeflag, hdr.Name, hdr.Size = tar.TypeReg, name, int64(len(content))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// compress compresses b as a layer would be.
func compress(how string, b []byte) ([]byte, error) {
	switch how {
	case "none":
		return b, nil
	case "gzip":
		return gzipOf(b)
	case "gzip-multi":
		half := len(b) / 2
		x, err := gzipOf(b[:half])
		if err != nil {
			return nil, err
		}
		y, err := gzipOf(b[half:])
		return append(x, y...), err
	case "zstd":
		return zstdOf(b)
	}
	return nil, fmt.Errorf("compression %q: want none, gzip, gzip-multi or zstd", how)
}

func gzipOf(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	err := zw.Close()
	return buf.Bytes(), err
}

func zstdOf(b []byte) ([]byte, error) {
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, err
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil), nil
}

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
			return "blobs/sha256/" + strings.TrimPrefix(sha256Digest(v.data), "sha256:"), nil
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

// tar writes every written section as a tar entry, in order.
func (b *builder) tar() ([]byte, error) {
	var buf bytes.Buffer
	for _, s := range b.c.Sections {
		if s.has("def") || s.has("outside") {
			continue
		}
		name, err := b.path(s)
		if err != nil {
			return nil, err
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
				return nil, err
			}
		case s.has("device"):
			hdr.Typeflag, hdr.Devmajor, hdr.Devminor = tar.TypeChar, 1, 3
		case s.has("fifo"):
			hdr.Typeflag = tar.TypeFifo
		default:
			v, err := b.eval(s)
			if err != nil {
				return nil, err
			}
			data = v.data
			hdr.Size = int64(len(data))
		}
		if m, ok := s.mod("sparse"); ok {
			hole, _ := strconv.Atoi(m.Args[0])
			if err := writeSparse(&buf, name, data[:len(data)-hole], int64(len(data))); err != nil {
				return nil, b.errf(s, "sparse: %v", err)
			}
			continue
		}
		if m, ok := s.mod("size"); ok {
			n, err := strconv.ParseInt(m.Args[0], 10, 64)
			if err != nil {
				return nil, b.errf(s, "size: %v", err)
			}
			hdr.Size = n
			if err := tar.NewWriter(&buf).WriteHeader(hdr); err != nil {
				return nil, b.errf(s, "size: %v", err)
			}
			buf.Write(data)
			if int64(len(data)) < n {
				return buf.Bytes(), nil // the archive ends inside this entry
			}
			pad(&buf)
			continue
		}
		tw := tar.NewWriter(&buf)
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, b.errf(s, "%v", err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, b.errf(s, "%v", err)
		}
		if err := tw.Flush(); err != nil {
			return nil, b.errf(s, "%v", err)
		}
	}
	buf.Write(make([]byte, 1024)) // end of archive
	return buf.Bytes(), nil
}

func pad(buf *bytes.Buffer) {
	if r := buf.Len() % 512; r != 0 {
		buf.Write(make([]byte, 512-r))
	}
}

// writeSparse writes a PAX 1.0 sparse member: data at offset 0, then a
// hole up to realSize. archive/tar reads these but will not write them.
func writeSparse(buf *bytes.Buffer, name string, data []byte, realSize int64) error {
	records := ""
	for _, kv := range [][2]string{
		{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"},
		{"GNU.sparse.name", name}, {"GNU.sparse.realsize", strconv.FormatInt(realSize, 10)},
	} {
		records += paxRecord(kv[0], kv[1])
	}
	buf.Write(rawHeader("PaxHeaders.0/"+shortName(name), 'x', int64(len(records)), ""))
	buf.WriteString(records)
	pad(buf)
	sparseMap := fmt.Sprintf("1\n0\n%d\n", len(data))
	block := len(sparseMap) + (512-len(sparseMap)%512)%512
	buf.Write(rawHeader("GNUSparseFile.0/"+shortName(name), '0', int64(block+len(data)), ""))
	buf.WriteString(sparseMap)
	pad(buf)
	buf.Write(data)
	pad(buf)
	return nil
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
	for _, s := range c.Sections {
		if s.has("def") {
			continue
		}
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
		case s.has("device"), s.has("fifo"), s.has("size"), s.has("sparse"):
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
	}
	return nil
}
