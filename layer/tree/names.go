package tree

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
)

// names interns the paths of one layer as a tree of components: node i
// has a parent node and a name, and the name bytes live once in a shared
// arena, prefixed with their length as a uvarint. Node 0 is the root.
// Nodes are created parent first, so a parent's index is always smaller
// than its children's. There is no per-path string and no pointer: a
// node costs 8 bytes plus its name.
type names struct {
	parent []uint32
	off    []uint32 // arena offset of the uvarint length + name bytes
	arena  []byte
	index  childIndex
}

func newNames() *names {
	n := &names{parent: []uint32{0}, off: []uint32{0}, arena: []byte{0}}
	n.index.init(n.nameOf, n.parentOf)
	return n
}

func (n *names) len() int { return len(n.parent) }

func (n *names) parentOf(i uint32) uint32 { return n.parent[i] }

// nameOf returns the name bytes of node i (empty for the root).
func (n *names) nameOf(i uint32) []byte { return arenaString(n.arena, n.off[i]) }

// arenaString reads the uvarint-prefixed string at off.
func arenaString(arena []byte, off uint32) []byte {
	l, k := binary.Uvarint(arena[off:])
	start := int(off) + k
	return arena[start : start+int(l)]
}

// appendString stores s in the arena and returns its offset.
func appendString(arena []byte, s []byte) ([]byte, uint32) {
	off := uint32(len(arena))
	arena = binary.AppendUvarint(arena, uint64(len(s)))
	return append(arena, s...), off
}

// child returns the node named name under parent, creating it when add
// is set; ok is false when it does not exist and add is not set.
func (n *names) child(parent uint32, name []byte, add bool) (uint32, bool) {
	h := n.index.hash(parent, name)
	if i, ok := n.index.find(h, parent, name); ok {
		return i, true
	}
	if !add {
		return 0, false
	}
	var off uint32
	n.arena, off = appendString(n.arena, name)
	i := uint32(len(n.parent))
	n.parent = append(n.parent, parent)
	n.off = append(n.off, off)
	n.index.insert(h, i)
	return i, true
}

// path returns the slash-separated path of node i, without a leading
// slash ("" for the root).
func (n *names) path(i uint32) string {
	return string(n.appendPath(nil, i))
}

func (n *names) appendPath(b []byte, i uint32) []byte {
	if i == 0 {
		return b
	}
	var stack [64]uint32
	chain := stack[:0]
	for ; i != 0; i = n.parent[i] {
		chain = append(chain, i)
	}
	for k := len(chain) - 1; k >= 0; k-- {
		if k != len(chain)-1 {
			b = append(b, '/')
		}
		b = append(b, n.nameOf(chain[k])...)
	}
	return b
}

// lookup finds a slash-separated clean relative path; ok is false when
// some component is missing.
func (n *names) lookup(path string) (uint32, bool) {
	cur := uint32(0)
	for path != "" {
		comp, rest, _ := cutSlash(path)
		path = rest
		if comp == "" {
			continue
		}
		next, ok := n.child(cur, []byte(comp), false)
		if !ok {
			return 0, false
		}
		cur = next
	}
	return cur, true
}

func cutSlash(s string) (string, string, bool) {
	if i := indexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// compact drops the lookup index once no more names will be added: the
// layer is then read only through parent links and entry records.
func (n *names) compact() {
	n.index = childIndex{}
	n.parent = clipUint32(n.parent)
	n.off = clipUint32(n.off)
	n.arena = append([]byte(nil), n.arena...)
}

func clipUint32(s []uint32) []uint32 { return append(make([]uint32, 0, len(s)), s...) }

// childIndex is an open-addressing hash set of node indices keyed by
// (parent, name), so that no map of strings is needed. The hash is seeded
// per index, so a hostile archive cannot choose colliding names.
type childIndex struct {
	slots    []uint32 // node index + 1; 0 is empty
	count    int
	seed     maphash.Seed
	nameOf   func(uint32) []byte
	parentOf func(uint32) uint32
}

func (x *childIndex) init(nameOf func(uint32) []byte, parentOf func(uint32) uint32) {
	x.seed = maphash.MakeSeed()
	x.nameOf, x.parentOf = nameOf, parentOf
	x.slots = make([]uint32, 64)
}

// reserve sizes the table for n entries, so that it never grows.
func (x *childIndex) reserve(n int) {
	size := 64
	for size*3 < n*4+4 {
		size *= 2
	}
	if size > len(x.slots) && x.count == 0 {
		x.slots = make([]uint32, size)
	}
}

func (x *childIndex) hash(parent uint32, name []byte) uint64 {
	return maphash.Bytes(x.seed, name) ^ (uint64(parent)+1)*0x9e3779b97f4a7c15
}

func (x *childIndex) find(h uint64, parent uint32, name []byte) (uint32, bool) {
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if node := s - 1; x.parentOf(node) == parent && bytes.Equal(x.nameOf(node), name) {
			return node, true
		}
	}
}

func (x *childIndex) insert(h uint64, node uint32) {
	if (x.count+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	x.place(h, node)
	x.count++
}

func (x *childIndex) place(h uint64, node uint32) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = node + 1
}

func (x *childIndex) grow() {
	old := x.slots
	x.slots = make([]uint32, 2*len(old))
	for _, s := range old {
		if s != 0 {
			node := s - 1
			x.place(x.hash(x.parentOf(node), x.nameOf(node)), node)
		}
	}
}
