package tarball

import (
	"fmt"

	"github.com/opencontainers/go-digest"
)

// RegistryStatus says what an archive can prove of an image's registry
// digest.
type RegistryStatus string

// Registry statuses.
const (
	// RegistryVerified: the manifest is stored as pushed and the image
	// verified; its registry digest is proven.
	RegistryVerified RegistryStatus = "verified"
	// RegistryFailed: the manifest is stored as pushed, but the image
	// failed verification.
	RegistryFailed RegistryStatus = "failed"
	// RegistryProducerManifest: the only manifest stored is one the tool
	// that wrote the archive made itself; no registry knows its digest.
	RegistryProducerManifest RegistryStatus = "producer_manifest"
	// RegistryNotStored: no manifest is stored.
	RegistryNotStored RegistryStatus = "not_stored"
)

// Registry is the verdict on an image's registry digest: whether the
// archive holds it, and why. Result.Registry is the one place that
// decides and explains it; every output prints what it returns.
type Registry struct {
	Status RegistryStatus `json:"status"`
	// Digest is the stored digest a registry can know the image by
	// (Image.RegistryDigest), when the manifest is stored as pushed.
	Digest digest.Digest `json:"digest,omitempty"`
	// Reason says it in a phrase, such as "not stored in this archive
	// (written by docker save (Docker 24 or older))". It names no
	// command-line flag.
	Reason string `json:"reason"`
}

// Registry returns the verdict on image i's registry digest. A compressed
// layer digest cannot be recomputed from content, so neither can the
// digest of a manifest over layers stored uncompressed: only a manifest
// stored as pushed gives the registry digest.
func (r *Result) Registry(i int) Registry {
	img := r.Images[i]
	who := r.Archive.Producer
	if who == "" {
		who = "an unknown producer"
	}
	switch img.ManifestOrigin {
	case OriginalManifest:
		if r.Err(i) != nil {
			return Registry{Status: RegistryFailed, Digest: img.RegistryDigest(), Reason: "stored, but the image FAILED verification"}
		}
		return Registry{Status: RegistryVerified, Digest: img.RegistryDigest(), Reason: "stored and verified"}
	case ProducerManifest:
		return Registry{Status: RegistryProducerManifest, Reason: fmt.Sprintf("not stored in this archive (its manifest was written by %s over uncompressed layers)", who)}
	}
	return Registry{Status: RegistryNotStored, Reason: fmt.Sprintf("not stored in this archive (written by %s)", who)}
}

// setRegistry gives every image its registry verdict, once every
// finding is known.
func (a *analysis) setRegistry() {
	for i, img := range a.res.Images {
		img.Registry = a.res.Registry(i)
	}
}
