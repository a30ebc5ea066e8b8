package tarball

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// Against is a manifest or index captured from a registry on the
// connected side (crane manifest, skopeo inspect --raw), with its exact
// bytes.
type Against struct {
	Name string
	Data []byte
}

// LinkStatus says whether a link of a proof holds.
type LinkStatus string

// Link statuses.
const (
	LinkProven    LinkStatus = "proven"        // the link holds
	LinkBroken    LinkStatus = "broken"        // the link is false
	LinkUnchecked LinkStatus = "not checkable" // the link cannot be checked offline
)

// LinkHint names the input that would let a link be checked, or hold: a
// program that drives Prove words it for its own users (a flag, a field).
type LinkHint string

// Link hints.
const (
	// HintRegistryDigest: the digest the registry gives the image would
	// prove the link.
	HintRegistryDigest LinkHint = "registry_digest"
	// HintCapturedManifest: the manifest the link needs must be captured
	// where the registry is.
	HintCapturedManifest LinkHint = "captured_manifest"
	// HintPlatform: a platform must be chosen from the index.
	HintPlatform LinkHint = "platform"
)

// Link is one step of the chain from a registry digest to the bytes of
// the archive.
type Link struct {
	Step     string     `json:"step"`
	Status   LinkStatus `json:"status"`
	Message  string     `json:"message"`
	Declared string     `json:"declared,omitempty"`
	Computed string     `json:"computed,omitempty"`
	// Hint, when set, names the input that is lacking.
	Hint LinkHint `json:"hint,omitempty"`
}

// newLink makes a link with a message.
func newLink(step string, status LinkStatus, declared, computed string, format string, args ...any) Link {
	return Link{Step: step, Status: status, Declared: declared, Computed: computed, Message: fmt.Sprintf(format, args...)}
}

// Proof is the chain from a registry digest, through captured manifests,
// to the layers of one image of the archive.
type Proof struct {
	// From is the captured file the chain starts from, and FromDigest
	// the sha256 of its exact bytes; empty when no file has the expected
	// digest.
	From       string        `json:"from,omitempty"`
	FromDigest digest.Digest `json:"from_digest,omitempty"`
	// Expected is true when the chain starts at an expected registry
	// digest: FromDigest is that digest. Without one, the chain is
	// proven from the file's bytes only, and whether the registry knows
	// them by FromDigest is left to the user.
	Expected bool `json:"expected"`
	// Image is the position of the image the chain reached; nil when it
	// reached none. ImageName names it: its first name, or its image ID,
	// and its platform.
	Image     *int   `json:"image,omitempty"`
	ImageName string `json:"image_name,omitempty"`
	Links     []Link `json:"links"`
	// Proven is true when no link is broken and the chain reached the
	// layers: config digest and every diffID proven.
	Proven bool `json:"proven"`
}

// capturedDoc is a manifest or index captured where the registry is, or
// one stored in the archive, parsed: its digest and size are of its exact
// bytes, its descriptors' digests parsed.
type capturedDoc struct {
	name   string
	digest digest.Digest
	size   int64
	kind   NodeKind
	// manifests are an index's descriptors; config and layers a
	// manifest's.
	manifests []capturedDesc
	config    capturedDesc
	layers    []capturedDesc
}

// capturedDesc is a descriptor of a captured document, its digest parsed.
type capturedDesc struct {
	mediaType string
	digest    digest.Digest
	size      int64
	platform  string
}

// parseCaptured parses a captured document named name: an index or a
// manifest whose every digest parses.
func parseCaptured(name string, data []byte) (capturedDoc, error) {
	c := capturedDoc{name: name, size: int64(len(data)), digest: digest.FromBytes(data)}
	var doc manifestOrIndex
	if err := decodeStrict(data, &doc); err != nil {
		return c, fmt.Errorf("%s: %w", name, err)
	}
	kind, err := classify(&doc)
	if err != nil {
		return c, fmt.Errorf("%s: %w", name, err)
	}
	c.kind = kind
	parse := func(where string, d *descriptor) (capturedDesc, error) {
		dg, err := ParseDigest(d.Digest)
		if err != nil {
			return capturedDesc{}, fmt.Errorf("%s: %s: %w", name, where, err)
		}
		return capturedDesc{mediaType: d.MediaType, digest: dg, size: d.Size, platform: d.Platform.String()}, nil
	}
	if kind == NodeIndex {
		for i := range *doc.Manifests {
			d, err := parse(fmt.Sprintf("manifests[%d]", i), &(*doc.Manifests)[i])
			if err != nil {
				return c, err
			}
			c.manifests = append(c.manifests, d)
		}
		return c, nil
	}
	if c.config, err = parse("config", doc.Config); err != nil {
		return c, err
	}
	for j := range doc.Layers {
		d, err := parse(fmt.Sprintf("layers[%d]", j), &doc.Layers[j])
		if err != nil {
			return c, err
		}
		c.layers = append(c.layers, d)
	}
	return c, nil
}

// Prove links the registry digest (expect, if given) to the archive
// through the captured manifests and indexes, step by step: the registry
// digest to a captured document, an index to its platform's manifest, the
// manifest's config to the image ID, the config's diffIDs to the layers'
// bytes, the manifest's layers to the stored blobs. platform
// (os/arch[/variant]) chooses the manifest of an index; when empty the
// archive image's own platform does. image restricts the chain to one
// image (-1: any). The error is non-nil only when no file is given or a
// captured file cannot be parsed.
func (r *Result) Prove(files []Against, expect []digest.Digest, platform string, image int) (*Proof, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no captured manifest or index to prove from", ErrMissing)
	}
	docs := make([]capturedDoc, 0, len(files))
	for _, f := range files {
		c, err := parseCaptured(f.Name, f.Data)
		if err != nil {
			return nil, err
		}
		docs = append(docs, c)
	}
	p := &Proof{Links: []Link{}}
	root, l := rootLink(docs, expect)
	p.Links = append(p.Links, l)
	if root < 0 {
		return p, nil
	}
	p.From, p.FromDigest, p.Expected = docs[root].name, docs[root].digest, l.Status == LinkProven
	manifest := &docs[root]
	if manifest.kind == NodeIndex {
		manifest, l = r.platformLink(&docs[root], docs, r.wantedPlatform(platform, image))
		p.Links = append(p.Links, l)
		if manifest == nil {
			return p, nil
		}
	}
	img, l := r.configLink(manifest, image)
	p.Links = append(p.Links, l)
	p.Image = position(img)
	if img >= 0 {
		p.ImageName = imageName(r.Images[img])
	}
	if l.Status != LinkProven {
		return p, nil
	}
	x := r.Images[img]
	diffs, diffOK := diffIDLinks(x, len(manifest.layers))
	layers, countOK := layerLinks(manifest, x)
	p.Links = append(append(p.Links, diffs...), layers...)
	if err := r.Err(img); err != nil {
		p.Links = append(p.Links, newLink("archive verification", LinkBroken, "", "", "the image did not verify on its own: %s", firstLine(err)))
	}
	p.Proven = diffOK && countOK && !slices.ContainsFunc(p.Links, func(l Link) bool { return l.Status == LinkBroken })
	return p, nil
}

// rootLink links the registry digest to the captured document with that
// digest, and returns its position, or -1 when none has it. Without an
// expected digest, the chain starts at the last index given, else at the
// first document, and the link cannot be checked.
func rootLink(docs []capturedDoc, expect []digest.Digest) (int, Link) {
	const step = "registry digest"
	if len(expect) == 0 {
		root := -1
		for i := range docs {
			if docs[i].kind == NodeIndex || root < 0 {
				root = i
			}
		}
		l := newLink(step, LinkUnchecked, "", docs[root].digest.String(), "no registry digest given: %s has digest %s", docs[root].name, docs[root].digest)
		l.Hint = HintRegistryDigest
		return root, l
	}
	for i := range docs {
		if slices.Contains(expect, docs[i].digest) {
			return i, newLink(step, LinkProven, docs[i].digest.String(), docs[i].digest.String(), "sha256 of %s's exact bytes is %s, the expected digest", docs[i].name, docs[i].digest)
		}
	}
	got := make([]string, len(docs))
	for i := range docs {
		got[i] = docs[i].name + " " + docs[i].digest.String()
	}
	computed := strings.Join(got, ", ")
	return -1, newLink(step, LinkBroken, expect[0].String(), computed, "no captured file has the expected digest %s (computed: %s)", expect[0], computed)
}

// wantedPlatform is the platform to follow in an index: the one asked
// for, else the chosen image's, else the archive's only image's.
func (r *Result) wantedPlatform(platform string, image int) string {
	switch {
	case platform != "":
		return platform
	case image >= 0 && image < len(r.Images):
		return r.Images[image].Platform
	case len(r.Images) == 1:
		return r.Images[0].Platform
	}
	return ""
}

// platformLink links an index to the manifest it lists for platform
// want: a captured one of exactly that digest and size, else the one the
// archive stores. It returns nil when there is none.
func (r *Result) platformLink(index *capturedDoc, docs []capturedDoc, want string) (*capturedDoc, Link) {
	const step = "index -> platform manifest"
	var desc *capturedDesc
	for i := range index.manifests {
		if want != "" && index.manifests[i].platform == want {
			desc = &index.manifests[i]
			break
		}
	}
	if desc == nil {
		l := newLink(step, LinkBroken, want, "", "index %s lists no manifest for platform %q", index.name, want)
		l.Hint = HintPlatform
		return nil, l
	}
	for i := range docs {
		d := &docs[i]
		if d.digest != desc.digest || d.kind != NodeManifest {
			continue
		}
		if d.size != desc.size {
			return nil, newLink(step, LinkBroken, fmt.Sprint(desc.size), fmt.Sprint(d.size), "index says the %s manifest is %d bytes, %s has %d", want, desc.size, d.name, d.size)
		}
		return d, newLink(step, LinkProven, desc.digest.String(), d.digest.String(), "index lists %s for %s; %s has exactly that digest and size", desc.digest, want, d.name)
	}
	if m := r.storedManifest(desc.digest); m != nil {
		return m, newLink(step, LinkProven, desc.digest.String(), m.digest.String(), "index lists %s for %s; the archive stores that manifest and it verified", desc.digest, want)
	}
	l := newLink(step, LinkBroken, desc.digest.String(), "", "the index's %s manifest %s is neither captured nor in the archive", want, desc.digest)
	l.Hint = HintCapturedManifest
	return nil, l
}

// storedManifest is the manifest with digest d that the archive stores,
// parsed, or nil.
func (r *Result) storedManifest(d digest.Digest) *capturedDoc {
	for _, img := range r.Images {
		if img.ManifestDigest != d {
			continue
		}
		data, err := r.stored(d, "manifest")
		if err != nil {
			return nil
		}
		m, err := parseCaptured("the archive's manifest "+d.String(), data)
		if err != nil || m.kind != NodeManifest {
			return nil
		}
		return &m
	}
	return nil
}

// configLink links a manifest's config to the image ID of an image of
// the archive (image, or any when -1), digest and size, and returns its
// position, or -1.
func (r *Result) configLink(m *capturedDoc, image int) (int, Link) {
	const step = "manifest config -> image ID"
	cfg := m.config
	var ids []string
	for i, x := range r.Images {
		if image >= 0 && image != i {
			continue
		}
		if x.ImageID != cfg.digest {
			ids = append(ids, x.ImageID.String())
			continue
		}
		if cfg.size != x.ConfigSize {
			return i, newLink(step, LinkBroken, fmt.Sprint(cfg.size), fmt.Sprint(x.ConfigSize), "%s says the config is %d bytes, the archive's is %d", m.name, cfg.size, x.ConfigSize)
		}
		return i, newLink(step, LinkProven, cfg.digest.String(), x.ImageID.String(), "%s names config %s (%d bytes): the image ID of %s", m.name, cfg.digest, x.ConfigSize, imageName(x))
	}
	return -1, newLink(step, LinkBroken, cfg.digest.String(), strings.Join(ids, ", "), "%s names config %s, but the archive's image ID is %s", m.name, cfg.digest, listOrNone(ids))
}

// diffIDLinks links the config's diffIDs to the uncompressed bytes of
// the image's layers: one broken link per layer that does not match, or
// one proven link for all. An image without layers proves nothing unless
// the manifest lists none either.
func diffIDLinks(x *Image, manifestLayers int) ([]Link, bool) {
	var links []Link
	for j, l := range x.Layers {
		if !l.Present || l.DiffID == "" || l.DiffID != l.ConfigDiffID {
			links = append(links, newLink(fmt.Sprintf("config diff_ids[%d] -> layer bytes", j), LinkBroken, l.ConfigDiffID.String(), l.DiffID.String(), "layer %d (%s): config says %s, the archive's layer decompresses to %s", j, l.Path, l.ConfigDiffID, orAbsent(l)))
		}
	}
	if len(links) > 0 || (len(x.Layers) == 0 && manifestLayers > 0) {
		return links, false
	}
	msg := fmt.Sprintf("all %d diffIDs in the config match the uncompressed bytes of the archive's layers", len(x.Layers))
	switch len(x.Layers) {
	case 0:
		msg = "the config lists no diffID and the manifest no layer"
	case 1:
		msg = "the config's one diffID matches the uncompressed bytes of the archive's layer"
	}
	return []Link{newLink("config diff_ids -> layer bytes", LinkProven, "", "", "%s", msg)}, true
}

// layerLinks links each layer of a manifest to the archive's stored blob:
// proven where the archive stores it as pushed, not checkable where it
// stores it uncompressed (its diffID proves the bytes instead). It
// reports false when the counts differ.
func layerLinks(m *capturedDoc, x *Image) ([]Link, bool) {
	if len(m.layers) != len(x.Layers) {
		return []Link{newLink("manifest layers -> layer blobs", LinkBroken, fmt.Sprint(len(m.layers)), fmt.Sprint(len(x.Layers)), "%s lists %d layers, the image has %d", m.name, len(m.layers), len(x.Layers))}, false
	}
	links := make([]Link, 0, len(m.layers))
	for j, md := range m.layers {
		links = append(links, layerLink(j, md, x.Layers[j]))
	}
	return links, true
}

// layerLink links layer j of a manifest to the archive's layer l.
func layerLink(j int, md capturedDesc, l Layer) Link {
	step := fmt.Sprintf("manifest layers[%d] -> layer blob", j)
	switch {
	case !l.Present:
		return newLink(step, LinkBroken, md.digest.String(), "", "layer %d is not in the archive", j)
	case l.Digest == md.digest && l.Size == md.size:
		return newLink(step, LinkProven, md.digest.String(), l.Digest.String(), "layer %d is stored exactly as pushed: %s, %d bytes", j, md.digest, md.size)
	case l.Digest == md.digest:
		return newLink(step, LinkBroken, fmt.Sprint(md.size), fmt.Sprint(l.Size), "layer %d: manifest says %d bytes, the archive's blob has %d", j, md.size, l.Size)
	case l.Compression != layer.None:
		return newLink(step, LinkBroken, md.digest.String(), l.Digest.String(), "layer %d: manifest says %s, the archive stores %s", j, md.digest, l.Digest)
	}
	if want, _ := layerCompression(md.mediaType); want == layer.None {
		return newLink(step, LinkBroken, md.digest.String(), l.Digest.String(), "layer %d: manifest says %s, the archive's uncompressed layer is %s", j, md.digest, l.Digest)
	}
	return newLink(step, LinkUnchecked, md.digest.String(), l.Digest.String(), "layer %d is stored uncompressed: its compressed digest %s cannot be recomputed from content; its diffID proves the bytes instead", j, md.digest)
}

// orAbsent is what a layer decompresses to, for a message.
func orAbsent(l Layer) string {
	if !l.Present {
		return "nothing (absent)"
	}
	if l.DiffID == "" {
		return "nothing (does not decompress)"
	}
	return l.DiffID.String()
}
