package tree

import (
	"bytes"
	"sort"
)

// DiveReport holds dive's numbers (github.com/wagoodman/dive v0.13.1,
// dive/filetree/efficiency.go and dive/image/image.go), computed with
// dive's definitions, quirks included, so that CI thresholds written for
// dive keep their meaning:
//
//   - Each layer is a tree of its entries' names (parents it does not
//     list are implied, with size 0); names under an AUFS meta name
//     (.wh..wh.*), opaque markers included, are dropped: dive ignores
//     opaque directories.
//   - For every leaf of every layer's tree (a file, an empty directory, a
//     whiteout), its path gets one reference and a size: the entry's
//     declared size, or for a whiteout the summed sizes of what it
//     deletes if that was a directory in the layers below, else 0.
//   - A path's minimum is its smallest such size; Efficiency is the sum
//     of minimums over the sum of sizes (1 when nothing has a size).
//   - Wasted is the summed sizes of the paths with two references or
//     more: every copy counts, the visible one too (dive's double
//     counting), so Wasted is not what squashing saves (see Waste).
//   - A whiteout of a path the layers below do not have stops dive's walk
//     of that layer: the leaves after it (in name order) are not counted,
//     and its path, if new, adds -1 to the sum of minimums.
//   - Directories replaced by files keep their children in dive's view
//     of the layers below; a directory only implied by a layer's names
//     has size 0 and is not a directory there.
//   - Size is the sum of every entry's declared size; UserSize leaves out
//     the first layer; UserWastedPercent is Wasted / UserSize (dive
//     divides by zero for a one-layer image; it is 0 here then).
//
// Names are those the Walker cleaned; dive keeps absolute and ".."
// names as written, and fails on layers with PAX global headers, which
// the Walker skips: on such layers the numbers can differ.
type DiveReport struct {
	Efficiency        float64 `json:"efficiency"`
	Size              int64   `json:"size"`
	UserSize          int64   `json:"user_size"`
	Wasted            int64   `json:"wasted"`
	UserWastedPercent float64 `json:"user_wasted_percent"`
	// InefficientPaths lists the paths with two references or more,
	// largest total first (at most Limits.MaxListed); InefficientCount
	// counts them all.
	InefficientPaths []DivePath `json:"inefficient_paths"`
	InefficientCount int        `json:"inefficient_count"`
}

// DivePath is one of dive's inefficient files: its path ("/a/b"), how
// many layer leaves referenced it, and their summed sizes.
type DivePath struct {
	Path  string `json:"path"`
	Count int    `json:"count"`
	Size  int64  `json:"size"`
}

// diveModel holds dive's stacked tree and per-path sums over one trie of
// every literal path of every layer.
type diveModel struct {
	layers []*Layer
	n      []dnode
	index  childIndex
}

// dnode is one path of the model, 48 bytes: its name (a layer's name
// node, maybe stripped of ".wh."), its place in the stacked tree and its
// sums in dive's efficiency map.
type dnode struct {
	parent, nameN, first, next uint32
	size                       int64 // FileInfo.Size in the stacked tree
	cum, minSize               int64
	count                      int32 // references; -1: not in dive's map
	stamp                      int32 // layer index + 1 that has it in its own tree
	nameL                      uint16
	present, isDir             bool // in the stacked tree; its FileInfo.IsDir there
}

// Dive computes dive's numbers for an image's layers, base first.
func Dive(layers []*Layer, opts Options) DiveReport {
	opts = opts.withDefaults()
	m := &diveModel{layers: layers}
	hint := 1
	for _, l := range layers {
		hint += l.names.len()
	}
	m.n = make([]dnode, 0, hint)
	m.index.init(m.nameOf, func(i uint32) uint32 { return m.n[i].parent })
	m.index.reserve(hint)
	m.newNode(0, 0, 0)
	var rep DiveReport
	for k, l := range layers {
		lt := m.layerTree(k, l)
		if k == 0 {
			lt.copyInto(m)
		}
		lt.visit(m)
		lt.stack(m)
		for i := 0; i < l.entries.len(); i++ {
			if l.entries.at(int(i)).node != 0 {
				rep.Size += l.entries.at(int(i)).size
				if k > 0 {
					rep.UserSize += l.entries.at(int(i)).size
				}
			}
		}
	}
	m.report(&rep, opts.Limits.MaxListed)
	return rep
}

// stripWhiteout marks a name reference as the name without its ".wh."
// prefix: the path a whiteout names.
const stripWhiteout = 1 << 31

func (m *diveModel) nameOf(i uint32) []byte {
	nn := m.n[i].nameN
	name := m.layers[m.n[i].nameL].names.nameOf(nn &^ stripWhiteout)
	if nn&stripWhiteout != 0 {
		return name[len(whPrefix):]
	}
	return name
}

func (m *diveModel) newNode(parent uint32, layer uint16, name uint32) uint32 {
	i := uint32(len(m.n))
	d := dnode{parent: parent, nameN: name, nameL: layer, first: noNode, next: noNode, count: -1, minSize: -1, present: i == 0, isDir: i == 0}
	if i > 0 {
		d.next, m.n[parent].first = m.n[parent].first, i
	}
	m.n = append(m.n, d)
	return i
}

// child finds or creates the node named name (layer li's name node nn).
func (m *diveModel) child(parent uint32, name []byte, li int, nn uint32) uint32 {
	h := m.index.hash(parent, name)
	if i, ok := m.index.find(h, parent, name); ok {
		return i
	}
	i := m.newNode(parent, uint16(li), nn)
	m.index.insert(h, i)
	return i
}

// remove takes node d and everything under it out of the stacked tree.
func (m *diveModel) remove(d uint32) {
	if !m.n[d].present {
		return
	}
	m.n[d].present = false
	for c := m.n[d].first; c != noNode; c = m.n[c].next {
		m.remove(c)
	}
}

// subtreeSize sums the sizes in the stacked tree under d, d included.
func (m *diveModel) subtreeSize(d uint32) int64 {
	if !m.n[d].present {
		return 0
	}
	s := m.n[d].size
	for c := m.n[d].first; c != noNode; c = m.n[c].next {
		s += m.subtreeSize(c)
	}
	return s
}

// ref counts one reference of path node d with size s.
func (m *diveModel) ref(d uint32, s int64) {
	n := &m.n[d]
	if n.count < 0 {
		n.count = 0
	}
	n.count++
	n.cum += s
	if n.minSize < 0 || s < n.minSize {
		n.minSize = s
	}
}

func (m *diveModel) path(d uint32) string {
	var chain []uint32
	for ; d != 0; d = m.n[d].parent {
		chain = append(chain, d)
	}
	var b []byte
	for k := len(chain) - 1; k >= 0; k-- {
		b = append(append(b, '/'), m.nameOf(chain[k])...)
	}
	return string(b)
}

func (m *diveModel) report(rep *DiveReport, max int) {
	var minSum, cumSum int64
	var ineff []uint32
	for d := 1; d < len(m.n); d++ {
		n := &m.n[d]
		if n.count < 0 {
			continue
		}
		minSum += n.minSize
		cumSum += n.cum
		if n.count >= 2 {
			ineff = append(ineff, uint32(d))
			rep.Wasted += n.cum
		}
	}
	rep.Efficiency = 1
	if cumSum != 0 {
		rep.Efficiency = float64(minSum) / float64(cumSum)
	}
	if rep.UserSize != 0 {
		rep.UserWastedPercent = float64(rep.Wasted) / float64(rep.UserSize)
	}
	paths := make(map[uint32]string, len(ineff))
	for _, d := range ineff {
		paths[d] = m.path(d)
	}
	sort.Slice(ineff, func(i, j int) bool {
		a, b := ineff[i], ineff[j]
		return m.n[a].cum > m.n[b].cum || m.n[a].cum == m.n[b].cum && paths[a] < paths[b]
	})
	rep.InefficientCount = len(ineff)
	rep.InefficientPaths = []DivePath{}
	for _, d := range ineff[:min(len(ineff), max)] {
		rep.InefficientPaths = append(rep.InefficientPaths, DivePath{Path: paths[d], Count: int(m.n[d].count), Size: m.n[d].cum})
	}
}

var whPrefix = []byte(".wh.")

func isWhiteoutNode(name []byte) bool { return bytes.HasPrefix(name, whPrefix) }
