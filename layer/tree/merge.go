package tree

import "fmt"

// Image is the merged filesystem of an image: its layers applied in
// order, base first, with OCI whiteout semantics, from the headers alone.
// It answers listings and lookups, and says what every layer added,
// changed, removed and wasted.
type Image struct {
	Facts  ImageFacts    `json:"facts"`
	Layers []LayerChange `json:"layers"`
	Waste  Waste         `json:"waste"`
	// Findings of the layers in this image: hard links, parents that are
	// not directories, whiteouts of nothing, writes through symlinks.
	Findings        []Finding `json:"findings"`
	OmittedFindings int       `json:"omitted_findings,omitempty"`

	layers    []*Layer
	nodes     []mnode
	index     childIndex
	linkTo    map[uint64]uint64 // hard link entry (layer<<32|index) → content entry
	findings  findingList
	entryNode [][]uint32 // per layer, per entry: the node it wrote (noNode if none)
	changes   []LayerChange
	truncated bool
	maxFiles  int
}

// mnode is one path of the merged filesystem, 28 bytes. Its name is the
// name node nameNode of layer nameLayer; its writer is entry `entry` of
// layer `layer` (noNode for a directory that exists only because
// something was put in it). Children are a linked list.
type mnode struct {
	parent, nameNode, first, next, entry uint32
	nameLayer, layer                     uint16
	flags                                uint8
}

const noNode = ^uint32(0)

// mnode flags.
const (
	mAlive = 1 << iota
	mDir
	mSymlink
)

// LayerChange is what one layer did to the filesystem below it. Added,
// Changed and Removed count non-directory paths: written where nothing
// was visible, written over a path a lower layer wrote, and deleted
// (by a whiteout, an opaque directory or a replaced directory).
type LayerChange struct {
	Added       int   `json:"added"`
	Changed     int   `json:"changed"`
	Removed     int   `json:"removed"`
	Whiteouts   int   `json:"whiteouts"` // whiteout and opaque entries
	Reclaimable int64 `json:"reclaimable"`
	Flagged     int   `json:"flagged"`
}

// ImageFacts are the facts of the merged filesystem. Size counts each
// regular file's bytes once, however many hard links name them: it is
// the size of the squashed image's files.
type ImageFacts struct {
	Paths     int    `json:"paths"`
	Files     int    `json:"files"`
	Dirs      int    `json:"dirs"`
	Symlinks  int    `json:"symlinks"`
	Hardlinks int    `json:"hardlinks"`
	Other     int    `json:"other"`
	Size      int64  `json:"size"`
	Largest   []File `json:"largest"`
	OS        *OS    `json:"os,omitempty"`
	// Truncated says the merge stopped at Limits.MaxFiles.
	Truncated bool `json:"truncated,omitempty"`
}

// Merge applies layers in order (base first) and returns the merged
// filesystem. Only the limits MaxFiles, MaxListed and the TopFiles count
// of opts are used. The layers are only read.
func Merge(layers []*Layer, opts Options) *Image {
	opts = opts.withDefaults()
	img := &Image{layers: layers, linkTo: map[uint64]uint64{}, maxFiles: opts.Limits.MaxFiles}
	img.findings.max = opts.Limits.MaxListed
	hint := 1
	for _, l := range layers {
		hint += l.names.len()
	}
	hint = min(hint, img.maxFiles)
	img.nodes = make([]mnode, 1, hint)
	img.nodes[0] = mnode{entry: noNode, first: noNode, next: noNode, flags: mAlive | mDir}
	img.index.init(img.nameOf, img.parentOf)
	img.index.reserve(hint)
	img.changes = make([]LayerChange, len(layers))
	img.entryNode = make([][]uint32, len(layers))
	for i, l := range layers {
		a := applier{img: img, li: i, l: l, memo: make([]memo, l.names.len())}
		a.apply()
	}
	img.finish(opts)
	return img
}

func (img *Image) parentOf(i uint32) uint32 { return img.nodes[i].parent }

func (img *Image) nameOf(i uint32) []byte {
	n := &img.nodes[i]
	return img.layers[n.nameLayer].names.nameOf(n.nameNode)
}

// path returns the slash-separated path of node i ("" for the root).
func (img *Image) path(i uint32) string {
	var chain []uint32
	for ; i != 0; i = img.nodes[i].parent {
		chain = append(chain, i)
	}
	var b []byte
	for k := len(chain) - 1; k >= 0; k-- {
		if len(b) > 0 {
			b = append(b, '/')
		}
		b = append(b, img.nameOf(chain[k])...)
	}
	return string(b)
}

func (img *Image) alive(i uint32) bool { return img.nodes[i].flags&mAlive != 0 }
func (img *Image) isDir(i uint32) bool { return img.nodes[i].flags&(mAlive|mDir) == mAlive|mDir }
func (img *Image) isLink(i uint32) bool {
	return img.nodes[i].flags&(mAlive|mSymlink) == mAlive|mSymlink
}

// lookup returns parent's child named name, alive or not.
func (img *Image) lookup(parent uint32, name []byte) (uint32, bool) {
	return img.index.find(img.index.hash(parent, name), parent, name)
}

// create adds a child node (dead) named by layer li's name node.
func (img *Image) create(parent uint32, name []byte, li int, nameNode uint32) (uint32, bool) {
	if len(img.nodes) >= img.maxFiles {
		if !img.truncated {
			img.truncated = true
			img.findings.add(li, KindLimit, string(name), fmt.Sprintf("more than %d paths (the max-files limit): the rest of the image is not merged", img.maxFiles))
		}
		return 0, false
	}
	i := uint32(len(img.nodes))
	p := &img.nodes[parent]
	img.nodes = append(img.nodes, mnode{parent: parent, nameNode: nameNode, nameLayer: uint16(li), first: noNode, next: p.first, entry: noNode})
	img.nodes[parent].first = i
	img.index.insert(img.index.hash(parent, name), i)
	return i, true
}

// content returns the entry that holds a node's bytes: for a hard link,
// the entry it resolved to when it was applied.
func (img *Image) content(i uint32) (layer int, entry uint32, ok bool) {
	n := &img.nodes[i]
	if n.entry == noNode {
		return int(n.layer), noNode, false
	}
	if img.layers[n.layer].entries.at(int(n.entry)).kind == kHardlink {
		c, ok := img.linkTo[uint64(n.layer)<<32|uint64(n.entry)]
		return int(c >> 32), uint32(c), ok
	}
	return int(n.layer), n.entry, true
}
