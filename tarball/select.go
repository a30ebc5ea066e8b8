package tarball

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// ErrNoImage is the class of a reference that selects no image, or more
// than one.
var ErrNoImage = errors.New("no such image")

// MinIDPrefix is the fewest hex digits of an image ID or manifest digest
// Select takes as a prefix: fewer would match names by accident.
const MinIDPrefix = 4

// SelectError is a selection that names no image, or several. It
// matches ErrNoImage.
type SelectError struct {
	// Ref and Platform are what was asked for.
	Ref, Platform string
	// Matches are the positions of the images that matched, when there
	// are several: the candidates to choose from.
	Matches []int
	// Reason says what went wrong, and how to say it better.
	Reason string
}

func (e *SelectError) Error() string {
	what := []string{}
	if e.Ref != "" {
		what = append(what, fmt.Sprintf("%q", e.Ref))
	}
	if e.Platform != "" {
		what = append(what, "platform "+e.Platform)
	}
	return fmt.Sprintf("%s: %s %s", ErrNoImage, strings.Join(what, " and "), e.Reason)
}

// Unwrap makes a SelectError match ErrNoImage.
func (e *SelectError) Unwrap() error { return ErrNoImage }

// Select returns the position of the one image that ref names and that
// runs on platform; either may be empty, not both. ref is a repo tag
// (short or fully qualified), a ref name, a containerd image name, or a
// prefix of an image ID or manifest digest ("sha256:" optional, at least
// MinIDPrefix hex digits); names are tried before digests. platform is
// os/arch[/variant]: without a variant it matches any variant. A
// selection that matches several images is refused with the candidates.
func (r *Result) Select(ref, platform string) (int, error) {
	if ref == "" && platform == "" {
		return -1, &SelectError{Reason: "is empty: give a reference or a platform"}
	}
	cands := make([]int, len(r.Images))
	for i := range cands {
		cands[i] = i
	}
	if ref != "" {
		var err error
		if cands, err = r.selectRef(ref); err != nil {
			return -1, err
		}
	}
	if platform != "" {
		cands = slices.DeleteFunc(cands, func(i int) bool { return !PlatformMatches(platform, r.Images[i].Platform) })
	}
	switch {
	case len(cands) == 1:
		return cands[0], nil
	case len(cands) == 0:
		return -1, &SelectError{Ref: ref, Platform: platform, Reason: "matches no image in the archive"}
	}
	return -1, &SelectError{Ref: ref, Platform: platform, Matches: cands, Reason: fmt.Sprintf("matches %d images", len(cands))}
}

// selectRef returns the images ref names: by name if any, else by a
// prefix of an image ID or manifest digest.
func (r *Result) selectRef(ref string) ([]int, error) {
	var byName, byDigest []int
	for i, img := range r.Images {
		if img.hasName(ref) {
			byName = append(byName, i)
		}
		if digestPrefix(img.ImageID, ref, 1) || digestPrefix(img.ManifestDigest, ref, 1) {
			byDigest = append(byDigest, i)
		}
	}
	switch {
	case len(byName) > 0:
		return byName, nil
	case len(byDigest) == 0:
		return nil, &SelectError{Ref: ref, Reason: "matches no image in the archive"}
	}
	hex := strings.TrimPrefix(ref, "sha256:")
	if len(hex) < MinIDPrefix {
		return nil, &SelectError{Ref: ref, Reason: fmt.Sprintf("is too short: give at least %d hex digits of the image ID", MinIDPrefix)}
	}
	if len(byDigest) > 1 {
		return nil, &SelectError{Ref: ref, Matches: byDigest, Reason: fmt.Sprintf("matches %d images; %s", len(byDigest), r.prefixAdvice(byDigest, ref))}
	}
	return byDigest, nil
}

// prefixAdvice says how many hex digits tell the images apart, or that
// none do.
func (r *Result) prefixAdvice(images []int, ref string) string {
	var ids []string
	for _, i := range images {
		img := r.Images[i]
		d := img.ImageID
		if !digestPrefix(d, ref, 1) {
			d = img.ManifestDigest
		}
		ids = append(ids, d.Encoded())
	}
	need := 0
	for a := range ids {
		for b := a + 1; b < len(ids); b++ {
			if ids[a] == ids[b] {
				return "they share that digest: choose by name or platform"
			}
			n := 0
			for n < len(ids[a]) && n < len(ids[b]) && ids[a][n] == ids[b][n] {
				n++
			}
			need = max(need, n+1)
		}
	}
	return fmt.Sprintf("give at least %d hex digits", need)
}

// hasName reports whether ref names img: one of its repo tags or
// containerd names, as written or fully qualified, or a ref name.
func (img *Image) hasName(ref string) bool {
	norm := normalizeName(ref)
	names := append(append([]string{}, img.RepoTags...), img.ContainerdNames...)
	for _, n := range img.RefNames {
		if r, ok := ParseRefName(n); ok && r.Repository == "" {
			// A bare tag is matched as written, never qualified:
			// "v1" is not docker.io/library/v1:latest.
			if n == ref {
				return true
			}
			continue
		}
		names = append(names, n)
	}
	for _, n := range names {
		if n == ref || (norm != "" && normalizeName(n) == norm) {
			return true
		}
	}
	return false
}

// digestPrefix reports whether ref, "sha256:" optional, is a prefix of at
// least min hex digits of d.
func digestPrefix(d digest.Digest, ref string, min int) bool {
	if d == "" || d.Validate() != nil {
		return false
	}
	hex := strings.TrimPrefix(ref, string(d.Algorithm())+":")
	if len(hex) < min || strings.Trim(hex, "0123456789abcdef") != "" {
		return false
	}
	return strings.HasPrefix(d.Encoded(), hex)
}

// PlatformMatches reports whether an image of platform have runs on
// want (both os/arch[/variant]): equal once normalized as containerd
// does (x86_64 is amd64, aarch64 is arm64, arm64/v8 is arm64), or equal
// in os and architecture when want names no variant.
func PlatformMatches(want, have string) bool {
	w, h := normalizePlatform(want), normalizePlatform(have)
	if w == h {
		return true
	}
	return strings.Count(w, "/") == 1 && strings.HasPrefix(h, w+"/")
}

func normalizePlatform(p string) string {
	parts := strings.Split(strings.ToLower(p), "/")
	if len(parts) < 2 {
		return strings.ToLower(p)
	}
	switch parts[1] {
	case "x86_64", "x86-64":
		parts[1] = "amd64"
	case "aarch64":
		parts[1] = "arm64"
	}
	if len(parts) == 3 && parts[1] == "arm64" && parts[2] == "v8" {
		parts = parts[:2]
	}
	return strings.Join(parts, "/")
}
