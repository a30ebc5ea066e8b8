package tarball

import (
	"errors"
	"fmt"

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
	a.addName(img, refNames, ref.refName)
	a.addName(img, containerdNames, ref.ctrName)
	key := normalizeName(ref.ctrName)
	if r, ok := ParseRefName(ref.refName); key == "" && ok && r.Repository != "" {
		key = normalizeName(ref.refName)
	}
	if key != "" {
		if a.indexTags[key] == nil {
			a.indexTags[key] = map[int]bool{}
		}
		a.indexTags[key][a.imageIndex(img)] = true
	}
}

// fillFromManifest checks a manifest's config and layer descriptors.
func (a *analysis) fillFromManifest(i int, img *Image, doc *manifestOrIndex) {
	cfg := doc.Config
	img.ConfigMediaType = cfg.MediaType
	// Whether this is an artifact is settled in checkImage, from the
	// config's content too (isArtifact).
	a.work[img].artifactHint = doc.ArtifactType != ""
	c := a.checkDescriptor(cfg, fmt.Sprintf("image[%d] config", i), i, &kindMissingBlob)
	if c.entry != nil {
		a.work[img].config = c.entry
		img.ConfigPath = c.entry.name
	}
	if !a.spendRows(len(doc.Layers), true, fmt.Sprintf("image[%d]", i), i) {
		return
	}
	for j := range doc.Layers {
		ld := &doc.Layers[j]
		if _, isLayer := layerCompression(ld.MediaType); !isLayer {
			a.work[img].artifactHint = true
		}
		subject := fmt.Sprintf("image[%d] layer[%d]", i, j)
		// Only a non-distributable media type may be absent: urls on an
		// ordinary layer excuse nothing.
		foreign := isForeign(ld.MediaType)
		missing := &kindMissingBlob
		if foreign {
			missing = nil
		}
		lc := a.checkDescriptor(ld, subject, i, missing)
		l := Layer{MediaType: ld.MediaType, ClaimedDigest: lc.digest, ClaimedSize: &ld.Size, Foreign: foreign, LinkTarget: lc.via}
		if lc.digest != "" {
			l.Path = a.blobName(lc.digest)
		}
		if foreign && lc.entry == nil && lc.digest != "" {
			a.add(kindForeignLayer, subject, i, "non-distributable layer %s (%s) is not in the archive and cannot be checked offline; its urls (%s) are never fetched", lc.digest, ld.MediaType, urlList(ld.URLs))
		}
		a.fillLayer(&l, lc.entry)
		img.Layers = append(img.Layers, l)
	}
}
