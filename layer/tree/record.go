package tree

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
)

// recorder turns the headers a Walker parses into a Layer.
type recorder struct {
	opts     Options
	layer    *Layer
	findings findingList
	largest  topFiles
	flagged  []flagMark
	comps    [][]byte
	chain    []uint32 // name nodes of the previous entry's components
	// chainNames are their names, views into the arena.
	chainNames [][]byte
	capture    [][]byte
	sink       bodySink
	stopped    bool
	nameSize   int // arena bytes, for MaxNameBytes
	charged    int // nameSize already charged to opts.Budget
}

type flagMark struct {
	entry   uint32
	reasons uint8
}

// Reasons for flagging a file, as bits.
const (
	fSetuid = 1 << iota
	fSetgid
	fWorldWritable
	fCapability
	fXattr
)

var reasonNames = []string{"setuid", "setgid", "world_writable", "capability", "xattr"}

func newRecorder(opts Options) *recorder {
	r := &recorder{opts: opts, layer: &Layer{names: newNames(), nodeFlag: []uint8{nPresent}}}
	r.findings.max = opts.Limits.MaxListed
	r.largest.max = opts.TopFiles
	for _, p := range append(append([]string(nil), OSReleasePaths...), opts.Capture...) {
		r.capture = append(r.capture, []byte(p))
	}
	if opts.HashFiles {
		r.sink.hash = sha256.New()
		r.layer.hashed = true
	}
	return r
}

func (r *recorder) finding(k Kind, path []byte, format string, args ...any) {
	r.findings.add(-1, k, string(path), fmt.Sprintf(format, args...))
}

// add records one entry and returns the writer its body goes to (nil to
// skip it).
func (r *recorder) add(h *header) io.Writer {
	if r.layer.entries.len() >= r.opts.Limits.MaxEntries {
		r.finding(KindLimit, h.name, "more than %d entries in one layer (the max-files limit): the rest of the layer is not read", r.opts.Limits.MaxEntries)
		r.stopped = true
		return nil
	}
	if b := r.opts.Budget; !b.takeEntry() {
		r.finding(KindLimit, h.name, "more than %d entries in all layers together (the max-files limit): the rest of this layer is not read", b.maxEntries)
		r.stopped = true
		return nil
	}
	if len(h.name) > r.opts.Limits.MaxPathBytes || len(h.linkname) > r.opts.Limits.MaxPathBytes {
		r.finding(KindBadName, truncName(h.name), "name or link target longer than %d bytes (the max-path-bytes limit): entry not recorded", r.opts.Limits.MaxPathBytes)
		return nil
	}
	comps, how := r.normalise(h.name)
	k, flags := r.classify(h, comps)
	if how&nameRoot != 0 && k != kDir {
		r.finding(KindBadName, h.name, "a %s whose name is the root directory: extractors ignore it", kindTypes[k])
		return nil
	}
	node := r.intern(comps)
	if r.stopped {
		return nil
	}
	e := entry{size: h.size, mtime: h.mtime, node: node, mode: uint32(h.mode), uid: clampID(h.uid), gid: clampID(h.gid), kind: k, flags: flags}
	if k == kSymlink || k == kHardlink {
		e.aux = r.store(h.linkname)
	}
	idx := uint32(r.layer.entries.len())
	r.layer.entries.push(e)
	r.nameFindings(h, how)
	r.check(idx, h, comps)
	r.count(idx, h)
	return r.body(idx, comps)
}

func clampID(id int64) uint32 {
	if id < 0 || id > 0xffffffff {
		return 0xffffffff
	}
	return uint32(id)
}

func truncName(b []byte) []byte {
	if len(b) > 256 {
		return b[:256]
	}
	return b
}

// store keeps a link target in the arena.
func (r *recorder) store(s []byte) uint32 {
	off := r.layer.names.arena.add(s)
	r.nameSize += len(s)
	r.checkNameSize()
	return off
}

// checkNameSize charges the names stored since the last call against the
// layer's limit and the shared budget.
func (r *recorder) checkNameSize() {
	if r.stopped {
		return
	}
	grown := r.nameSize - r.charged
	r.charged = r.nameSize
	switch b := r.opts.Budget; {
	case r.nameSize > r.opts.Limits.MaxNameBytes:
		r.finding(KindLimit, nil, "names over %d bytes in one layer: the rest of the layer is not read", r.opts.Limits.MaxNameBytes)
		r.stopped = true
	case grown > 0 && !b.takeNames(grown):
		r.finding(KindLimit, nil, "names over %d bytes in all layers together: the rest of this layer is not read", b.maxNameBytes)
		r.stopped = true
	}
}

// How a name was cleaned.
const (
	nameAbsolute = 1 << iota
	nameEscapes
	nameUnclean
	nameRoot
)

// normalise cleans an entry's name into r.comps (see cleanName).
func (r *recorder) normalise(name []byte) ([][]byte, int) {
	comps, how := cleanName(name, r.comps[:0])
	r.comps = comps
	return comps, how
}

// cleanName splits a name into clean components the way docker and
// containerd resolve it: a leading "/" is dropped, "./" prefixes and a
// trailing "/" are normal, "." and empty components vanish, ".." removes
// the previous component and stops at the root (containerd's behaviour;
// docker refuses such a layer).
func cleanName(name []byte, comps [][]byte) ([][]byte, int) {
	how := 0
	if len(name) > 0 && name[0] == '/' {
		how |= nameAbsolute
	}
	for i, first := 0, true; i <= len(name); first = false {
		j := i
		for j < len(name) && name[j] != '/' { // names are short: no call
			j++
		}
		c := name[i:j]
		last := j >= len(name)
		i = j + 1
		switch {
		case len(c) == 0:
			if !first && !last {
				how |= nameUnclean
			}
		case len(c) == 1 && c[0] == '.':
			if !first {
				how |= nameUnclean
			}
		case len(c) == 2 && c[0] == '.' && c[1] == '.':
			if len(comps) == 0 {
				how |= nameEscapes
			} else {
				comps = comps[:len(comps)-1]
				how |= nameUnclean
			}
		default:
			comps = append(comps, c)
		}
	}
	if len(comps) == 0 {
		how |= nameRoot
	}
	return comps, how
}

func (r *recorder) nameFindings(h *header, how int) {
	switch {
	case how&nameEscapes != 0:
		r.finding(KindNameEscapes, h.name, "name climbs out of the root with \"..\": containerd clamps it to the root, docker refuses the layer")
	case how&nameAbsolute != 0:
		r.finding(KindAbsoluteName, h.name, "absolute name: docker and containerd read it relative to the root")
	case how&nameUnclean != 0:
		r.finding(KindUncleanName, h.name, "name is not clean (empty, \".\" or \"..\" components)")
	}
}

// classify returns the entry's kind and flags from its type flag and,
// for whiteouts, its last component.
func (r *recorder) classify(h *header, comps [][]byte) (kind, uint8) {
	var flags uint8
	for _, x := range h.xattrs {
		if xattrName(x.key) == "security.capability" {
			flags |= eCapability
		} else {
			flags |= eXattr
		}
	}
	if h.sparse {
		flags |= eSparse
	}
	if n := len(comps); n > 0 && bytes.HasPrefix(comps[n-1], []byte(".wh.")) {
		return r.classifyWhiteout(h, comps[n-1], flags)
	}
	switch h.typeflag {
	case typeReg:
		return kFile, flags
	case typeLink:
		return kHardlink, flags
	case typeSymlink:
		return kSymlink, flags
	case typeChar:
		return kChar, flags
	case typeBlock:
		return kBlock, flags
	case typeDir:
		return kDir, flags
	case typeFifo:
		return kFIFO, flags
	}
	return kOther, flags | eSkip
}

func (r *recorder) classifyWhiteout(h *header, base []byte, flags uint8) (kind, uint8) {
	odd := h.typeflag != typeReg || h.size != 0
	switch {
	case string(base) == ".wh..wh..opq":
		if odd {
			r.finding(KindWhiteoutOdd, h.name, "opaque marker is not an empty regular file; extractors apply it anyway")
		}
		return kOpaque, flags
	case bytes.HasPrefix(base, []byte(".wh..wh.")):
		r.finding(KindWhiteoutOdd, h.name, "AUFS metadata name: docker skips it, containerd reads it as a whiteout")
		return kOther, flags | eSkip
	}
	switch target := string(base[4:]); target {
	case "", ".", "..":
		r.finding(KindWhiteoutBad, h.name, "whiteout of %q: containerd refuses the layer, docker deletes the wrong path", target)
		return kWhiteout, flags | eSkip
	}
	if odd {
		r.finding(KindWhiteoutOdd, h.name, "whiteout is not an empty regular file; extractors apply it anyway")
	}
	return kWhiteout, flags
}

// xattrName returns the attribute name of a SCHILY or LIBARCHIVE record
// key (LIBARCHIVE names are %-encoded).
func xattrName(key string) string {
	if len(key) > len(paxSchilyXattr) && key[:len(paxSchilyXattr)] == paxSchilyXattr {
		return key[len(paxSchilyXattr):]
	}
	return unescapePercent(key[len(paxLibarchXattr):])
}

func unescapePercent(s string) string {
	if indexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
