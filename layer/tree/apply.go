package tree

import "fmt"

// applier applies one layer's entries to an Image, in tar order, the way
// docker's and containerd's appliers extract them onto the layers below:
// parents are resolved through symbolic links inside the root, missing
// parents are created, a whiteout removes what is visible at that
// moment, an opaque marker hides what lower layers put in its directory.
type applier struct {
	img    *Image
	li     int
	l      *Layer
	memo   []memo // per name node of the layer: the directory it resolved to
	gen    uint32 // bumped whenever a resolution may have changed
	opaque map[uint32]bool
}

// memo caches where a directory name of the layer resolves, valid while
// gen is unchanged. Failures are not cached: a dangling symlink may come
// to resolve once its target is created.
type memo struct {
	node, gen uint32
	set       bool
}

func (a *applier) apply() {
	img := a.img
	targets := make([]uint32, a.l.entries.len())
	for i := range targets {
		targets[i] = noNode
	}
	img.entryNode[a.li] = targets
	ch := &img.changes[a.li]
	ch.Whiteouts = a.l.Facts.Whiteouts + a.l.Facts.OpaqueDirs
	for i := 0; i < a.l.entries.len(); i++ {
		if img.truncated {
			return
		}
		e := a.l.entries.at(int(i))
		if e.flags&eSkip != 0 {
			continue
		}
		switch e.kind {
		case kWhiteout:
			targets[i] = a.whiteout(e)
		case kOpaque:
			if dir, ok := a.dir(a.l.names.parentOf(e.node)); ok && !a.opaque[dir] {
				if a.opaque == nil {
					a.opaque = map[uint32]bool{}
				}
				a.opaque[dir] = true
				a.hide(dir)
			}
		default:
			targets[i] = a.write(uint32(i))
		}
	}
}

func (a *applier) finding(k Kind, node uint32, format string, args ...any) {
	a.img.findings.add(a.li, k, a.l.names.path(node), fmt.Sprintf(format, args...))
}

// dir resolves a directory name of the layer to a directory node,
// creating missing directories and following symbolic links in the root.
func (a *applier) dir(p uint32) (uint32, bool) {
	if p == 0 {
		return 0, true
	}
	if m := a.memo[p]; m.set && m.gen == a.gen {
		return m.node, true
	}
	parent, ok := a.dir(a.l.names.parentOf(p))
	if !ok {
		return noNode, false
	}
	node := a.enter(parent, p)
	if node == noNode {
		return noNode, false
	}
	a.memo[p] = memo{node: node, gen: a.gen, set: true}
	return node, true
}

// enter returns the directory that name node p names under parent.
func (a *applier) enter(parent, p uint32) uint32 {
	img := a.img
	name := a.l.names.nameOf(p)
	c, ok := img.lookup(parent, name)
	if !ok {
		if c, ok = img.create(parent, name, a.li, p); !ok {
			return noNode
		}
	}
	switch {
	case !img.alive(c):
		img.nodes[c] = mnode{parent: parent, nameNode: p, nameLayer: uint16(a.li), first: img.nodes[c].first, next: img.nodes[c].next,
			entry: noNode, layer: uint16(a.li), flags: mAlive | mDir}
		return c
	case img.isDir(c):
		return c
	case img.isLink(c):
		hops := 0
		if r, ok := img.resolve(parent, img.linkTarget(c), true, &hops); ok && img.isDir(r) {
			a.finding(KindThroughSymlink, p, "%q is a symlink in the layers below: entries under it are written through it", a.l.names.path(p))
			return r
		}
	}
	a.finding(KindParentNotDir, p, "%q is not a directory in the layers below: extractors fail on entries under it", a.l.names.path(p))
	return noNode
}

// write applies a non-whiteout entry and returns the node it wrote.
func (a *applier) write(i uint32) uint32 {
	img := a.img
	e := a.l.entries.at(int(i))
	var n uint32
	if e.node == 0 {
		n = 0 // the root directory's own metadata ("./")
	} else {
		parent, ok := a.dir(a.l.names.parentOf(e.node))
		if !ok {
			return noNode
		}
		name := a.l.names.nameOf(e.node)
		if n, ok = img.lookup(parent, name); !ok {
			if n, ok = img.create(parent, name, a.li, e.node); !ok {
				return noNode
			}
		}
	}
	if e.kind == kHardlink && !a.link(i, n) {
		return noNode
	}
	a.replace(n, e.kind)
	flags := uint8(mAlive)
	switch e.kind {
	case kDir:
		flags |= mDir
	case kSymlink:
		flags |= mSymlink
	}
	nd := &img.nodes[n]
	nd.entry, nd.layer, nd.flags = i, uint16(a.li), flags
	return n
}

// replace clears what is at node n before an entry of kind k is written
// there, counting the change: a non-directory written where nothing was
// visible is added, over what a lower layer wrote it is changed.
func (a *applier) replace(n uint32, k kind) {
	img := a.img
	ch := &img.changes[a.li]
	nd := &img.nodes[n]
	wasDir := nd.flags&mDir != 0
	switch {
	case k == kDir:
	case !img.alive(n):
		ch.Added++
	case int(nd.layer) < a.li:
		ch.Changed++
	case wasDir:
		ch.Added++ // a directory this layer implied, now a file
	}
	if !img.alive(n) {
		return
	}
	if wasDir && k != kDir {
		a.killChildren(n)
	}
	if nd.flags&mSymlink != 0 || k == kSymlink || wasDir != (k == kDir) {
		a.gen++ // resolutions through this node may change
	}
}

// link resolves hard link entry i, to be written at node at, against the
// filesystem as it stands; false when it cannot be extracted.
func (a *applier) link(i, at uint32) bool {
	img := a.img
	e := a.l.entries.at(int(i))
	target := a.l.names.arena.str(e.aux)
	t, ok := img.resolveLink(target)
	switch {
	case !ok:
		a.finding(KindHardlinkMissing, e.node, "hard link to %q, which exists neither earlier in this layer nor in a lower layer", target)
		return false
	case img.nodes[t].flags&mDir != 0:
		a.finding(KindHardlinkDir, e.node, "hard link to directory %q", target)
		return false
	case t == at:
		// A link to itself leaves the file as it is.
	}
	cl, ce, ok := img.content(t)
	if !ok {
		return false
	}
	img.linkTo[uint64(a.li)<<32|uint64(i)] = uint64(cl)<<32 | uint64(ce)
	return true
}

// whiteout applies a ".wh.NAME" entry: NAME and everything under it go.
func (a *applier) whiteout(e *entry) uint32 {
	img := a.img
	parent, ok := a.dir(a.l.names.parentOf(e.node))
	if !ok {
		return noNode
	}
	name := a.l.names.nameOf(e.node)[4:]
	n, ok := img.lookup(parent, name)
	if !ok || !img.alive(n) {
		a.finding(KindWhiteoutNothing, e.node, "whiteout of a path no lower layer has")
		return noNode
	}
	a.kill(n)
	return n
}

// kill removes node n and everything under it.
func (a *applier) kill(n uint32) {
	a.killChildren(n)
	a.dead(n)
}

func (a *applier) dead(n uint32) {
	img := a.img
	nd := &img.nodes[n]
	if nd.flags&mDir == 0 && int(nd.layer) < a.li {
		img.changes[a.li].Removed++
	}
	nd.flags &^= mAlive
	a.gen++
}

// killChildren removes everything under node n, depth first.
func (a *applier) killChildren(n uint32) {
	img := a.img
	for c := img.nodes[n].first; c != noNode; c = img.nodes[c].next {
		if img.alive(c) {
			a.killChildren(c)
			a.dead(c)
		}
	}
}

// hide applies an opaque marker to directory d: everything lower layers
// put under d goes; what this layer wrote there stays, whatever the
// order of the entries (overlayfs semantics; the naive appliers of
// docker and containerd agree except for directories this layer only
// implied).
func (a *applier) hide(d uint32) bool {
	img := a.img
	kept := false
	for c := img.nodes[d].first; c != noNode; c = img.nodes[c].next {
		if !img.alive(c) {
			continue
		}
		mine := int(img.nodes[c].layer) == a.li
		if img.isDir(c) && a.hide(c) || mine {
			kept = true
			continue
		}
		a.kill(c)
	}
	return kept
}
