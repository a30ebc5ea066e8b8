package tarball

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// Match is one object of the archive that has a given digest.
type Match struct {
	// What is index, manifest, config, layer, diff_id, blob or index.json.
	What string `json:"what"`
	// Image is the position of the image the object belongs to, or -1.
	Image int `json:"image"`
	// Layer is the layer's position for layer and diff_id, else -1.
	Layer int `json:"layer"`
	// Where names the object: an index path or an entry name.
	Where string `json:"where,omitempty"`
}

// Find returns every object of the archive whose digest is d: indexes,
// manifests, configs (image IDs), stored layer blobs, diffIDs and
// unreferenced blobs.
func (r *Result) Find(d digest.Digest) []Match {
	var out []Match
	var walk func(nodes []*IndexNode)
	walk = func(nodes []*IndexNode) {
		for _, n := range nodes {
			if n.Digest == d && n.Kind == NodeIndex && n.Present {
				out = append(out, Match{What: "index", Image: -1, Layer: -1, Where: n.Where})
			}
			walk(n.Children)
		}
	}
	walk(r.Index)
	for i, img := range r.Images {
		if img.ManifestDigest == d {
			out = append(out, Match{What: "manifest", Image: i, Layer: -1, Where: img.Sources[0]})
		}
		if img.ImageID == d {
			out = append(out, Match{What: "config", Image: i, Layer: -1, Where: img.ConfigPath})
		}
		for j, l := range img.Layers {
			if l.Present && l.Digest == d {
				out = append(out, Match{What: "layer", Image: i, Layer: j, Where: l.Path})
			}
			if l.Present && l.DiffID == d && l.Compression != layer.None {
				out = append(out, Match{What: "diff_id", Image: i, Layer: j, Where: l.Path})
			}
		}
	}
	for _, b := range r.Unreferenced {
		if b.Digest == d {
			out = append(out, Match{What: "blob", Image: -1, Layer: -1, Where: b.Path})
		}
	}
	if r.Archive.IndexJSONDigest == d {
		out = append(out, Match{What: "index.json", Image: -1, Layer: -1, Where: "index.json"})
	}
	return out
}

// Expectation is the answer to "is this archive the image the registry
// calls Digest?".
type Expectation struct {
	Digest digest.Digest `json:"digest"`
	// Matches are the archive's objects with that digest.
	Matches []Match `json:"matches"`
	// Verified is true when Digest is a manifest or index digest and
	// everything under it verified.
	Verified bool `json:"verified"`
	// Messages say plainly what the digest is, one sentence per match.
	Messages []string `json:"messages"`
}

// Expect explains what d names in the archive and whether it is a
// manifest or index digest whose whole tree verified.
func (r *Result) Expect(d digest.Digest) Expectation {
	e := Expectation{Digest: d, Matches: r.Find(d), Messages: []string{}}
	if e.Matches == nil {
		e.Matches = []Match{}
	}
	for _, m := range e.Matches {
		msg, ok := r.explain(d, m)
		e.Messages = append(e.Messages, msg)
		e.Verified = e.Verified || ok
	}
	if len(e.Matches) == 0 {
		e.Messages = append(e.Messages, fmt.Sprintf("no object in this archive has digest %s", d))
	}
	if !e.Verified {
		for _, img := range r.Images {
			if img.ManifestOrigin != OriginalManifest {
				e.Messages = append(e.Messages, r.noRegistryManifest(img))
				break
			}
		}
	}
	return e
}

// noRegistryManifest says why an image's registry manifest is not in the
// archive, and what to do about it.
func (r *Result) noRegistryManifest(img *Image) string {
	who := r.Archive.Producer
	if who == "" {
		who = "its producer"
	}
	what := "holds no manifest for " + imageName(img)
	if img.ManifestOrigin == ProducerManifest {
		what = fmt.Sprintf("holds only a manifest it wrote itself for %s (%s), over uncompressed layers", imageName(img), img.ManifestDigest)
	}
	return fmt.Sprintf("this archive cannot hold the registry's manifest: written by %s, it %s; "+
		"a compressed layer digest cannot be recomputed from content, so neither can the manifest digest. "+
		"Capture the manifest where the registry is (crane manifest, skopeo inspect --raw, regctl manifest get --format raw-body) and pass it with --against", who, what)
}

func imageName(img *Image) string {
	name := img.Name()
	if name == "" {
		name = "the untagged image"
		if img.ImageID != "" {
			name += " " + img.ImageID.String()[:19]
		}
	}
	if img.Platform != "" {
		name += " (" + img.Platform + ")"
	}
	return name
}

func (r *Result) explain(d digest.Digest, m Match) (string, bool) {
	switch m.What {
	case "manifest":
		img := r.Images[m.Image]
		if err := r.Err(m.Image); err != nil {
			return fmt.Sprintf("%s is the manifest digest of image %s, but the image did not verify: %v", d, imageName(img), firstLine(err)), false
		}
		if img.ManifestOrigin == ProducerManifest {
			return fmt.Sprintf("%s is the digest of a manifest %s wrote itself for %s over uncompressed layers: not a registry digest", d, r.Archive.Producer, imageName(img)), false
		}
		return fmt.Sprintf("%s is the manifest digest of image %s, and every blob under it verified", d, imageName(img)), true
	case "index":
		var present, failed []string
		for i, img := range r.Images {
			if !slices.Contains(img.IndexDigests, d) {
				continue
			}
			if r.Err(i) != nil {
				failed = append(failed, img.Platform)
			} else {
				present = append(present, img.Platform)
			}
		}
		absent := absentUnder(r.Index, d)
		msg := fmt.Sprintf("%s is the digest of an image index (%s); platforms verified: %s", d, m.Where, listOrNone(present))
		if len(absent) > 0 {
			msg += "; absent from the archive: " + strings.Join(absent, ", ")
		}
		if len(failed) > 0 {
			return msg + "; FAILED: " + strings.Join(failed, ", "), false
		}
		return msg, len(present) > 0
	case "config":
		return fmt.Sprintf("%s is the image ID (config digest) of %s, not a registry manifest digest", d, imageName(r.Images[m.Image])), false
	case "layer":
		return fmt.Sprintf("%s is the stored digest of layer %d of %s, not a manifest digest", d, m.Layer, imageName(r.Images[m.Image])), false
	case "diff_id":
		return fmt.Sprintf("%s is the diffID (uncompressed digest) of layer %d of %s, not a manifest digest", d, m.Layer, imageName(r.Images[m.Image])), false
	case "index.json":
		return fmt.Sprintf("%s is the digest of the archive's index.json file, which no registry names", d), false
	}
	return fmt.Sprintf("%s is the unreferenced blob %s", d, m.Where), false
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// absentUnder lists the platforms left out of the index with digest d.
func absentUnder(nodes []*IndexNode, d digest.Digest) []string {
	var out []string
	for _, n := range nodes {
		if n.Digest == d && n.Kind == NodeIndex {
			for _, c := range n.Children {
				if c.Kind == NodeAbsent {
					out = append(out, c.Platform)
				}
			}
		}
		out = append(out, absentUnder(n.Children, d)...)
	}
	return out
}

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
