package tree

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
)

// Errors of Lookup and List.
var (
	// ErrNotFound is the class of a path that is not in the merged
	// filesystem (never written, or whited out).
	ErrNotFound = errors.New("no such file or directory")
	// ErrNotDir is the class of a path used as a directory that is not one.
	ErrNotDir = errors.New("not a directory")
	// ErrLoop is the class of a path with more than MaxSymlinkHops links.
	ErrLoop = errors.New("too many levels of symbolic links")
)

// linkTarget returns the target of symlink node i.
func (img *Image) linkTarget(i uint32) []byte {
	n := &img.nodes[i]
	l := img.layers[n.layer]
	return l.names.arena.str(l.entries.at(int(n.entry)).aux)
}

// resolve walks path from directory start inside the image root: an
// absolute path starts at the root, ".." never climbs above it, symbolic
// links are followed (the last component's only when followLast) up to
// MaxSymlinkHops in all, counted in hops.
func (img *Image) resolve(start uint32, path []byte, followLast bool, hops *int) (uint32, bool) {
	n, err := img.walk(start, path, followLast, hops)
	return n, err == nil
}

func (img *Image) walk(start uint32, path []byte, followLast bool, hops *int) (uint32, error) {
	cur := start
	if len(path) > 0 && path[0] == '/' {
		cur = 0
	}
	comps := bytes.Split(path, []byte("/"))
	for i, c := range comps {
		last := true
		for _, r := range comps[i+1:] {
			if len(r) > 0 && !(len(r) == 1 && r[0] == '.') {
				last = false
				break
			}
		}
		if len(c) == 0 {
			continue
		}
		if !img.isDir(cur) {
			return 0, ErrNotDir // as the kernel: even "." and ".." need a directory
		}
		switch {
		case len(c) == 1 && c[0] == '.':
			continue
		case len(c) == 2 && c[0] == '.' && c[1] == '.':
			cur = img.nodes[cur].parent
			continue
		}
		next, ok := img.lookup(cur, c)
		if !ok || !img.alive(next) {
			return 0, ErrNotFound
		}
		if img.isLink(next) && (!last || followLast) {
			if *hops++; *hops > MaxSymlinkHops {
				return 0, ErrLoop
			}
			r, err := img.walk(cur, img.linkTarget(next), true, hops)
			if err != nil {
				return 0, err
			}
			next = r
		}
		cur = next
	}
	return cur, nil
}

// resolveLink finds the target of a hard link as containerd does: the
// name is cleaned like an entry name, its directory resolved through
// symbolic links, its last component taken as it is.
func (img *Image) resolveLink(target []byte) (uint32, bool) {
	comps, how := cleanName(target, nil)
	if how&nameRoot != 0 {
		return 0, false
	}
	hops := 0
	dir, ok := img.resolve(0, bytes.Join(comps[:len(comps)-1], []byte("/")), true, &hops)
	if !ok || !img.isDir(dir) {
		return 0, false
	}
	n, ok := img.lookup(dir, comps[len(comps)-1])
	return n, ok && img.alive(n)
}

// Lookup finds one path of the merged filesystem ("/etc/passwd" or
// "etc/passwd"), resolving symbolic links inside the image root, never
// the host's; the last component's link is followed only when follow is
// set. The Entry says which layer holds the visible version and which
// entry holds its bytes.
func (img *Image) Lookup(path string, follow bool) (Entry, error) {
	hops := 0
	n, err := img.walk(0, []byte(path), follow, &hops)
	if err != nil {
		return Entry{}, fmt.Errorf("%q: %w", path, err)
	}
	return img.entry(n), nil
}

// List returns the entries of directory dir (symbolic links to it
// followed), sorted by name; with recursive, everything below it, each
// directory followed by its contents. Walk gives the same entries one at
// a time, without holding them all.
func (img *Image) List(dir string, recursive bool) ([]Entry, error) {
	var out []Entry
	err := img.Walk(dir, recursive, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// Walk calls fn with the entries List returns, in the same order, and
// stops at fn's first error, which it returns.
func (img *Image) Walk(dir string, recursive bool, fn func(Entry) error) error {
	hops := 0
	n, err := img.walk(0, []byte(dir), true, &hops)
	if err != nil {
		return fmt.Errorf("%q: %w", dir, err)
	}
	if !img.isDir(n) {
		return fmt.Errorf("%q: %w", dir, ErrNotDir)
	}
	return img.visit(n, recursive, fn)
}

func (img *Image) visit(n uint32, recursive bool, fn func(Entry) error) error {
	var kids []uint32
	for c := img.nodes[n].first; c != noNode; c = img.nodes[c].next {
		if img.alive(c) {
			kids = append(kids, c)
		}
	}
	sort.Slice(kids, func(i, j int) bool { return bytes.Compare(img.nameOf(kids[i]), img.nameOf(kids[j])) < 0 })
	for _, c := range kids {
		if err := fn(img.entry(c)); err != nil {
			return err
		}
		if recursive && img.isDir(c) {
			if err := img.visit(c, true, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// entry describes node n.
func (img *Image) entry(n uint32) Entry {
	nd := &img.nodes[n]
	if nd.entry == noNode {
		return Entry{Path: img.path(n), Type: TypeDir, Mode: 0o755, Layer: int(nd.layer), Index: -1, ContentLayer: int(nd.layer), ContentIndex: -1}
	}
	l := img.layers[nd.layer]
	out := l.entryInfo(int(nd.entry), int(nd.layer))
	out.Path = img.path(n)
	out.ContentPath = l.names.path(l.entries.at(int(nd.entry)).node)
	if cl, ce, ok := img.content(n); ok && (cl != int(nd.layer) || ce != nd.entry) {
		c := img.layers[cl].entryInfo(int(ce), cl)
		out.Size, out.Digest, out.Sparse = c.Size, c.Digest, c.Sparse
		out.ContentLayer, out.ContentIndex, out.ContentPath = cl, int(ce), c.Path
	}
	return out
}
