package tarball

import (
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// walk is where the walk of index.json stands: the path of the index
// being read, how deep it nests, the index.json entry it was reached
// from and the digests of the indexes above it, outermost first.
type walk struct {
	where   string
	depth   int
	top     *topRef // nil while index.json's own entries are read
	parents []digest.Digest
}

// at is the walk at the descriptor in position i of the index, reached
// from top.
func (w walk) at(i int, top *topRef) walk {
	where := fmt.Sprintf("%s/manifests[%d]", w.where, i)
	if w.depth > 0 {
		where = fmt.Sprintf("%s -> manifests[%d]", w.where, i)
	}
	return walk{where: where, depth: w.depth, top: top, parents: w.parents}
}

// into is the walk inside the index with digest d, found where w stands.
func (w walk) into(d digest.Digest) walk {
	return walk{where: w.where, depth: w.depth + 1, top: w.top, parents: append(w.parents[:len(w.parents):len(w.parents)], d)}
}

// indexWalk is the state of the walk of one index's descriptors:
// walked maps a digest listed earlier in this same index to its node. A
// repeat is not walked again (an index that lists one child 10000 times
// must cost one walk), but its names still reach the images under it
// (two tags of one image are two index.json entries with one digest).
type indexWalk struct {
	walked  map[string]*IndexNode
	repeats int
	// names are, in index.json, the names each digest is listed under,
	// in order: a digest listed under several names is one image with
	// several tags, which is normal. named holds them as a set.
	names map[string][]string
	named map[[2]string]bool
}

// visit is what the walk found under a digest the first time it met it:
// its node and the images under it. A digest met again, under another
// index too, is not read nor walked again: many indexes naming one large
// index must not multiply the work.
type visit struct {
	node   *IndexNode
	images []*Image
}

// walkIndex checks each descriptor of an index and follows it. At depth
// 0 the index is index.json, whose entries' annotations name the images.
func (a *analysis) walkIndex(descs []descriptor, w walk) ([]*IndexNode, []*Image) {
	var (
		nodes  []*IndexNode
		images []*Image
		seen   = map[*Image]bool{}
		iw     = indexWalk{walked: map[string]*IndexNode{}, names: map[string][]string{}, named: map[[2]string]bool{}}
	)
	for i := range descs {
		if !a.step(w.where) {
			break
		}
		node, imgs := a.walkDescriptor(&descs[i], i, w, &iw)
		nodes = append(nodes, node)
		for _, img := range imgs {
			if !seen[img] {
				seen[img] = true
				images = append(images, img)
			}
		}
	}
	if iw.repeats > 0 {
		a.add(kindRepeatedDescriptor, w.where, -1, "%d descriptors repeat a digest listed earlier in the same index", iw.repeats)
	}
	for _, n := range nodes {
		if names := iw.names[n.Digest.String()]; n.RepeatOf == "" && len(names) > 1 {
			a.add(kindSeveralNames, n.Where, -1, "index.json lists %s under %d names: %s", n.Digest, len(names), strings.Join(names, ", "))
		}
	}
	return nodes, images
}

// topName is the name an index.json entry gives its image: its
// containerd name, else its ref name; "" for none.
func topName(top *topRef) string {
	if top.ctrName != "" {
		return top.ctrName
	}
	return top.refName
}

// addName records that index.json lists digest d under the name n, and
// says whether n is new for d.
func (iw *indexWalk) addName(d, n string) bool {
	if iw.named[[2]string{d, n}] {
		return false
	}
	iw.named[[2]string{d, n}] = true
	iw.names[d] = append(iw.names[d], n)
	return true
}

// step counts one unit of the walk's work (a descriptor visited, a name
// given to an image under a repeated one) against max-entries, and says
// whether the walk may go on.
func (a *analysis) step(where string) bool {
	if a.steps++; a.steps <= a.opts.Limits.MaxEntries {
		return true
	}
	if a.steps == a.opts.Limits.MaxEntries+1 {
		a.add(kindIndexTooLarge, where, -1, "walking the indexes takes more than %d steps (descriptors and the names they give); the rest is not walked (the max-entries limit)", a.opts.Limits.MaxEntries)
	}
	return false
}

// walkDescriptor checks descriptor i of the index w stands in, and
// follows it unless the walk met its digest before.
func (a *analysis) walkDescriptor(d *descriptor, i int, w walk, iw *indexWalk) (*IndexNode, []*Image) {
	top := w.top
	if w.depth == 0 {
		top = &topRef{refName: d.Annotations[annotationRefName], ctrName: d.Annotations[annotationCtrName], target: d.Digest}
	}
	at := w.at(i, top)
	node := &IndexNode{Where: at.where, MediaType: d.MediaType, Size: d.Size, Platform: d.Platform.String()}
	if w.depth == 0 {
		node.RefName, node.ContainerdName = top.refName, top.ctrName
	}
	_, seen := iw.walked[d.Digest]
	// In index.json, a digest listed again under a new name is one more
	// tag of the same image; anything else is a repeat.
	if n := topName(top); w.depth == 0 && n != "" {
		if !iw.addName(d.Digest, n) && seen {
			iw.repeats++
		}
	} else if seen {
		iw.repeats++
	}
	if !seen {
		iw.walked[d.Digest] = node
	}
	if v := a.visited[d.Digest]; v != nil && !a.indexOnStack[v.node.Digest] {
		return a.revisit(d, node, v, at), v.images
	}
	// A platform manifest missing under a nested index is normal: a
	// single-platform save of a multi-platform image keeps the index and
	// leaves the other platforms out (moby #49473).
	missing := &kindMissingBlob
	if w.depth > 0 {
		missing = nil
	}
	c := a.checkDescriptor(d, at.where, -1, missing)
	node.Digest = c.digest
	if c.entry == nil {
		if w.depth > 0 && c.digest != "" {
			node.Kind = NodeAbsent
			what := "manifest"
			if p := d.Platform.String(); p != "" {
				what = "platform " + p
			}
			a.add(kindAbsentPlatform, at.where, -1, "%s (%s) is not in the archive: left out when the archive was written", what, c.digest)
		}
		return node, nil
	}
	node.Present = true
	if d.MediaType == mtOCIDescriptor {
		a.add(kindMediaTypeDiffers, at.where, -1, "descriptor media type %s does not name a manifest or index", d.MediaType)
	}
	v := &visit{node: node}
	a.visited[d.Digest] = v
	v.images = a.followBlob(c, d, node, at)
	return node, v.images
}

// revisit is the node of a descriptor whose digest the walk met before:
// its own claims (size, media type) are checked against the blob, and the
// names of the index.json entry it is reached from go to the images under
// it; nothing is read again.
func (a *analysis) revisit(d *descriptor, node *IndexNode, v *visit, at walk) *IndexNode {
	first := v.node
	node.Digest, node.Present, node.Kind, node.RepeatOf = first.Digest, first.Present, first.Kind, first.Where
	if e, _, err := a.cat.lookup(a.blobName(first.Digest)); err == nil && d.Size >= 0 && d.Size != e.blob.Size {
		a.mismatch(kindSizeMismatch, at.where, -1, "size", fmt.Sprint(d.Size), fmt.Sprint(e.blob.Size))
	}
	if d.Size < 0 {
		a.add(kindBadSize, at.where, -1, "negative size %d", d.Size)
	}
	if first.Kind == NodeIndex || first.Kind == NodeManifest {
		a.checkMediaTypes(d.MediaType, "", first.Kind, at.where)
	}
	for _, img := range v.images {
		if !a.step(at.where) {
			break
		}
		a.name(img, at.top)
	}
	return node
}

// followBlob reads the blob a descriptor names and walks it: an index
// recursively, a manifest into an image. It returns the images found.
func (a *analysis) followBlob(c checked, d *descriptor, node *IndexNode, at walk) []*Image {
	doc, kind := a.readDocument(c, at.where)
	node.Kind = kind
	if doc == nil {
		return nil
	}
	a.checkMediaTypes(d.MediaType, doc.MediaType, kind, at.where)
	switch kind {
	case NodeIndex:
		if !a.enterIndex(c.digest, at) {
			return nil
		}
		children, imgs := a.walkIndex(*doc.Manifests, at.into(c.digest))
		node.Children = children
		a.indexOnStack[c.digest] = false
		return imgs
	case NodeManifest:
		return []*Image{a.manifestImage(c, d, doc, at)}
	}
	return nil
}

// enterIndex reports whether the index with digest d may be walked from
// where at stands, and marks it on the stack: not when it contains itself
// or nests too deep.
func (a *analysis) enterIndex(d digest.Digest, at walk) bool {
	if a.indexOnStack[d] {
		a.add(kindIndexCycle, at.where, -1, "index %s contains itself", d)
		return false
	}
	if at.depth+1 > a.opts.Limits.MaxIndexDepth {
		a.add(kindIndexTooDeep, at.where, -1, "indexes nest deeper than %d", a.opts.Limits.MaxIndexDepth)
		return false
	}
	a.indexOnStack[d] = true
	return true
}
