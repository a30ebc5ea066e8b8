package tarball

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoImage is the class of a reference that selects no image, or more
// than one.
var ErrNoImage = errors.New("no such image")

// Select returns the index of the one image ref names: a repo tag (short
// or fully qualified), a ref name, a containerd image name, or a prefix of
// an image ID or manifest digest ("sha256:" optional, at least 4 hex
// digits). A prefix that matches several images is refused.
func (r *Result) Select(ref string) (int, error) {
	if ref == "" {
		return -1, fmt.Errorf("%w: empty reference", ErrNoImage)
	}
	norm := normalizeName(ref)
	var byName, byDigest []int
	for i, img := range r.Images {
		names := append(append(append([]string{}, img.RepoTags...), img.RefNames...), img.ContainerdNames...)
		for _, n := range names {
			if n == ref || (norm != "" && normalizeName(n) == norm) {
				byName = append(byName, i)
				break
			}
		}
		if digestPrefix(img.ImageID.String(), ref) || digestPrefix(img.ManifestDigest.String(), ref) {
			byDigest = append(byDigest, i)
		}
	}
	for _, m := range [][]int{byName, byDigest} {
		switch len(m) {
		case 0:
			continue
		case 1:
			return m[0], nil
		default:
			return -1, fmt.Errorf("%w: %q matches %d images; give more of the digest or a full name", ErrNoImage, ref, len(m))
		}
	}
	return -1, fmt.Errorf("%w: %q matches no image in the archive", ErrNoImage, ref)
}

func digestPrefix(d, ref string) bool {
	if d == "" {
		return false
	}
	hex := strings.TrimPrefix(ref, "sha256:")
	if len(hex) < 4 || strings.Trim(hex, "0123456789abcdef") != "" {
		return false
	}
	return strings.HasPrefix(strings.TrimPrefix(d, "sha256:"), hex)
}
