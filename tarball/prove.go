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

// Link is one step of the chain from a registry digest to the bytes of
// the archive.
type Link struct {
	Step     string     `json:"step"`
	Status   LinkStatus `json:"status"`
	Message  string     `json:"message"`
	Declared string     `json:"declared,omitempty"`
	Computed string     `json:"computed,omitempty"`
}

// Proof is the chain from a registry digest, through captured manifests,
// to the layers of one image of the archive.
type Proof struct {
	// Image is the position of the image the chain reached, or -1.
	Image int    `json:"image"`
	Links []Link `json:"links"`
	// Proven is true when no link is broken and the chain reached the
	// layers: config digest and every diffID proven.
	Proven bool `json:"proven"`
}

type capturedDoc struct {
	name   string
	digest digest.Digest
	size   int64
	kind   NodeKind
	doc    manifestOrIndex
}

// Prove links the registry digest (expect, if given) to the archive
// through the captured manifests and indexes. platform (os/arch[/variant])
// chooses the manifest of an index; when empty the archive image's own
// platform does. image restricts the chain to one image (-1: any). The
// error is non-nil only when a captured file cannot be parsed.
func (r *Result) Prove(files []Against, expect []digest.Digest, platform string, image int) (*Proof, error) {
	docs := make([]capturedDoc, 0, len(files))
	for _, f := range files {
		c := capturedDoc{name: f.Name, size: int64(len(f.Data)), digest: digest.FromBytes(f.Data)}
		if err := decodeStrict(f.Data, &c.doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		kind, err := classify(&c.doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		c.kind = kind
		docs = append(docs, c)
	}
	p := &Proof{Image: -1, Links: []Link{}}
	link := func(step string, status LinkStatus, declared, computed, format string, args ...any) {
		p.Links = append(p.Links, Link{Step: step, Status: status, Declared: declared, Computed: computed, Message: fmt.Sprintf(format, args...)})
	}

	// Registry digest -> the captured document it names.
	root := -1
	if len(expect) > 0 {
		for i := range docs {
			if slices.Contains(expect, docs[i].digest) {
				root = i
				link("registry digest", LinkProven, expect[0].String(), docs[i].digest.String(), "sha256 of %s's exact bytes is %s, the expected digest", docs[i].name, docs[i].digest)
				break
			}
		}
		if root < 0 {
			got := make([]string, len(docs))
			for i := range docs {
				got[i] = docs[i].name + " " + docs[i].digest.String()
			}
			link("registry digest", LinkBroken, expect[0].String(), strings.Join(got, ", "), "no --against file has the expected digest %s (computed: %s)", expect[0], strings.Join(got, ", "))
			return p, nil
		}
	} else {
		for i := range docs {
			if docs[i].kind == NodeIndex || root < 0 {
				root = i
			}
		}
		link("registry digest", LinkUnchecked, "", docs[root].digest.String(), "no --expect given: %s has digest %s; pass --expect with the registry's digest to prove it", docs[root].name, docs[root].digest)
	}

	// Index -> the platform's manifest.
	var manifest *manifestOrIndex
	manifestName := docs[root].name
	if docs[root].kind == NodeIndex {
		want := platform
		if want == "" && image >= 0 && image < len(r.Images) {
			want = r.Images[image].Platform
		}
		if want == "" && len(r.Images) == 1 {
			want = r.Images[0].Platform
		}
		var desc *descriptor
		for i, d := range *docs[root].doc.Manifests {
			if d.Platform.String() == want && want != "" {
				desc = &(*docs[root].doc.Manifests)[i]
				break
			}
		}
		if desc == nil {
			link("index -> platform manifest", LinkBroken, want, "", "index %s lists no manifest for platform %q (choose one with --platform)", docs[root].name, want)
			return p, nil
		}
		found := false
		for i := range docs {
			if docs[i].digest.String() == desc.Digest && docs[i].kind == NodeManifest {
				found = true
				manifest, manifestName = &docs[i].doc, docs[i].name
				if docs[i].size != desc.Size {
					link("index -> platform manifest", LinkBroken, fmt.Sprint(desc.Size), fmt.Sprint(docs[i].size), "index says the %s manifest is %d bytes, %s has %d", want, desc.Size, docs[i].name, docs[i].size)
					return p, nil
				}
				link("index -> platform manifest", LinkProven, desc.Digest, docs[i].digest.String(), "index lists %s for %s; %s has exactly that digest and size", desc.Digest, want, docs[i].name)
			}
		}
		if !found {
			for _, img := range r.Images {
				if img.ManifestDigest.String() == desc.Digest {
					found = true
					doc := r.manifestDoc(img)
					if doc == nil {
						break
					}
					manifest, manifestName = doc, "the archive's manifest "+desc.Digest
					link("index -> platform manifest", LinkProven, desc.Digest, img.ManifestDigest.String(), "index lists %s for %s; the archive stores that manifest and it verified", desc.Digest, want)
				}
			}
		}
		if manifest == nil {
			link("index -> platform manifest", LinkBroken, desc.Digest, "", "the index's %s manifest %s was not given with --against and is not in the archive", want, desc.Digest)
			return p, nil
		}
	} else {
		manifest = &docs[root].doc
	}

	// Manifest -> the archive's config (image ID).
	cfgDigest := manifest.Config.Digest
	img := -1
	for i, x := range r.Images {
		if (image < 0 || image == i) && x.ImageID.String() == cfgDigest {
			img = i
			break
		}
	}
	if img < 0 {
		var ids []string
		for i, x := range r.Images {
			if image < 0 || image == i {
				ids = append(ids, x.ImageID.String())
			}
		}
		link("manifest config -> image ID", LinkBroken, cfgDigest, strings.Join(ids, ", "), "%s names config %s, but the archive's image ID is %s", manifestName, cfgDigest, listOrNone(ids))
		return p, nil
	}
	p.Image = img
	x := r.Images[img]
	if manifest.Config.Size != x.ConfigSize {
		link("manifest config -> image ID", LinkBroken, fmt.Sprint(manifest.Config.Size), fmt.Sprint(x.ConfigSize), "%s says the config is %d bytes, the archive's is %d", manifestName, manifest.Config.Size, x.ConfigSize)
		return p, nil
	}
	link("manifest config -> image ID", LinkProven, cfgDigest, x.ImageID.String(), "%s names config %s (%d bytes): the image ID of %s", manifestName, cfgDigest, x.ConfigSize, imageName(x))

	// Config diffIDs -> the archive's layers.
	diffOK := len(x.Layers) > 0 || len(manifest.Layers) == 0
	for j, l := range x.Layers {
		if !l.Present || l.DiffID == "" || l.DiffID != l.ConfigDiffID {
			diffOK = false
			link(fmt.Sprintf("config diff_ids[%d] -> layer bytes", j), LinkBroken, l.ConfigDiffID.String(), l.DiffID.String(), "layer %d (%s): config says %s, the archive's layer decompresses to %s", j, l.Path, l.ConfigDiffID, orAbsent(l))
		}
	}
	if diffOK {
		link("config diff_ids -> layer bytes", LinkProven, "", "", "all %d diffIDs in the config match the uncompressed bytes of the archive's layers", len(x.Layers))
	}

	// Manifest layers -> the archive's stored blobs, where they are stored
	// as pushed.
	if len(manifest.Layers) != len(x.Layers) {
		link("manifest layers -> layer blobs", LinkBroken, fmt.Sprint(len(manifest.Layers)), fmt.Sprint(len(x.Layers)), "%s lists %d layers, the image has %d", manifestName, len(manifest.Layers), len(x.Layers))
		diffOK = false
	} else {
		for j, md := range manifest.Layers {
			l := x.Layers[j]
			step := fmt.Sprintf("manifest layers[%d] -> layer blob", j)
			switch {
			case !l.Present:
				link(step, LinkBroken, md.Digest, "", "layer %d is not in the archive", j)
			case l.Digest.String() == md.Digest && l.Size == md.Size:
				link(step, LinkProven, md.Digest, l.Digest.String(), "layer %d is stored exactly as pushed: %s, %d bytes", j, md.Digest, md.Size)
			case l.Digest.String() == md.Digest:
				link(step, LinkBroken, fmt.Sprint(md.Size), fmt.Sprint(l.Size), "layer %d: manifest says %d bytes, the archive's blob has %d", j, md.Size, l.Size)
			case l.Compression == layer.None:
				if want, _ := layerCompression(md.MediaType); want == layer.None {
					link(step, LinkBroken, md.Digest, l.Digest.String(), "layer %d: manifest says %s, the archive's uncompressed layer is %s", j, md.Digest, l.Digest)
				} else {
					link(step, LinkUnchecked, md.Digest, l.Digest.String(), "layer %d is stored uncompressed: its compressed digest %s cannot be recomputed from content; its diffID proves the bytes instead", j, md.Digest)
				}
			default:
				link(step, LinkBroken, md.Digest, l.Digest.String(), "layer %d: manifest says %s, the archive stores %s", j, md.Digest, l.Digest)
			}
		}
	}
	if err := r.Err(img); err != nil {
		link("archive verification", LinkBroken, "", "", "the image did not verify on its own: %s", firstLine(err))
	}
	p.Proven = diffOK
	for _, l := range p.Links {
		if l.Status == LinkBroken {
			p.Proven = false
		}
	}
	return p, nil
}

func orAbsent(l Layer) string {
	if !l.Present {
		return "nothing (absent)"
	}
	if l.DiffID == "" {
		return "nothing (does not decompress)"
	}
	return l.DiffID.String()
}

// manifestDoc returns the parsed stored manifest of img, or nil.
func (r *Result) manifestDoc(img *Image) *manifestOrIndex {
	data, err := r.stored(img.ManifestDigest, "manifest")
	if err != nil {
		return nil
	}
	var doc manifestOrIndex
	if decodeStrict(data, &doc) != nil {
		return nil
	}
	return &doc
}
