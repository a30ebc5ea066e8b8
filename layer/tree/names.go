package tree

import (
	"bytes"
	"hash/maphash"
)

// names interns the paths of one layer as a tree of components: node i
// has a parent node and a name, and the name bytes live once in a shared
// arena, prefixed with their length as a uvarint. Node 0 is the root.
// Nodes are created parent first, so a parent's index is always smaller
// than its children's. There is no per-path string and no pointer: a
// node costs 8 bytes plus its name.
type names struct {
	nodes chunked[nameNode]
	arena arena
	index childIndex
}

// nameNode is one node: its parent and the arena offset of its name.
type nameNode struct{ parent, off uint32 }

func newNames() *names {
	n := &names{}
	n.nodes.push(nameNode{0, n.arena.add(nil)})
	n.index.init(n.nameOf, n.parentOf)
	return n
}

func (n *names) len() int { return n.nodes.len() }

func (n *names) parentOf(i uint32) uint32 { return n.nodes.at(int(i)).parent }

// nameOf returns the name bytes of node i (empty for the root).
func (n *names) nameOf(i uint32) []byte { return n.arena.str(n.nodes.at(int(i)).off) }

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
	i := uint32(n.nodes.len())
	n.nodes.push(nameNode{parent, n.arena.add(name)})
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
	for ; i != 0; i = n.parentOf(i) {
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
	n.nodes.clip()
	n.arena.clip()
}

// childIndex is an open-addressing hash set of node indices keyed by
// (parent, name), so that no map of strings is needed. The hash is seeded
// per index, so a hostile archive cannot choose colliding names. Each
// slot keeps 32 bits of its key's hash beside the node: a probe compares
// names only when those bits agree, and growing never hashes a name
// again.
type childIndex struct {
	slots    []uint64 // hash bits << 32 | node index + 1; 0 is empty
	count    int
	seed     maphash.Seed
	nameOf   func(uint32) []byte
	parentOf func(uint32) uint32
}

func (x *childIndex) init(nameOf func(uint32) []byte, parentOf func(uint32) uint32) {
	x.seed = maphash.MakeSeed()
	x.nameOf, x.parentOf = nameOf, parentOf
	x.slots = make([]uint64, 64)
}

// reserve sizes the table for n entries, so that it never grows.
func (x *childIndex) reserve(n int) {
	size := 64
	for size*3 < n*4+4 {
		size *= 2
	}
	if size > len(x.slots) && x.count == 0 {
		x.slots = make([]uint64, size)
	}
}

// hash returns the 32 bits of (parent, name)'s hash an index keeps.
func (x *childIndex) hash(parent uint32, name []byte) uint32 {
	h := maphash.Bytes(x.seed, name) ^ (uint64(parent)+1)*0x9e3779b97f4a7c15
	return uint32(h ^ h>>32)
}

func (x *childIndex) find(h uint32, parent uint32, name []byte) (uint32, bool) {
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s>>32) != h {
			continue
		}
		if node := uint32(s) - 1; x.parentOf(node) == parent && bytes.Equal(x.nameOf(node), name) {
			return node, true
		}
	}
}

func (x *childIndex) insert(h uint32, node uint32) {
	if (x.count+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	x.place(uint64(h)<<32 | uint64(node+1))
	x.count++
}

func (x *childIndex) place(slot uint64) {
	mask := uint32(len(x.slots) - 1)
	i := uint32(slot>>32) & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = slot
}

func (x *childIndex) grow() {
	old := x.slots
	x.slots = make([]uint64, 2*len(old))
	for _, s := range old {
		if s != 0 {
			x.place(s)
		}
	}
}
