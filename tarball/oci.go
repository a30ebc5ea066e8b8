package tarball

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

func (a *analysis) checkLayoutFile() {
	_, data, err := a.document("oci-layout")
	if err != nil {
		a.add(kindInvalidJSON.causedBy(err), "oci-layout", -1, "%v", err)
		return
	}
	var v struct {
		ImageLayoutVersion string `json:"imageLayoutVersion"`
	}
	if err := decodeStrict(data, &v); err != nil {
		a.add(kindInvalidJSON.causedBy(err), "oci-layout", -1, "%v", err)
		return
	}
	if v.ImageLayoutVersion != "1.0.0" {
		a.add(kindUnsupportedLayout, "oci-layout", -1, "imageLayoutVersion %q; tardigest reads 1.0.0", v.ImageLayoutVersion)
	}
}

// checked is a descriptor after checkDescriptor.
type checked struct {
	digest digest.Digest
	entry  *entry // nil when absent or unreadable
	via    string
}

// checkDescriptor finds the blob a descriptor names and checks its digest
// and size. A missing blob is a finding of kind missing (the caller knows
// whether absence is expected), or none when missing is nil.
func (a *analysis) checkDescriptor(d *descriptor, subject string, image int, missing *Kind) checked {
	dg, err := ParseDigest(d.Digest)
	if err != nil {
		a.add(kindBadDigest.causedBy(err), subject, image, "%v", err)
		return checked{}
	}
	if d.Size < 0 {
		a.add(kindBadSize, subject, image, "negative size %d", d.Size)
	}
	p := a.blobName(dg)
	e, via, err := a.cat.lookup(p)
	if err != nil {
		if errors.Is(err, ErrMissing) {
			if missing != nil {
				a.add(*missing, subject, image, "blob %s (%s) is not in the archive", dg, d.MediaType)
			}
		} else {
			a.add(kindBadEntry.causedBy(err), subject, image, "%v", err)
		}
		return checked{digest: dg}
	}
	a.referenced[e.name] = true
	if via != "" {
		a.add(kindBlobIsLink, subject, image, "blob %q is a link to %q; layout blobs must be files", p, via)
	}
	if e.blob.Digest != dg {
		a.mismatch(kindDigestMismatch, subject, image, "digest", dg.String(), e.blob.Digest.String())
	}
	if d.Size >= 0 && e.blob.Size != d.Size {
		a.mismatch(kindSizeMismatch, subject, image, "size", fmt.Sprint(d.Size), fmt.Sprint(e.blob.Size))
	}
	return checked{digest: dg, entry: e, via: via}
}

// topRef carries the annotations of a top-level index.json entry down to
// the images it reaches.
type topRef struct {
	refName, ctrName string
	target           string // the top-level descriptor's digest
}

func (a *analysis) readIndexJSON() {
	e, data, err := a.document("index.json")
	if e != nil {
		a.res.Archive.IndexJSONDigest = e.blob.Digest
	}
	if err != nil {
		a.add(kindInvalidJSON.causedBy(err), "index.json", -1, "%v", err)
		return
	}
	var idx manifestOrIndex
	if err := decodeStrict(data, &idx); err != nil {
		a.add(kindInvalidJSON.causedBy(err), "index.json", -1, "%v", err)
		return
	}
	if idx.Manifests == nil {
		if a.has("manifest.json") {
			a.add(kindNullIndex, "index.json", -1, "index.json lists no manifests (Docker 25.0.0 writes \"manifests\": null); manifest.json describes the images")
		} else {
			a.add(kindInvalidIndex, "index.json", -1, "index.json has no manifests array")
		}
		return
	}
	if idx.Config != nil || idx.Layers != nil {
		a.add(kindAmbiguousDocument, "index.json", -1, "index.json has both manifests and config/layers")
		return
	}
	a.res.Index, _ = a.walkIndex(*idx.Manifests, walk{where: "index.json"})
}

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
// walked maps a digest listed earlier in this same index to its node and
// under to the images under it. A repeat is not walked again (an index
// that lists one child 10000 times must cost one walk), but its names
// still reach those images (two tags of one image are two index.json
// entries with one digest).
type indexWalk struct {
	walked  map[string]*IndexNode
	under   map[string][]*Image
	repeats int
	// names are, in index.json, the names each digest is listed under,
	// in order: a digest listed under several names is one image with
	// several tags, which is normal.
	names map[string][]string
}

// walkIndex checks each descriptor of an index and follows it. At depth
// 0 the index is index.json, whose entries' annotations name the images.
func (a *analysis) walkIndex(descs []descriptor, w walk) ([]*IndexNode, []*Image) {
	var (
		nodes  []*IndexNode
		images []*Image
		iw     = indexWalk{walked: map[string]*IndexNode{}, under: map[string][]*Image{}, names: map[string][]string{}}
	)
	for i := range descs {
		node, imgs := a.walkDescriptor(&descs[i], i, w, &iw)
		nodes = append(nodes, node)
		images = append(images, imgs...)
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

// walkDescriptor checks descriptor i of the index w stands in, and
// follows it unless the same index listed its digest before.
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
	if first, seen := iw.walked[d.Digest]; seen {
		// In index.json, a digest listed again under a new name is one
		// more tag of the same image; anything else is a repeat.
		if n := topName(top); w.depth == 0 && n != "" && !slices.Contains(iw.names[d.Digest], n) {
			iw.names[d.Digest] = append(iw.names[d.Digest], n)
		} else {
			iw.repeats++
		}
		node.Digest, node.Present, node.Kind, node.RepeatOf = first.Digest, first.Present, first.Kind, first.Where
		for _, img := range iw.under[d.Digest] {
			a.name(img, top)
		}
		return node, nil
	}
	iw.walked[d.Digest] = node
	if n := topName(top); w.depth == 0 && n != "" {
		iw.names[d.Digest] = []string{n}
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
	imgs := a.followBlob(c, d, node, at)
	iw.under[d.Digest] = imgs
	return node, imgs
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

// readDocument parses and classifies the blob of a checked descriptor:
// index or manifest, or nil and "unknown" after a finding.
func (a *analysis) readDocument(c checked, where string) (*manifestOrIndex, NodeKind) {
	_, _, err := a.document(c.entry.name)
	if err != nil {
		a.add(kindUnknownBlob.causedBy(err), where, -1, "%v", err)
		return nil, NodeUnknown
	}
	var doc manifestOrIndex
	if err := decodeStrict(c.entry.data, &doc); err != nil {
		a.add(kindInvalidJSON.causedBy(err), where, -1, "%s: %v", c.entry.name, err)
		return nil, NodeUnknown
	}
	kind, err := classify(&doc)
	if err != nil {
		a.add(kindUnknownBlob.causedBy(err), where, -1, "%s: %v", c.digest, err)
		return nil, NodeUnknown
	}
	return &doc, kind
}

// enterIndex reports whether the index with digest d may be walked from
// where at stands, and marks it on the stack: not when it contains itself,
// nests too deep, or the walks of the archive exceed their bound.
func (a *analysis) enterIndex(d digest.Digest, at walk) bool {
	if a.indexOnStack[d] {
		a.add(kindIndexCycle, at.where, -1, "index %s contains itself", d)
		return false
	}
	if at.depth+1 > a.opts.Limits.MaxIndexDepth {
		a.add(kindIndexTooDeep, at.where, -1, "indexes nest deeper than %d", a.opts.Limits.MaxIndexDepth)
		return false
	}
	// An index reached from two different parents is walked on each path,
	// so each path's names reach the images; the walks are counted and
	// bounded.
	if a.indexWalks++; a.indexWalks > a.opts.Limits.MaxEntries {
		a.add(kindIndexTooLarge, at.where, -1, "more than %d index walks", a.opts.Limits.MaxEntries)
		return false
	}
	a.indexOnStack[d] = true
	return true
}

// classify says whether a parsed document is an index or a manifest,
// refusing documents that could be read as both (CVE-2021-41190) and
// schema 1 manifests.
func classify(doc *manifestOrIndex) (NodeKind, error) {
	switch {
	case doc.MediaType == mtDockerSchema1 || doc.MediaType == mtDockerSchema1S || doc.FSLayers != nil || doc.SchemaVersion == 1:
		return "", fmt.Errorf("%w: schema 1 manifest", ErrUnsupported)
	case doc.Manifests != nil && (doc.Config != nil || doc.Layers != nil):
		return "", fmt.Errorf("%w: document has both manifests and config/layers: ambiguous (CVE-2021-41190)", ErrMalformed)
	case isIndexType(doc.MediaType) || (doc.MediaType == "" && doc.Manifests != nil):
		if doc.Manifests == nil {
			return "", fmt.Errorf("%w: index without a manifests array", ErrMalformed)
		}
		return NodeIndex, nil
	case isManifestType(doc.MediaType) || (doc.MediaType == "" && doc.Config != nil):
		if doc.Config == nil {
			return "", fmt.Errorf("%w: manifest without a config", ErrMalformed)
		}
		return NodeManifest, nil
	}
	return "", fmt.Errorf("%w: neither an image index nor an image manifest (media type %q)", ErrMalformed, doc.MediaType)
}

// checkMediaTypes compares a descriptor's media type with the blob's own.
// Pointing an index type at a manifest (or the reverse) is an error; an
// OCI type on a Docker document of the same kind is a warning, as
// go-containerregistry's own test layouts do it.
func (a *analysis) checkMediaTypes(declared, own string, kind NodeKind, where string) {
	if declared == "" || declared == mtOCIDescriptor {
		return
	}
	var declaredKind NodeKind
	switch {
	case isIndexType(declared):
		declaredKind = NodeIndex
	case isManifestType(declared):
		declaredKind = NodeManifest
	}
	if declaredKind != "" && declaredKind != kind {
		a.add(kindMediaTypeMismatch, where, -1, "descriptor says %s (%s), blob is an %s", declared, declaredKind, kind)
		return
	}
	if own != "" && own != declared {
		a.add(kindMediaTypeDiffers, where, -1, "descriptor media type %s, blob says %s", declared, own)
	}
}

// manifestImage makes (or finds) the image of a manifest blob.
func (a *analysis) manifestImage(c checked, d *descriptor, doc *manifestOrIndex, at walk) *Image {
	img, ok := a.byManifest[c.digest]
	if ok {
		img.Sources = append(img.Sources, at.where)
	} else {
		var i int
		i, img = a.newImage(at.where)
		a.byManifest[c.digest] = img
		img.ManifestDigest = c.entry.blob.Digest
		a.work[img].manifest = c.entry
		img.ManifestSize = c.entry.blob.Size
		img.ManifestMediaType = doc.MediaType
		if img.ManifestMediaType == "" {
			img.ManifestMediaType = d.MediaType
		}
		img.IndexDigests = at.parents
		img.Platform = d.Platform.String()
		a.fillFromManifest(i, img, doc)
	}
	a.name(img, at.top)
	return img
}

// name gives img the names of the index.json entry that leads to it.
func (a *analysis) name(img *Image, ref *topRef) {
	if img.ContainerdImageID == "" {
		if t, err := ParseDigest(ref.target); err == nil {
			img.ContainerdImageID = t
		}
	}
	img.RefNames = appendUnique(img.RefNames, ref.refName)
	img.ContainerdNames = appendUnique(img.ContainerdNames, ref.ctrName)
	key := normalizeName(ref.ctrName)
	if r, ok := ParseRefName(ref.refName); key == "" && ok && r.Repository != "" {
		key = normalizeName(ref.refName)
	}
	if key != "" {
		i := a.imageIndex(img)
		if !slices.Contains(a.indexTags[key], i) {
			a.indexTags[key] = append(a.indexTags[key], i)
		}
	}
}

// fillFromManifest checks a manifest's config and layer descriptors.
func (a *analysis) fillFromManifest(i int, img *Image, doc *manifestOrIndex) {
	cfg := doc.Config
	img.ConfigMediaType = cfg.MediaType
	img.Artifact = doc.ArtifactType != "" || !isConfigType(cfg.MediaType)
	c := a.checkDescriptor(cfg, fmt.Sprintf("image[%d] config", i), i, &kindMissingBlob)
	if c.entry != nil {
		a.work[img].config = c.entry
		img.ConfigPath = c.entry.name
	}
	for j := range doc.Layers {
		ld := &doc.Layers[j]
		if _, isLayer := layerCompression(ld.MediaType); !isLayer {
			img.Artifact = true
		}
		subject := fmt.Sprintf("image[%d] layer[%d]", i, j)
		foreign := isForeign(ld.MediaType) || len(ld.URLs) > 0
		missing := &kindMissingBlob
		if foreign {
			missing = &kindMissingForeignBlob
		}
		lc := a.checkDescriptor(ld, subject, i, missing)
		l := Layer{MediaType: ld.MediaType, ClaimedDigest: lc.digest, ClaimedSize: &ld.Size, Foreign: foreign, LinkTarget: lc.via}
		if lc.digest != "" {
			l.Path = a.blobName(lc.digest)
		}
		if foreign && lc.entry == nil {
			a.add(kindForeignLayer, subject, i, "non-distributable layer %s is not in the archive and cannot be checked offline; its urls are never fetched", lc.digest)
		}
		a.fillLayer(&l, lc.entry)
		img.Layers = append(img.Layers, l)
	}
}
