package tree

import "bytes"

// layerTree is dive's tree of one layer: the layer's present names,
// mapped to nodes of the model.
type layerTree struct {
	k     int
	l     *Layer
	dnode []uint32 // per name node: model node, noNode when not in the tree
	last  []int32  // per name node: its last entry, -1 for an implied parent
	kids  []int32  // per name node: children in the tree
	nodes []uint32 // the tree's name nodes, parents first
}

func (m *diveModel) layerTree(k int, l *Layer) *layerTree {
	n := l.names.len()
	t := &layerTree{k: k, l: l, dnode: make([]uint32, n), last: make([]int32, n), kids: make([]int32, n)}
	for i := 1; i < n; i++ {
		t.dnode[i], t.last[i] = noNode, -1
		if l.nodeFlag[i]&(nPresent|nDropped) != nPresent || t.badWhiteout(uint32(i)) {
			continue
		}
		p := l.names.parentOf(uint32(i))
		d := m.child(t.dnode[p], l.names.nameOf(uint32(i)), k, uint32(i))
		t.dnode[i] = d
		m.n[d].stamp = int32(k + 1)
		t.kids[p]++
		t.nodes = append(t.nodes, uint32(i))
	}
	for i := 0; i < l.entries.len(); i++ {
		if node := l.entries.at(int(i)).node; node != 0 {
			t.last[node] = int32(i)
		}
	}
	return t
}

// badWhiteout reports a whiteout of "", "." or "..", which dive resolves
// to other paths than it names; they are left out (see DiveReport).
func (t *layerTree) badWhiteout(i uint32) bool {
	name := t.l.names.nameOf(i)
	if !isWhiteoutNode(name) {
		return false
	}
	switch string(name[len(whPrefix):]) {
	case "", ".", "..":
		return true
	}
	return false
}

// info returns dive's FileInfo size and IsDir of name node i.
func (t *layerTree) info(i uint32) (int64, bool) {
	if t.last[i] < 0 {
		return 0, false
	}
	e := t.l.entries.at(int(t.last[i]))
	return e.size, e.kind == kDir || e.mode&^0o7777 == 0o40000
}

// key returns the model node of the path a whiteout node names.
func (t *layerTree) key(m *diveModel, i uint32) uint32 {
	name := t.l.names.nameOf(i)[len(whPrefix):]
	return m.child(t.dnode[t.l.names.parentOf(i)], name, t.k, i|stripWhiteout)
}

func (t *layerTree) whiteout(i uint32) bool { return isWhiteoutNode(t.l.names.nameOf(i)) }

// copyInto makes the stacked tree the layer's own tree (dive starts from
// a copy of the first layer, whiteout nodes included).
func (t *layerTree) copyInto(m *diveModel) {
	for _, i := range t.nodes {
		d := t.dnode[i]
		m.n[d].present = true
		m.n[d].size, m.n[d].isDir = t.info(i)
	}
}

// visit counts the layer's leaves against the stacked tree of the layers
// below it.
func (t *layerTree) visit(m *diveModel) {
	abort := noNode
	for _, i := range t.nodes {
		if t.kids[i] == 0 && t.whiteout(i) && !m.n[t.key(m, i)].present {
			if abort == noNode || t.compare(i, abort) < 0 {
				abort = i
			}
		}
	}
	for _, i := range t.nodes {
		if t.kids[i] != 0 || abort != noNode && t.compare(i, abort) > 0 {
			continue
		}
		if i == abort {
			if key := t.key(m, i); m.n[key].count < 0 {
				m.n[key].count = 0 // in dive's map with no size: its minimum is -1
			}
			continue
		}
		if t.whiteout(i) {
			key := t.key(m, i)
			var s int64
			if m.n[key].isDir {
				s = m.subtreeSize(key)
			}
			m.ref(key, s)
			continue
		}
		s, _ := t.info(i)
		m.ref(t.dnode[i], s)
	}
}

// compare orders two name nodes as dive's walk meets them: component by
// component, by bytes.
func (t *layerTree) compare(a, b uint32) int {
	ca, cb := t.chain(a), t.chain(b)
	for k := 0; k < len(ca) && k < len(cb); k++ {
		if c := bytes.Compare(t.l.names.nameOf(ca[k]), t.l.names.nameOf(cb[k])); c != 0 {
			return c
		}
	}
	return len(ca) - len(cb)
}

func (t *layerTree) chain(i uint32) []uint32 {
	var c []uint32
	for ; i != 0; i = t.l.names.parentOf(i) {
		c = append(c, i)
	}
	for x, y := 0, len(c)-1; x < y; x, y = x+1, y-1 {
		c[x], c[y] = c[y], c[x]
	}
	return c
}

// stack puts the layer on the stacked tree as dive's Stack does: nodes
// visited children first in name order, a whiteout removing its path, a
// node replacing the payload of its path (children kept). Only a
// whiteout and the name it deletes in the same layer depend on that
// order, so removals come before additions unless the name sorts before
// its whiteout.
func (t *layerTree) stack(m *diveModel) {
	var late []uint32
	for _, i := range t.nodes {
		if !t.whiteout(i) {
			continue
		}
		key := t.key(m, i)
		name := t.l.names.nameOf(i)
		if m.n[key].stamp == int32(t.k+1) && bytes.Compare(name[len(whPrefix):], name) < 0 {
			late = append(late, key)
			continue
		}
		m.remove(key)
	}
	for _, i := range t.nodes {
		if t.whiteout(i) {
			continue
		}
		d := t.dnode[i]
		for a := m.n[d].parent; !m.n[a].present; a = m.n[a].parent {
			m.n[a].present, m.n[a].size, m.n[a].isDir = true, 0, false
		}
		m.n[d].present = true
		m.n[d].size, m.n[d].isDir = t.info(i)
	}
	for _, key := range late {
		m.remove(key)
	}
}
