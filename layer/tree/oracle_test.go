package tree

import (
	"archive/tar"
	"bytes"
	"io"
	"sort"
	"strings"
)

// The oracle: an independent, deliberately naive model of how docker and
// containerd apply layers, on a map of full path strings, reading the
// layers with archive/tar. Merge must agree with it on every path, every
// number and the merge findings.

type onode struct {
	typ            byte // tar type flag; 0 for an implied directory
	layer, index   int
	link           string
	size           int64
	clayer, cindex int // the entry holding the bytes (hard links: the target's)
}

type oracle struct {
	fs       map[string]*onode // "" is the root
	layers   [][]oentry
	changes  []LayerChange
	findings map[string]bool // "kind layer path"
	li       int
}

type oentry struct {
	name, link string
	typ        byte
	size       int64
	mode       int64
	mtime      int64
}

func readOracleLayer(data []byte) []oentry {
	tr := tar.NewReader(bytes.NewReader(data))
	var out []oentry
	for {
		h, err := tr.Next()
		if err != nil {
			return out
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		out = append(out, oentry{name: h.Name, link: h.Linkname, typ: h.Typeflag, size: h.Size, mode: h.Mode, mtime: h.ModTime.Unix()})
		io.Copy(io.Discard, tr)
	}
}

// clean returns the components of a name: leading "/" dropped, "." and
// empty parts ignored, ".." dropping a component but never the root.
func oclean(name string) []string {
	var out []string
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

func ojoin(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func oparent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func runOracle(tars [][]byte) *oracle {
	o := &oracle{fs: map[string]*onode{"": {typ: tar.TypeDir, layer: -1, index: -1}}, findings: map[string]bool{}}
	for li, data := range tars {
		o.li = li
		o.layers = append(o.layers, readOracleLayer(data))
		o.changes = append(o.changes, LayerChange{})
		o.applyLayer()
	}
	return o
}

func (o *oracle) find(kind Kind, path string) {
	o.findings[string(kind)+" "+string(rune('0'+o.li))+" "+path] = true
}

func (o *oracle) isDir(p string) bool {
	n := o.fs[p]
	return n != nil && (n.typ == tar.TypeDir || n.typ == 0)
}

// resolve walks comps from dir; ok false when a component is missing or
// not a directory, or after too many links.
func (o *oracle) resolve(dir string, target string, followLast bool, hops *int) (string, bool) {
	cur := dir
	if strings.HasPrefix(target, "/") {
		cur = ""
	}
	parts := strings.Split(target, "/")
	for i, c := range parts {
		last := true
		for _, r := range parts[i+1:] {
			if r != "" && r != "." {
				last = false
			}
		}
		if c == "" {
			continue
		}
		if !o.isDir(cur) {
			return "", false
		}
		if c == "." {
			continue
		}
		if c == ".." {
			cur = oparent(cur)
			continue
		}
		next := ojoin(cur, c)
		n := o.fs[next]
		if n == nil {
			return "", false
		}
		if n.typ == tar.TypeSymlink && (!last || followLast) {
			if *hops++; *hops > MaxSymlinkHops {
				return "", false
			}
			r, ok := o.resolve(cur, n.link, true, hops)
			if !ok {
				return "", false
			}
			next = r
		}
		cur = next
	}
	return cur, true
}

// mkdirs resolves the parent components of an entry, creating missing
// directories and following symlinks; ok false at a non-directory.
func (o *oracle) mkdirs(comps []string) (string, bool) {
	cur, lit := "", ""
	for _, c := range comps {
		lit = ojoin(lit, c)
		next := ojoin(cur, c)
		n := o.fs[next]
		switch {
		case n == nil:
			o.fs[next] = &onode{layer: o.li, index: -1, clayer: o.li, cindex: -1}
		case n.typ == tar.TypeDir || n.typ == 0:
		case n.typ == tar.TypeSymlink:
			hops := 0
			r, ok := o.resolve(cur, n.link, true, &hops)
			if !ok || !o.isDir(r) {
				o.find(KindParentNotDir, lit)
				return "", false
			}
			o.find(KindThroughSymlink, lit)
			next = r
		default:
			o.find(KindParentNotDir, lit)
			return "", false
		}
		cur = next
	}
	return cur, true
}

// remove deletes p and everything under it, counting removed files.
func (o *oracle) remove(p string, keepSelf bool) {
	for k, n := range o.fs {
		if k == p && keepSelf || k != p && !strings.HasPrefix(k, p+"/") || p == "" && k == "" {
			continue
		}
		if n.typ != tar.TypeDir && n.typ != 0 && n.layer < o.li {
			o.changes[o.li].Removed++
		}
		delete(o.fs, k)
	}
}

// sortedKeys returns the map's keys in order (for determinism).
func (o *oracle) sortedKeys() []string {
	var ks []string
	for k := range o.fs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
