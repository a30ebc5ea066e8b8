package tree

import (
	"bytes"
	"container/heap"
	"hash"
	"io"
	"sort"
)

// intern returns the name node of a clean path, reusing the nodes of the
// previous entry's path for the components they share (entries of a tar
// come grouped by directory, so most names cost one lookup).
func (r *recorder) intern(comps [][]byte) uint32 {
	n := r.layer.names
	k := 0
	for k < len(comps) && k < len(r.chain) && bytes.Equal(comps[k], r.chainNames[k]) {
		k++
	}
	chain, chainNames := r.chain[:k], r.chainNames[:k]
	parent := uint32(0)
	if k > 0 {
		parent = chain[k-1]
	}
	dropped := k > 0 && r.layer.nodeFlag[parent]&nDropped != 0
	for _, c := range comps[k:] {
		before := n.len()
		node, _ := n.child(parent, c, true)
		if n.len() > before {
			r.layer.nodeFlag = append(r.layer.nodeFlag, 0)
			r.nameSize += len(c) + 2
		}
		dropped = dropped || bytes.HasPrefix(c, []byte(".wh..wh."))
		if dropped {
			r.layer.nodeFlag[node] |= nDropped
		} else {
			r.layer.nodeFlag[node] |= nPresent
		}
		chain = append(chain, node)
		// The arena only grows, and a grown arena is a copy: this view of
		// the name stays valid.
		chainNames = append(chainNames, n.nameOf(node))
		parent = node
	}
	r.chain, r.chainNames = chain, chainNames
	r.checkNameSize()
	return parent
}

// check records the findings that need the layer's names: duplicates,
// whiteouts of names the same layer writes, escaping symlinks.
func (r *recorder) check(idx uint32, h *header, comps [][]byte) {
	e := r.layer.entries.at(int(idx))
	flags := r.layer.nodeFlag
	switch e.kind {
	case kWhiteout:
		if e.flags&eSkip != 0 {
			return
		}
		parent := r.layer.names.parentOf(e.node)
		target, _ := r.layer.names.child(parent, comps[len(comps)-1][4:], true)
		if int(target) == len(flags) {
			r.layer.nodeFlag = append(r.layer.nodeFlag, 0)
			flags = r.layer.nodeFlag
		}
		if flags[target]&nWritten != 0 {
			r.finding(KindWhiteoutSame, h.name, "whiteout of a name this layer also writes, after it: the naive appliers delete it, overlayfs appliers fail")
		}
		flags[target] |= nWhiteout
	case kOpaque, kOther:
	default:
		if flags[e.node]&nWritten != 0 {
			r.finding(KindDuplicate, h.name, "name written twice in one layer: the last entry wins on extraction")
		}
		if flags[e.node]&nWhiteout != 0 {
			r.finding(KindWhiteoutSame, h.name, "name also whited out by this layer, before it: the entry stays visible")
		}
		flags[e.node] |= nWritten
		if e.kind == kSymlink && symlinkEscapes(len(comps)-1, h.linkname) {
			r.finding(KindSymlinkEscapes, h.name, "symlink target %q leaves the image root", h.linkname)
		}
	}
}

// symlinkEscapes reports whether a link target, read from a directory
// depth components below the root, climbs above the root, resolving
// component by component without following other links.
func symlinkEscapes(depth int, target []byte) bool {
	if len(target) > 0 && target[0] == '/' {
		depth = 0
	}
	for _, c := range bytes.Split(target, []byte("/")) {
		switch string(c) {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// count updates the facts with entry idx.
func (r *recorder) count(idx uint32, h *header) {
	e := r.layer.entries.at(int(idx))
	f := &r.layer.Facts
	f.Entries++
	switch e.kind {
	case kFile:
		f.Files++
		f.Size += e.size
		r.largest.offer(e.size, idx)
	case kDir:
		f.Dirs++
	case kSymlink:
		f.Symlinks++
	case kHardlink:
		f.Hardlinks++
	case kChar, kBlock:
		f.Devices++
	case kFIFO:
		f.FIFOs++
	case kWhiteout:
		f.Whiteouts++
	case kOpaque:
		f.OpaqueDirs++
	case kOther:
		f.Other++
		if h.typeflag != typeReg && e.flags&eSkip != 0 && !bytes.HasPrefix(lastComp(h.name), []byte(".wh..wh.")) {
			r.finding(KindUnsupported, h.name, "entry type %q: docker and containerd refuse to extract it", h.typeflag)
		}
	}
	if e.flags&eSparse != 0 {
		r.finding(KindSparse, h.name, "sparse file: not expanded here; its size is the expanded size")
	}
	r.flag(idx)
}

func lastComp(name []byte) []byte {
	name = bytes.TrimRight(name, "/")
	return name[bytes.LastIndexByte(name, '/')+1:]
}

// flag counts and lists setuid, setgid, world-writable files and files
// with extended attributes.
func (r *recorder) flag(idx uint32) {
	e := r.layer.entries.at(int(idx))
	f := &r.layer.Facts
	var why uint8
	switch e.kind {
	case kFile:
		why |= bit(e.mode&04000 != 0, fSetuid) | bit(e.mode&02000 != 0, fSetgid) | bit(e.mode&2 != 0, fWorldWritable)
	case kChar, kBlock, kFIFO:
		why |= bit(e.mode&2 != 0, fWorldWritable)
	case kDir:
		why |= bit(e.mode&2 != 0 && e.mode&01000 == 0, fWorldWritable)
	}
	why |= bit(e.flags&eCapability != 0, fCapability) | bit(e.flags&eXattr != 0, fXattr)
	counts := []*int{&f.Setuid, &f.Setgid, &f.WorldWritable, &f.Capabilities, &f.Xattrs}
	for i, c := range counts {
		if why&(1<<i) != 0 {
			*c++
		}
	}
	if why != 0 {
		f.FlaggedFiles++
	}
	if why != 0 && len(r.flagged) < r.opts.Limits.MaxListed {
		r.flagged = append(r.flagged, flagMark{idx, why})
	}
}

func bit(cond bool, b uint8) uint8 {
	if cond {
		return b
	}
	return 0
}

// bodySink receives a regular file's body: hashing, capture, caller.
type bodySink struct {
	hash    hash.Hash
	hashing bool
	capture bool
	buf     []byte
	max     int
	user    io.Writer
}

func (s *bodySink) Write(p []byte) (int, error) {
	if s.hashing {
		s.hash.Write(p)
	}
	if s.capture && len(s.buf) < s.max {
		s.buf = append(s.buf, p[:min(len(p), s.max-len(s.buf))]...)
	}
	if s.user != nil {
		s.user.Write(p)
	}
	return len(p), nil
}

// body returns the sink for entry idx's data, or nil.
func (r *recorder) body(idx uint32, comps [][]byte) io.Writer {
	e := r.layer.entries.at(int(idx))
	if e.kind != kFile || e.flags&eSparse != 0 {
		return nil
	}
	s := &r.sink
	s.hashing = s.hash != nil
	if s.hashing {
		s.hash.Reset()
	}
	s.capture = r.captured(comps)
	s.buf = s.buf[:0]
	s.max = r.opts.Limits.MaxCaptureBytes
	s.user = nil
	if r.opts.Body != nil {
		s.user = r.opts.Body(int(idx))
	}
	if !s.hashing && !s.capture && s.user == nil {
		return nil
	}
	return s
}

func (r *recorder) captured(comps [][]byte) bool {
	n := len(comps) - 1
	for _, c := range comps {
		n += len(c)
	}
	for _, want := range r.capture {
		if len(want) == n && pathEqual(want, comps) {
			return true
		}
	}
	return false
}

// pathEqual compares a clean slash-separated path with components.
func pathEqual(path []byte, comps [][]byte) bool {
	for i, c := range comps {
		if i > 0 {
			if len(path) == 0 || path[0] != '/' {
				return false
			}
			path = path[1:]
		}
		if !bytes.HasPrefix(path, c) {
			return false
		}
		path = path[len(c):]
	}
	return len(path) == 0 && len(comps) > 0
}

// endBody completes the entry whose data just ended.
func (r *recorder) endBody() {
	n := r.layer.entries.len()
	if n == 0 {
		return
	}
	e := r.layer.entries.at(int(n - 1))
	s := &r.sink
	if e.kind != kFile || e.flags&eSparse != 0 {
		return
	}
	if s.hashing {
		var d [32]byte
		s.hash.Sum(d[:0])
		r.layer.digests = append(r.layer.digests, d)
		e.aux = uint32(len(r.layer.digests))
		s.hashing = false
	}
	if s.capture {
		if r.layer.captured == nil {
			r.layer.captured = map[uint32][]byte{}
		}
		r.layer.captured[uint32(n-1)] = append([]byte(nil), s.buf...)
		s.capture = false
	}
	s.user = nil
}

// topFiles keeps the largest files seen, as a min-heap of entry indices.
type topFiles struct {
	max  int
	size []int64
	idx  []uint32
}

func (t *topFiles) Len() int           { return len(t.idx) }
func (t *topFiles) Less(i, j int) bool { return t.size[i] < t.size[j] }
func (t *topFiles) Swap(i, j int) {
	t.size[i], t.size[j] = t.size[j], t.size[i]
	t.idx[i], t.idx[j] = t.idx[j], t.idx[i]
}
func (t *topFiles) Push(x any) {
	p := x.([2]int64)
	t.size = append(t.size, p[0])
	t.idx = append(t.idx, uint32(p[1]))
}
func (t *topFiles) Pop() any {
	n := len(t.idx) - 1
	t.size, t.idx = t.size[:n], t.idx[:n]
	return nil
}

func (t *topFiles) offer(size int64, idx uint32) {
	if len(t.idx) < t.max {
		heap.Push(t, [2]int64{size, int64(idx)})
	} else if size > t.size[0] {
		t.size[0], t.idx[0] = size, idx
		heap.Fix(t, 0)
	}
}

// invalid records that the stream is not a valid tar.
func (r *recorder) invalid(offset int64, detail string) {
	r.finding(KindInvalidTar, nil, "not a valid tar: %s at offset %d", detail, offset)
	r.layer.Facts.Truncated = true
}

func (r *recorder) noEndMarker(offset int64, meta bool) {
	msg := "the stream ends at offset %d without the two zero blocks that end a tar"
	if meta {
		msg += ", after an extended header that applies to nothing"
	}
	r.finding(KindNoEndMarker, nil, msg, offset)
}

func (r *recorder) trailingData(offset, nonzero int64) {
	if nonzero > 0 {
		r.finding(KindTrailingData, nil, "%d non-zero bytes after the end-of-archive marker (the stream ends at offset %d)", nonzero, offset)
	}
}

func (r *recorder) currentName() string {
	if n := r.layer.entries.len(); n > 0 {
		return r.layer.names.path(r.layer.entries.at(int(n - 1)).node)
	}
	return ""
}

// nonNil makes empty lists empty rather than nil, so that they are []
// in JSON, never null.
func nonNil[A, B, C any](a *[]A, b *[]B, c *[]C) {
	if *a == nil {
		*a = []A{}
	}
	if *b == nil {
		*b = []B{}
	}
	if *c == nil {
		*c = []C{}
	}
}

// finish builds the Layer's lists and drops what only walking needed.
func (r *recorder) finish(size int64) *Layer {
	l := r.layer
	l.Facts.TarSize = size
	l.Facts.Truncated = l.Facts.Truncated || r.stopped
	for i := range r.largest.idx {
		l.Facts.Largest = append(l.Facts.Largest, File{Path: l.names.path(l.entries.at(int(r.largest.idx[i])).node), Size: r.largest.size[i]})
	}
	sort.Slice(l.Facts.Largest, func(i, j int) bool {
		a, b := l.Facts.Largest[i], l.Facts.Largest[j]
		return a.Size > b.Size || a.Size == b.Size && a.Path < b.Path
	})
	for _, m := range r.flagged {
		e := l.entries.at(int(m.entry))
		fl := Flagged{Path: l.names.path(e.node), Type: kindTypes[e.kind], Mode: e.mode & 07777}
		for i, name := range reasonNames {
			if m.reasons&(1<<i) != 0 {
				fl.Reasons = append(fl.Reasons, name)
			}
		}
		l.Facts.Flagged = append(l.Facts.Flagged, fl)
	}
	l.Findings, l.OmittedFindings = r.findings.list, r.findings.omitted
	nonNil(&l.Facts.Largest, &l.Facts.Flagged, &l.Findings)
	l.names.compact()
	l.entries.clip()
	l.nodeFlag = append(make([]uint8, 0, len(l.nodeFlag)), l.nodeFlag...)
	return l
}
