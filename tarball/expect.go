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
