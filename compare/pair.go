package compare

import (
	"strings"

	"github.com/tardigest/tardigest/tarball"
)

// How a pair of images was made.
const (
	PairedSelected  = "selected"   // chosen by the caller on both sides
	PairedOnly      = "only_image" // the one image of each side
	PairedReference = "reference"  // a tag or ref name they share
	PairedPlatform  = "platform"   // the one image of a platform on each side
)

// Pair is an image of archive A and the image of archive B it is
// compared with, by their positions in the Results' Images.
type Pair struct {
	A, B int
	// By says how they were paired: PairedSelected, PairedOnly,
	// PairedReference or PairedPlatform.
	By string `json:"by"`
}

// Pairing is which images of two archives are compared, and which have
// no counterpart.
type Pairing struct {
	Pairs        []Pair
	OnlyA, OnlyB []int
}

// PairImages pairs the images of a and b: by a reference (tag, ref
// name, containerd name) they share, then by platform; with one image on
// each side, directly. selA and selB, when not negative, restrict a side
// to that image (as chosen by tarball.Result.Select). Artifacts are no
// images and are left out.
func PairImages(a, b *tarball.Result, selA, selB int) Pairing {
	as, bs := candidates(a, selA), candidates(b, selB)
	var p Pairing
	if len(as) == 1 && len(bs) == 1 {
		by := PairedOnly
		if selA >= 0 && selB >= 0 {
			by = PairedSelected
		}
		p.Pairs = []Pair{{A: as[0], B: bs[0], By: by}}
		return p
	}
	usedB := map[int]bool{}
	for _, pass := range []struct {
		by    string
		match func(x, y *tarball.Image) bool
	}{
		{PairedReference, func(x, y *tarball.Image) bool { return shareName(x, y) && x.Platform == y.Platform }},
		{PairedReference, shareName},
		{PairedPlatform, func(x, y *tarball.Image) bool { return x.Platform != "" && x.Platform == y.Platform }},
	} {
		as = pairPass(&p, a, b, as, bs, usedB, pass.by, pass.match)
	}
	p.OnlyA = as
	for _, j := range bs {
		if !usedB[j] {
			p.OnlyB = append(p.OnlyB, j)
		}
	}
	return p
}

// pairPass pairs each image of as with the single unused image of bs
// that match accepts, and returns the images of as left unpaired. An
// image with several candidates stays unpaired: guessing would mislead.
func pairPass(p *Pairing, a, b *tarball.Result, as, bs []int, usedB map[int]bool, by string, match func(x, y *tarball.Image) bool) []int {
	var left []int
	for _, i := range as {
		found := -1
		for _, j := range bs {
			if usedB[j] || !match(a.Images[i], b.Images[j]) {
				continue
			}
			if found >= 0 {
				found = -2
				break
			}
			found = j
		}
		if found < 0 || countMatches(a, as, b.Images[found], match) > 1 {
			left = append(left, i)
			continue
		}
		usedB[found] = true
		p.Pairs = append(p.Pairs, Pair{A: i, B: found, By: by})
	}
	return left
}

// countMatches counts the images of as that match y, so that
// an image of B two images of A could take is not given to the first.
func countMatches(a *tarball.Result, as []int, y *tarball.Image, match func(x, y *tarball.Image) bool) int {
	n := 0
	for _, i := range as {
		if match(a.Images[i], y) {
			n++
		}
	}
	return n
}

// candidates are the images of r to pair: sel alone when not negative,
// else every image that is no artifact.
func candidates(r *tarball.Result, sel int) []int {
	if sel >= 0 {
		return []int{sel}
	}
	var out []int
	for i, img := range r.Images {
		if !img.Artifact {
			out = append(out, i)
		}
	}
	return out
}

// shareName reports whether two images have a reference in common. A
// bare ref name ("v1", as OCI layouts often hold) matches the tag of a
// full reference ("example.com/app:v1").
func shareName(x, y *tarball.Image) bool {
	for _, n := range names(x) {
		for _, m := range names(y) {
			if n == m || n == tagOf(m) && !strings.Contains(n, ":") || m == tagOf(n) && !strings.Contains(m, ":") {
				return true
			}
		}
	}
	return false
}

func names(img *tarball.Image) []string {
	out := append([]string{}, img.RepoTags...)
	out = append(out, img.RefNames...)
	return append(out, img.ContainerdNames...)
}

// tagOf is the tag of a reference ("v1" of "example.com:5000/app:v1"),
// or "" when it has none.
func tagOf(ref string) string {
	colon := strings.LastIndexByte(ref, ':')
	if colon < 0 || strings.Contains(ref[colon:], "/") {
		return ""
	}
	return ref[colon+1:]
}
