package tarball

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// The differential test of name resolution: random small tars of
// directories, files, symlinks and hard links are read by tardigest and
// extracted to disk as docker load's untar extracts them; then every
// clean name either resolves, in tardigest, to the bytes the extracted
// file holds, or tardigest refuses it.

// exComponents are the names random entries are made of: few, so that
// entries collide, replace and link to each other.
var exComponents = []string{"a", "b", "c", "d"}

// exOp is one entry of a random tar.
type exOp struct {
	typ  byte // tar.TypeReg, TypeDir, TypeSymlink or TypeLink
	name string
	link string
	body string
}

// exProgram turns bytes into up to 15 entries, deterministically, so the
// fuzzer's mutations are structure-aware. Names repeat and links point
// at earlier names, and symlink targets climb with ".." through other
// links. Half the programs (an odd first byte) are tidy: each new name is
// a fresh one under a directory made before, links lead inside the
// archive and hard links to earlier files, so that the archive is mostly
// accepted and its links are resolved, not refused.
func exProgram(data []byte) []exOp {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	pathOf := func(max int, parts []string) string {
		n := 1 + next()%max
		el := make([]string, n)
		for i := range el {
			el[i] = parts[next()%len(parts)]
		}
		return strings.Join(el, "/")
	}
	var ops []exOp
	var names, files []string
	earlier := func() string {
		if len(names) == 0 || next()%4 == 0 {
			return pathOf(3, exComponents)
		}
		return names[next()%len(names)]
	}
	earlierFile := func() string {
		if len(files) == 0 || next()%8 == 0 {
			return earlier()
		}
		return files[next()%len(files)]
	}
	tidy := next()%2 == 1
	dirs, used := []string{""}, map[string]bool{}
	count := 1 + next()%12
	if tidy {
		count = 6 + next()%10 // room for links to reach what is made
	}
	for i := 0; len(data) > 0 && i < count; i++ {
		op := exOp{name: pathOf(3, exComponents)}
		if tidy {
			op.name = exFreshName(dirs[next()%len(dirs)], used, next)
		} else if next()%5 == 0 {
			op.name = earlier() // a repeat, or a name under a directory made before
			if next()%2 == 0 {
				op.name += "/" + exComponents[next()%len(exComponents)]
			}
		}
		k := next() % 8
		if tidy && k == 7 && len(files) == 0 {
			k = 0 // a hard link needs an earlier file
		}
		switch {
		case k < 3:
			op.typ, op.body = tar.TypeReg, fmt.Sprintf("file %d", i)
			files = append(files, op.name)
		case k < 5:
			op.typ = tar.TypeDir
			dirs = append(dirs, op.name)
		case k < 7:
			op.typ, op.link = tar.TypeSymlink, exSymlinkTarget(op.name, tidy, next, earlier, pathOf)
		default:
			op.typ, op.link = tar.TypeLink, exHardlinkTarget(op.name, next, earlierFile)
			if tidy {
				op.link = files[next()%len(files)]
			}
		}
		ops = append(ops, op)
		names = append(names, op.name)
		used[op.name] = true
	}
	if len(ops) == 0 {
		ops = append(ops, exOp{typ: tar.TypeReg, name: "a", body: "file 0"})
	}
	return ops
}

// exFreshName is a name under dir that no entry has; when dir is full,
// a name under x, a directory no other entry names.
func exFreshName(dir string, used map[string]bool, next func() int) string {
	start := next()
	for i := range exComponents {
		if n := path.Join(dir, exComponents[(start+i)%len(exComponents)]); !used[n] {
			return n
		}
	}
	return path.Join("x", dir, exComponents[start%len(exComponents)]) // a name no lookup reads
}

// exSymlinkTarget makes the target of a symlink at name: up to the
// root with "..", then an earlier name or a random path of components,
// "." and "..", sometimes with a trailing slash.
func exSymlinkTarget(name string, tidy bool, next func() int, earlier func() string, pathOf func(int, []string) string) string {
	up := strings.Count(name, "/")
	var t string
	k := next() % 7
	if tidy {
		k %= 2 // a target inside the archive
	}
	switch k {
	case 0, 3, 4:
		t = strings.Repeat("../", up) + earlier()
	case 1:
		t = strings.Repeat("../", up) + earlier() + "/../" + pathOf(2, exComponents)
	case 2, 5:
		t = pathOf(4, append(exComponents, "..", "."))
	default:
		t = "/" + earlier() // absolute: docker reads it inside its root
	}
	if next()%8 == 0 {
		t += "/"
	}
	return t
}

// exHardlinkTarget makes the target of a hard link at name: mostly an
// earlier file, sometimes the link itself, a name not yet made (a forward
// link), or a name that is not clean, which docker cleans as a string.
func exHardlinkTarget(name string, next func() int, earlierFile func() string) string {
	switch next() % 12 {
	case 0:
		return name
	case 1:
		return "./" + earlierFile()
	case 2:
		return earlierFile() + "/../" + exComponents[next()%len(exComponents)]
	case 3:
		return "/" + earlierFile()
	}
	return earlierFile()
}

func exTar(t testing.TB, ops []exOp) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, op := range ops {
		hdr := &tar.Header{Typeflag: op.typ, Name: op.name, Linkname: op.link, Mode: 0o755, Size: int64(len(op.body)), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(op.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exExtract extracts ops into root as docker's untar does (moby
// pkg/archive: Unpack and createTarFile, without chroot): a missing
// parent is made; an existing name is removed, all of it, unless both
// are directories; a symlink whose target joined to its directory
// leaves the root is refused, and so is a hard link whose target does;
// the kernel resolves the rest. os.Root stands in for the chroot: it
// refuses to leave the root where docker would stay inside it, and
// tardigest refuses those archives either way.
func exExtract(root *os.Root, ops []exOp) error {
	for _, op := range ops {
		if dir := path.Dir(op.name); dir != "." {
			if _, err := root.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
				if err := root.MkdirAll(dir, 0o755); err != nil {
					return err
				}
			}
		}
		if fi, err := root.Lstat(op.name); err == nil && !(fi.IsDir() && op.typ == tar.TypeDir) {
			if err := root.RemoveAll(op.name); err != nil {
				return err
			}
		}
		if err := exCreate(root, op); err != nil {
			return err
		}
	}
	return nil
}

func exCreate(root *os.Root, op exOp) error {
	switch op.typ {
	case tar.TypeDir:
		if fi, err := root.Lstat(op.name); err == nil && fi.IsDir() {
			return nil
		}
		return root.Mkdir(op.name, 0o755)
	case tar.TypeReg:
		f, err := root.OpenFile(op.name, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		_, err = f.WriteString(op.body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	case tar.TypeSymlink:
		if j := path.Join(path.Dir(op.name), op.link); j == ".." || strings.HasPrefix(j, "../") {
			return fmt.Errorf("breakout: %q -> %q", op.name, op.link)
		}
		return root.Symlink(op.link, op.name)
	}
	// docker joins the target to the root as a string: "/a" is "a".
	j := path.Join(".", op.link)
	if j == ".." || strings.HasPrefix(j, "../") {
		return fmt.Errorf("breakout: %q => %q", op.name, op.link)
	}
	return root.Link(j, op.name)
}

// exNames are every clean name of up to three components.
func exNames() []string {
	names := []string{}
	var add func(prefix string, depth int)
	add = func(prefix string, depth int) {
		for _, c := range exComponents {
			n := path.Join(prefix, c)
			names = append(names, n)
			if depth < 3 {
				add(n, depth+1)
			}
		}
	}
	add("", 1)
	return names
}

var exAllNames = exNames()

// exCheck is the differential property for one program. It returns
// how many names tardigest read through a link (0 when it refused the
// archive), so that a test can tell a generator that exercises links
// from one whose archives are all refused.
func exCheck(t *testing.T, ops []exOp) (linked int) {
	data := exTar(t, ops)
	opts := &Options{}
	opts.normalize()
	cat, err := readTar(context.Background(), bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("readTar: %v", err)
	}
	for _, f := range cat.findings {
		if f.Severity == SeverityError {
			return 0 // refused: whatever extraction does, verify fails
		}
	}
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := exExtract(root, ops); err != nil {
		t.Fatalf("tardigest accepts what extraction fails on (%v):\n%s", err, exDescribe(ops))
	}
	for _, name := range exAllNames {
		e, _, lerr := cat.lookup(name)
		got, rerr := root.ReadFile(name)
		switch {
		case lerr == nil && rerr != nil:
			t.Fatalf("%q: tardigest reads %q, extraction has no file there (%v):\n%s", name, e.name, rerr, exDescribe(ops))
		case lerr == nil && e.blob.Digest != digest.FromBytes(got):
			t.Fatalf("%q: tardigest reads %q (%s), extraction holds %q (%x):\n%s", name, e.name, e.blob.Digest, got, sha256.Sum256(got), exDescribe(ops))
		case errors.Is(lerr, ErrMissing) && rerr == nil:
			t.Fatalf("%q: tardigest says %v, extraction holds %q:\n%s", name, lerr, got, exDescribe(ops))
		case lerr == nil && e.name != name:
			linked++
		}
	}
	return linked + 1
}

func exDescribe(ops []exOp) string {
	var b strings.Builder
	for _, op := range ops {
		switch op.typ {
		case tar.TypeReg:
			fmt.Fprintf(&b, "  file %s: %s\n", op.name, op.body)
		case tar.TypeDir:
			fmt.Fprintf(&b, "  dir  %s/\n", op.name)
		case tar.TypeSymlink:
			fmt.Fprintf(&b, "  link %s -> %s\n", op.name, op.link)
		default:
			fmt.Fprintf(&b, "  hard %s => %s\n", op.name, op.link)
		}
	}
	return b.String()
}

// TestExtractionDifferential runs the property on random programs.
func TestExtractionDifferential(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 300
	}
	rng := rand.New(rand.NewPCG(1, 2))
	accepted, linked := 0, 0
	for i := 0; i < n; i++ {
		b := make([]byte, 16+rng.IntN(112))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if l := exCheck(t, exProgram(b)); l > 0 {
			accepted, linked = accepted+1, linked+l-1
		}
	}
	// The property holds trivially of archives tardigest refuses: a
	// generator that makes few others, or few names read through links,
	// tests nothing. (1000 programs: about 500 accepted, 300 names linked.)
	t.Logf("%d of %d random archives accepted, %d names read through a link", accepted, n, linked)
	if accepted < n/4 || linked < n/5 {
		t.Errorf("%d of %d random archives accepted, %d names read through a link: the generator no longer exercises resolution", accepted, n, linked)
	}
}

// TestExtractionDifferentialCanFail: the property notices a tardigest
// that reads names as strings, as it did before it modelled extraction.
func TestExtractionDifferentialCanFail(t *testing.T) {
	ops := []exOp{
		{typ: tar.TypeReg, name: "c/a/b", body: "box"},
		{typ: tar.TypeReg, name: "x/a/b", body: "evil"},
		{typ: tar.TypeDir, name: "x/y"},
		{typ: tar.TypeSymlink, name: "c/l", link: "../x/y"},
		{typ: tar.TypeSymlink, name: "b", link: "c/l/../a/b"},
	}
	opts := &Options{}
	opts.normalize()
	cat, err := readTar(context.Background(), bytes.NewReader(exTar(t, ops)), opts)
	if err != nil {
		t.Fatal(err)
	}
	// As a string, b is c/a/b ("box"); through the file system, c/l is
	// x/y, its parent x, so x/a/b ("evil"). tardigest must refuse b, not
	// read either.
	if e, _, err := cat.lookup("b"); err == nil {
		t.Errorf("lookup(b) = %q, want a refusal", e.name)
	}
	root, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := exExtract(root, ops); err != nil {
		t.Fatal(err)
	}
	if got, err := root.ReadFile("b"); err != nil || string(got) != "evil" {
		t.Errorf("extraction reads b as %q, %v; want evil", got, err)
	}
}

// FuzzExtraction is the differential property, fuzzed.
func FuzzExtraction(f *testing.F) {
	for _, s := range []string{"\x00\x00\x00", "\x01a\x02\x05\x00\x01\x02\x03", "\x02\x00\x03\x01\x04\x02\x00\x01\x00\x00\x02\x04\x03\x01", "\x00\x01\x00\x00\x00\x00\x03\x00\x00\x00\x02\x00\x02\x03\x00\x04",
		// tidy programs (an odd first byte): dirs, files, links inside
		"\x01\x09\x00\x04\x01\x03\x02\x00\x02\x05\x00\x03\x06\x00\x01\x02\x07\x00\x03\x05\x01\x00\x06\x01\x02\x03\x07\x01\x05\x00",
		"\x03\x0a\x01\x03\x02\x04\x00\x06\x01\x01\x05\x02\x02\x00\x03\x07\x00\x06\x00\x02\x04\x01\x06\x01\x01\x03\x00\x02\x07\x02\x01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exCheck(t, exProgram(data))
	})
}
