package tree

import "sort"

// Waste is what squashing the image would save, exactly: the bytes of
// regular files stored in some layer but not visible in the merged
// filesystem, because a later entry overwrote them or a whiteout, an
// opaque directory or a replaced directory deleted them. A file still
// visible through a hard link is not waste.
type Waste struct {
	// Stored is the bytes of regular files in all layers.
	Stored int64 `json:"stored"`
	// Reclaimable is the bytes among them that are not visible.
	Reclaimable int64 `json:"reclaimable"`
	// Paths lists the paths with the most reclaimable bytes (at most
	// Limits.MaxListed), largest first.
	Paths []WastedPath `json:"paths"`
	// Truncated says the merge stopped at a limit: the numbers cover the
	// part merged.
	Truncated bool `json:"truncated,omitempty"`
}

// WastedPath is one path's reclaimable bytes and the layers that have an
// entry for it (whiteouts included), base first.
type WastedPath struct {
	Path        string `json:"path"`
	Reclaimable int64  `json:"reclaimable"`
	Layers      []int  `json:"layers"`
}

// finish computes the facts, the waste and the OS once every layer is
// applied, then drops what only merging needed.
func (img *Image) finish(opts Options) {
	live := img.liveEntries()
	img.facts(live, opts.TopFiles)
	img.waste(live, opts.Limits.MaxListed)
	for i, l := range img.layers {
		img.changes[i].Flagged = l.Facts.FlaggedFiles
	}
	img.Layers = img.changes
	img.Findings, img.OmittedFindings = img.findings.list, img.findings.omitted
	img.Facts.Truncated, img.Waste.Truncated = img.truncated, img.truncated
	img.Facts.OS = img.findOS()
	nonNil(&img.Facts.Largest, &img.Waste.Paths, &img.Findings)
	img.entryNode = nil
}

// liveEntries marks, per layer, the regular file entries whose bytes are
// visible: at their own path or through a hard link.
func (img *Image) liveEntries() [][]uint64 {
	live := make([][]uint64, len(img.layers))
	for i, l := range img.layers {
		live[i] = make([]uint64, (l.entries.len()+63)/64)
	}
	for n := range img.nodes {
		if n == 0 || !img.alive(uint32(n)) {
			continue
		}
		if cl, ce, ok := img.content(uint32(n)); ok && img.layers[cl].entries.at(int(ce)).kind == kFile {
			live[cl][ce/64] |= 1 << (ce % 64)
		}
	}
	return live
}

func isLive(live [][]uint64, l int, e uint32) bool { return live[l][e/64]&(1<<(e%64)) != 0 }

// facts counts the merged filesystem.
func (img *Image) facts(live [][]uint64, top int) {
	f := &img.Facts
	largest := topFiles{max: top}
	for n := 1; n < len(img.nodes); n++ {
		nd := &img.nodes[n]
		if nd.flags&mAlive == 0 {
			continue
		}
		f.Paths++
		k := kDir
		if nd.entry != noNode {
			k = img.layers[nd.layer].entries.at(int(nd.entry)).kind
		}
		switch k {
		case kDir:
			f.Dirs++
		case kFile:
			f.Files++
		case kHardlink:
			f.Hardlinks++
		case kSymlink:
			f.Symlinks++
		default:
			f.Other++
		}
		if cl, ce, ok := img.content(uint32(n)); ok && (k == kFile || k == kHardlink) {
			largest.offer(img.layers[cl].entries.at(int(ce)).size, uint32(n))
		}
	}
	for li, l := range img.layers {
		for i := 0; i < l.entries.len(); i++ {
			if isLive(live, li, uint32(i)) {
				f.Size += l.entries.at(int(i)).size
			}
		}
	}
	for i, n := range largest.idx {
		f.Largest = append(f.Largest, File{Path: img.path(n), Size: largest.size[i]})
	}
	sortFiles(f.Largest)
}

func sortFiles(fs []File) {
	sort.Slice(fs, func(i, j int) bool {
		return fs[i].Size > fs[j].Size || fs[i].Size == fs[j].Size && fs[i].Path < fs[j].Path
	})
}

// waste sums what is not live, per layer and per path.
func (img *Image) waste(live [][]uint64, max int) {
	w := &img.Waste
	perNode := map[uint32]int64{}
	for li, l := range img.layers {
		for i := 0; i < l.entries.len(); i++ {
			e := l.entries.at(int(i))
			if e.kind != kFile {
				continue
			}
			w.Stored += e.size
			if isLive(live, li, uint32(i)) {
				continue
			}
			w.Reclaimable += e.size
			img.changes[li].Reclaimable += e.size
			if n := img.entryNode[li][i]; n != noNode && e.size > 0 {
				perNode[n] += e.size
			}
		}
	}
	top := make([]uint32, 0, len(perNode))
	for n := range perNode {
		top = append(top, n)
	}
	paths := make(map[uint32]string, len(top))
	for _, n := range top {
		paths[n] = img.path(n)
	}
	sort.Slice(top, func(i, j int) bool {
		a, b := perNode[top[i]], perNode[top[j]]
		return a > b || a == b && paths[top[i]] < paths[top[j]]
	})
	top = top[:min(len(top), max)]
	layers := img.layersAt(top)
	for _, n := range top {
		w.Paths = append(w.Paths, WastedPath{Path: paths[n], Reclaimable: perNode[n], Layers: layers[n]})
	}
}

// layersAt lists, for each of nodes, the layers with an entry that wrote
// or deleted it.
func (img *Image) layersAt(nodes []uint32) map[uint32][]int {
	out := make(map[uint32][]int, len(nodes))
	for _, n := range nodes {
		out[n] = nil
	}
	for li, targets := range img.entryNode {
		for _, t := range targets {
			if ls, ok := out[t]; ok && (len(ls) == 0 || ls[len(ls)-1] != li) {
				out[t] = append(ls, li)
			}
		}
	}
	return out
}
