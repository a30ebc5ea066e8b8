package tarball

import (
	"fmt"

	"github.com/opencontainers/go-digest"
)

// storedDoc is a document of the archive an image refers to: its config
// or its manifest, by the entry name it was read from, with its exact
// bytes when they were kept (nil when not JSON or over the
// max-json-bytes limit).
type storedDoc struct {
	name string
	data []byte
}

// keepContent gives the Result the configs and manifests of its images,
// by digest, from the analysis' entries: archive content, which the
// Result needs to print them and to prove a chain after the analysis.
func (a *analysis) keepContent() {
	a.res.content = map[digest.Digest]storedDoc{}
	keep := func(e *entry) {
		if e == nil {
			return
		}
		if old, ok := a.res.content[e.blob.Digest]; ok && old.data != nil {
			return
		}
		a.res.content[e.blob.Digest] = storedDoc{name: e.name, data: e.data}
	}
	for _, img := range a.res.Images {
		keep(a.work[img].config)
		keep(a.work[img].manifest)
	}
}

// stored returns the exact bytes of the document with digest d, named
// what in errors.
func (r *Result) stored(d digest.Digest, what string) ([]byte, error) {
	if r.content == nil {
		return nil, fmt.Errorf("%w: this result holds no archive content (a Result decoded from JSON has none): read the archive again", ErrMissing)
	}
	doc, ok := r.content[d]
	switch {
	case d == "" || !ok:
		return nil, fmt.Errorf("%w: no %s in the archive", ErrMissing, what)
	case doc.data == nil:
		return nil, fmt.Errorf("%w: %s %q was not kept (not JSON, or over the max-json-bytes limit)", ErrLimit, what, doc.name)
	}
	return doc.data, nil
}

// ConfigBytes returns the exact stored config bytes of image i: their
// digest is the image ID.
func (r *Result) ConfigBytes(i int) ([]byte, error) {
	if i < 0 || i >= len(r.Images) {
		return nil, fmt.Errorf("%w: image %d", ErrNoImage, i)
	}
	return r.stored(r.Images[i].ImageID, "config")
}

// ManifestBytes returns the exact stored manifest bytes of image i: their
// digest is the manifest digest. An image with no stored manifest is an
// ErrMissing error; none is ever made up.
func (r *Result) ManifestBytes(i int) ([]byte, error) {
	if i < 0 || i >= len(r.Images) {
		return nil, fmt.Errorf("%w: image %d", ErrNoImage, i)
	}
	img := r.Images[i]
	if img.ManifestDigest == "" {
		return nil, &findingError{class: ErrMissing, msg: fmt.Sprintf("no manifest for %s: %s; tardigest never makes one up", imageName(img), r.Registry(i).Reason)}
	}
	return r.stored(img.ManifestDigest, "manifest")
}
