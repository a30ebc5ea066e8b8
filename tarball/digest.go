package tarball

import (
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// ParseDigest validates a digest as tardigest accepts it anywhere: only
// sha256 and sha512, which it can compute, with their exact encoded length
// in lowercase hex. go-digest's accessors are safe on the result. The
// error matches ErrMalformed or ErrUnsupported.
func ParseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		if errors.Is(err, digest.ErrDigestUnsupported) {
			return "", fmt.Errorf("%w: digest %q: unsupported algorithm", ErrUnsupported, s)
		}
		return "", fmt.Errorf("%w: digest %q: %v", ErrMalformed, s, err)
	}
	if alg := d.Algorithm(); alg != digest.SHA256 && alg != digest.SHA512 {
		return "", fmt.Errorf("%w: digest %q: algorithm %s", ErrUnsupported, s, alg)
	}
	return d, nil
}

// blobPath is where a layout stores the blob of digest d; d must come from
// ParseDigest.
func blobPath(d digest.Digest) string {
	return "blobs/" + string(d.Algorithm()) + "/" + d.Encoded()
}

// blobName is the name of the file that holds the blob with digest d in
// the archive's layout: blobs/<alg>/<hex>, or in a skopeo dir: layout
// <hex> (<hex>.manifest.json for a manifest).
func (a *analysis) blobName(d digest.Digest) string {
	if a.res.Archive.Format == FormatSkopeoDir {
		return a.skopeoBlobName(d)
	}
	return blobPath(d)
}
