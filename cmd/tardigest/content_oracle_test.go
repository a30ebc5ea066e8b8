package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The oracle of the content commands: GNU tar lists and extracts each
// layer of a docker-archive (tar -tv, tar -xO), and a naive merge written
// here, independently of package layer/tree, applies the listings in
// order. ls, layers, waste and cat must agree with it.

// gnuEntry is one line of tar -tv --numeric-owner --full-time.
type gnuEntry struct {
	Path, Link string
	Type       byte // the mode string's first character: - d l h c b p
	Mode       uint32
	UID, GID   uint32
	Size       int64
	MTime      int64
}

// gnuTar runs GNU tar with stdin.
func gnuTar(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("GNU tar is not installed")
	}
	cmd := exec.Command("tar", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tar %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// gnuList lists a layer tar with GNU tar.
func gnuList(t *testing.T, layer []byte) []gnuEntry {
	t.Helper()
	var out []gnuEntry
	for _, line := range strings.Split(strings.TrimSuffix(string(gnuTar(t, layer, "-tvf", "-", "--numeric-owner", "--full-time", "--quoting-style=literal")), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("tar -tv line %q", line)
		}
		rest := line[strings.Index(line, f[4])+len(f[4])+1:]
		e := gnuEntry{Type: f[0][0], Mode: parseMode(t, f[0])}
		ids := strings.SplitN(f[1], "/", 2)
		e.UID, e.GID = uint32(atoi(t, ids[0])), uint32(atoi(t, ids[1]))
		e.Size = int64(atoi(t, f[2]))
		mt, err := time.Parse("2006-01-02 15:04:05", f[3]+" "+f[4])
		if err != nil {
			t.Fatal(err)
		}
		e.MTime = mt.Unix()
		switch e.Type {
		case 'l':
			e.Path, e.Link, _ = strings.Cut(rest, " -> ")
		case 'h':
			e.Path, e.Link, _ = strings.Cut(rest, " link to ")
		default:
			e.Path = rest
		}
		e.Path = strings.TrimSuffix(strings.TrimPrefix(e.Path, "./"), "/")
		out = append(out, e)
	}
	return out
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// parseMode reads the permission bits of "-rwsr-xr-x".
func parseMode(t *testing.T, s string) uint32 {
	t.Helper()
	var m uint32
	for i, c := range s[1:10] {
		bit := uint32(1) << (8 - i)
		switch c {
		case 'r', 'w', 'x':
			m |= bit
		case 's', 't':
			m |= bit | special(i)
		case 'S', 'T':
			m |= special(i)
		}
	}
	return m
}

func special(i int) uint32 {
	switch i {
	case 2:
		return 0o4000
	case 5:
		return 0o2000
	}
	return 0o1000
}

// dockerLayers extracts the layer tars of a docker-archive with GNU tar,
// in the order manifest.json gives.
func dockerLayers(t *testing.T, archive []byte) [][]byte {
	t.Helper()
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(gnuTar(t, archive, "-xOf", "-", "manifest.json"), &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %v", err)
	}
	var out [][]byte
	for _, l := range manifest[0].Layers {
		out = append(out, gnuTar(t, archive, "-xOf", "-", l))
	}
	return out
}

// onode is one path of the oracle's merged filesystem: the entry that
// wrote it (implied directories have none), its layer, and for a file
// the entry that holds its bytes.
type onode struct {
	e        *gnuEntry
	layer    int
	implied  bool
	content  *gnuEntry
	conLayer int
}

// oracle merges GNU tar listings naively: a map from path to node, whole
// subtrees deleted by prefix.
type oracle struct {
	fs      map[string]*onode
	changes []oracleChange
	layers  [][]gnuEntry
}

type oracleChange struct{ added, changed, removed, whiteouts int }

func newOracle(layers [][]gnuEntry) *oracle {
	o := &oracle{fs: map[string]*onode{}, layers: layers, changes: make([]oracleChange, len(layers))}
	for i := range layers {
		for k := range layers[i] {
			o.apply(i, &layers[i][k])
		}
	}
	return o
}

func under(p, dir string) bool { return dir == "." || strings.HasPrefix(p, dir+"/") }

func (o *oracle) apply(i int, e *gnuEntry) {
	dir, base := path.Dir(e.Path), path.Base(e.Path)
	switch {
	case base == ".wh..wh..opq":
		o.changes[i].whiteouts++
		o.opaque(i, dir)
	case strings.HasPrefix(base, ".wh."):
		o.changes[i].whiteouts++
		o.remove(i, path.Join(dir, base[4:]))
	default:
		o.write(i, e)
	}
}

// remove deletes p and everything under it, counting non-directories a
// lower layer wrote.
func (o *oracle) remove(i int, p string) {
	for q, n := range o.fs {
		if q == p || under(q, p) {
			if n.e != nil && n.e.Type != 'd' && n.layer < i {
				o.changes[i].removed++
			}
			delete(o.fs, q)
		}
	}
}

// opaque hides what lower layers put under dir, keeping what layer i
// wrote and the directories that lead to it.
func (o *oracle) opaque(i int, dir string) {
	keep := map[string]bool{}
	for q, n := range o.fs {
		if under(q, dir) && n.layer == i {
			for p := q; p != dir && p != "."; p = path.Dir(p) {
				keep[p] = true
			}
		}
	}
	for q, n := range o.fs {
		if under(q, dir) && !keep[q] {
			if n.e != nil && n.e.Type != 'd' {
				o.changes[i].removed++
			}
			delete(o.fs, q)
		}
	}
}

func (o *oracle) write(i int, e *gnuEntry) {
	for p := path.Dir(e.Path); p != "."; p = path.Dir(p) {
		if _, ok := o.fs[p]; !ok {
			o.fs[p] = &onode{layer: i, implied: true}
		}
	}
	old, exists := o.fs[e.Path]
	n := &onode{e: e, layer: i, content: e, conLayer: i}
	if e.Type == 'h' {
		target := o.fs[strings.TrimSuffix(e.Link, "/")]
		n.content, n.conLayer = target.content, target.conLayer
	}
	if e.Type != 'd' {
		wasDir := exists && (old.e == nil || old.e.Type == 'd')
		switch {
		case !exists:
			o.changes[i].added++
		case old.layer < i:
			o.changes[i].changed++
		case wasDir:
			o.changes[i].added++ // a directory this layer implied
		}
		if wasDir {
			o.remove(i, e.Path)
		}
	}
	o.fs[e.Path] = n
}

// reclaimable is, per layer, the bytes of regular files no visible path
// shows, at their own path or through a hard link.
func (o *oracle) reclaimable() []int64 {
	live := map[*gnuEntry]bool{}
	for _, n := range o.fs {
		if n.content != nil {
			live[n.content] = true
		}
	}
	out := make([]int64, len(o.layers))
	for i := range o.layers {
		for k := range o.layers[i] {
			e := &o.layers[i][k]
			if e.Type == '-' && !strings.HasPrefix(path.Base(e.Path), ".wh.") && !live[e] {
				out[i] += e.Size
			}
		}
	}
	return out
}

// sortedPaths lists the merged filesystem's paths in ls -R order:
// component by component.
func (o *oracle) sortedPaths() []string {
	var ps []string
	for p := range o.fs {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(a, b int) bool {
		return strings.ReplaceAll(ps[a], "/", "\x00") < strings.ReplaceAll(ps[b], "/", "\x00")
	})
	return ps
}

// resolve follows symlinks in the oracle's merged filesystem as a
// process chrooted to the image root would: absolute targets start at
// the root, ".." at the root stays there, 40 links at most (Linux's
// ELOOP). It returns the path of what p names, without leading slash
// ("." for the root), and false when p names nothing.
func (o *oracle) resolve(p string) (string, bool) {
	todo := strings.Split(strings.Trim(p, "/"), "/")
	cur, links := ".", 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		n, ok := o.fs[next]
		if !ok {
			return "", false
		}
		if n.e == nil || n.e.Type != 'l' {
			cur = next
			continue
		}
		if links++; links > 40 {
			return "", false
		}
		if strings.HasPrefix(n.e.Link, "/") {
			cur = "."
		}
		todo = append(strings.Split(n.e.Link, "/"), todo...)
	}
	return cur, true
}
