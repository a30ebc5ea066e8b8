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
	// Image is the position of the image the object belongs to; nil for
	// an index, an unreferenced blob or index.json.
	Image *int `json:"image,omitempty"`
	// Layer is the layer's position for a layer or a diffID; else nil.
	Layer *int `json:"layer,omitempty"`
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
				out = append(out, Match{What: "index", Where: n.Where})
			}
			walk(n.Children)
		}
	}
	walk(r.Index)
	for i, img := range r.Images {
		if img.ManifestDigest == d {
			out = append(out, Match{What: "manifest", Image: position(i), Where: img.Sources[0]})
		}
		if img.ImageID == d {
			out = append(out, Match{What: "config", Image: position(i), Where: img.ConfigPath})
		}
		for j, l := range img.Layers {
			if l.Present && l.Digest == d {
				out = append(out, Match{What: "layer", Image: position(i), Layer: position(j), Where: l.Path})
			}
			if l.Present && l.DiffID == d && l.Compression != layer.None {
				out = append(out, Match{What: "diff_id", Image: position(i), Layer: position(j), Where: l.Path})
			}
		}
	}
	for _, b := range r.Unreferenced {
		if b.Digest == d {
			out = append(out, Match{What: "blob", Where: b.Path})
		}
	}
	if r.Archive.IndexJSONDigest == d {
		out = append(out, Match{What: "index.json", Where: "index.json"})
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
	// Messages say plainly what the digest is: one sentence per match,
	// or one saying that nothing in the archive has it.
	Messages []string `json:"messages"`
	// Unprovable, when Digest did not verify and no captured manifest was
	// given, is the image whose registry digest this archive cannot hold
	// (the selected one, else the first), and why: a hint to capture its
	// manifest where the registry is.
	Unprovable *Unprovable `json:"unprovable,omitempty"`
	// ProvenBy names the captured file whose digest is Digest when a
	// proof from it reached the archive's layers (see ExpectAll).
	ProvenBy string `json:"proven_by,omitempty"`
}

// Unprovable is an image whose registry digest the archive cannot hold.
type Unprovable struct {
	// Image is the image's position in Result.Images.
	Image int `json:"image"`
	// Name is the image's name and platform, for messages.
	Name string `json:"name"`
	// Registry is the image's registry verdict.
	Registry Registry `json:"registry"`
}

// Expect explains what d names in the archive and whether it is a
// manifest or index digest whose whole tree verified.
func (r *Result) Expect(d digest.Digest) Expectation { return r.expect(d, -1, false) }

// ExpectAll answers each expected digest as Expect does, about image (-1:
// any), in agreement with proof when there is one: the digest the proof
// starts from is verified exactly when the proof is proven, and names the
// image the proof reached; a digest no captured file has says so. Neither
// then points to capturing a manifest, which was done.
func (r *Result) ExpectAll(expect []digest.Digest, proof *Proof, image int) []Expectation {
	out := make([]Expectation, 0, len(expect))
	for _, d := range expect {
		e := r.expect(d, image, proof != nil)
		if proof != nil {
			e.Unprovable = nil
			e.Messages = append(e.Messages, proofMessage(d, proof))
			if proof.Expected && proof.FromDigest == d && proof.Proven {
				e.Verified, e.ProvenBy = true, proof.From
			}
		}
		out = append(out, e)
	}
	return out
}

// proofMessage says what the proof tells of the expected digest d.
func proofMessage(d digest.Digest, p *Proof) string {
	switch {
	case p.From == "":
		return fmt.Sprintf("no captured file has digest %s", d)
	case !p.Expected || p.FromDigest != d:
		return fmt.Sprintf("the proof below starts from %s (%s), not from %s", p.From, p.FromDigest, d)
	case p.Proven:
		return fmt.Sprintf("%s is the digest of %s, and the proof below links it to image %d, %s", d, p.From, *p.Image, p.ImageName)
	case p.Image != nil:
		return fmt.Sprintf("%s is the digest of %s, but the proof below does not link it to image %d, %s", d, p.From, *p.Image, p.ImageName)
	}
	return fmt.Sprintf("%s is the digest of %s, but the proof below links it to no image of this archive", d, p.From)
}

// expect answers d about image (-1: any); proven says a proof answers
// it too, which makes the hints of how to prove it moot.
func (r *Result) expect(d digest.Digest, image int, proven bool) Expectation {
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
		if !proven && r.Archive.Format == FormatSkopeoDir && len(r.Index) == 1 && r.Index[0].Kind == NodeManifest {
			e.Messages = append(e.Messages, "a skopeo copy of a multi-platform tag keeps one platform's manifest, not the index the tag names, "+
				"unless it copies them all: if this is such a tag's digest, copy every platform, or prove it from the index captured where the registry is")
		}
	}
	if !e.Verified {
		for i, img := range r.Images {
			if image >= 0 && i != image {
				continue
			}
			if reg := r.Registry(i); reg.Digest == "" {
				e.Unprovable = &Unprovable{Image: i, Name: imageName(img), Registry: reg}
				break
			}
		}
	}
	return e
}

// imageName names an image for a message: its first name, or its image
// ID, and its platform.
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
		img := r.Images[*m.Image]
		if err := r.Err(*m.Image); err != nil {
			return fmt.Sprintf("%s is the manifest digest of %s, but the image did not verify: %v", d, imageName(img), firstLine(err)), false
		}
		if reg := r.Registry(*m.Image); reg.Status == RegistryProducerManifest {
			return fmt.Sprintf("%s is the manifest digest of %s, not its registry digest, which is %s", d, imageName(img), reg.Reason), false
		}
		if img.Artifact {
			return fmt.Sprintf("%s is the manifest digest of %s, an artifact (config %s), not an image: the digest and size of every blob under it verified; what the blobs hold was not checked", d, imageName(img), img.ConfigMediaType), true
		}
		return fmt.Sprintf("%s is the manifest digest of %s, and every blob under it verified", d, imageName(img)), true
	case "index":
		var present, failed, artifacts []string
		for i, img := range r.Images {
			switch {
			case !slices.Contains(img.IndexDigests, d):
			case r.Err(i) != nil:
				failed = append(failed, img.Platform)
			case img.Artifact:
				artifacts = append(artifacts, img.ConfigMediaType)
			default:
				present = append(present, img.Platform)
			}
		}
		absent := absentUnder(r.Index, d)
		msg := fmt.Sprintf("%s is the digest of an image index (%s); platforms verified: %s", d, m.Where, listOrNone(present))
		if len(artifacts) > 0 {
			msg += fmt.Sprintf("; %d artifacts, not images, whose blobs' digests and sizes verified (config %s)", len(artifacts), strings.Join(slices.Compact(slices.Sorted(slices.Values(artifacts))), ", "))
		}
		if len(absent) > 0 {
			msg += "; absent from the archive: " + strings.Join(absent, ", ")
		}
		if len(failed) > 0 {
			return msg + "; FAILED: " + strings.Join(failed, ", "), false
		}
		return msg, len(present) > 0 || len(artifacts) > 0
	case "config":
		return fmt.Sprintf("%s is the image ID (config digest) of %s, not a registry manifest digest", d, imageName(r.Images[*m.Image])), false
	case "layer":
		return fmt.Sprintf("%s is the stored digest of layer %d of %s, not a manifest digest", d, *m.Layer, imageName(r.Images[*m.Image])), false
	case "diff_id":
		return fmt.Sprintf("%s is the diffID (uncompressed digest) of layer %d of %s, not a manifest digest", d, *m.Layer, imageName(r.Images[*m.Image])), false
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
