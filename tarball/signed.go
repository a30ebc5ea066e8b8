package tarball

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// cover decides, when a key was given, which signatures by it cover each
// image that is not itself an attachment: a cosign signature that
// verified with the key, whose payload names the image's manifest (or an
// index above it) and is linked to it, in a signature manifest that
// verified. An image no such signature covers is reported: with a key,
// verify passes only for a signed image whose bytes verified.
func (l *linker) cover() {
	key := l.a.opts.Key
	if key == nil {
		return
	}
	l.a.res.Key = key.Name
	failed := map[int]bool{}
	for _, f := range l.a.res.Findings {
		if f.Severity == SeverityError && f.Image != nil {
			failed[*f.Image] = true
		}
	}
	covering := map[digest.Digest][]SignedBy{}
	attached := map[int]bool{}
	signatures := map[digest.Digest][]*Attachment{}
	for n, att := range l.a.res.Attachments {
		if att.Image != nil {
			attached[*att.Image] = true
		}
		if att.Kind == KindSignature {
			signatures[att.Subject] = append(signatures[att.Subject], att)
		}
		if att.Kind != KindSignature || (att.SubjectStatus != SubjectIsImage && att.SubjectStatus != SubjectIsIndex) || (att.Image != nil && failed[*att.Image]) {
			continue
		}
		for _, s := range att.Signatures {
			if s.Payload == PayloadMatches && s.Check.Status == SignatureVerified {
				covering[att.Subject] = append(covering[att.Subject], SignedBy{Attachment: n, Layer: s.Layer, Digest: att.Subject, Key: key.Name, Algorithm: s.Check.Algorithm})
			}
		}
	}
	for i, img := range l.a.res.Images {
		if attached[i] {
			continue
		}
		for _, d := range append([]digest.Digest{img.ManifestDigest}, img.IndexDigests...) {
			if d != "" {
				img.SignedBy = append(img.SignedBy, covering[d]...)
			}
		}
		if len(img.SignedBy) == 0 {
			l.a.add(kindUnsigned, fmt.Sprintf("image[%d]", i), i, "no signature by %s covers this image: %s", key.Name, signatureSummary(img, signatures))
		}
	}
}

// signatureSummary says, for an image no signature by the key covers,
// what signatures (by subject) are attached to it and why none counts.
func signatureSummary(img *Image, signatures map[digest.Digest][]*Attachment) string {
	var about []*Attachment
	for _, d := range append([]digest.Digest{img.ManifestDigest}, img.IndexDigests...) {
		about = append(about, signatures[d]...)
	}
	counts := map[string]int{}
	total := 0
	for _, att := range about {
		for _, s := range att.Signatures {
			total++
			switch {
			case s.Check.Status == SignatureVerified && s.Payload != PayloadMatches:
				counts["verified, but its payload names another digest"]++
			case s.Check.Status == SignatureVerified:
				counts["verified, in a signature manifest that failed verification"]++
			default:
				counts[string(s.Check.Status)]++
			}
		}
		if len(att.Signatures) == 0 {
			total++
			counts[att.Format+" signature, which tardigest does not verify"]++
		}
	}
	if total == 0 {
		return "no signature is attached to it in this archive"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], strings.ReplaceAll(k, "_", " ")))
	}
	return fmt.Sprintf("%d signatures are attached to it: %s", total, strings.Join(parts, ", "))
}

// noteLacks says what a layout probably lacks when its producer or shape
// shows it: cosign save drops OCI 1.1 referrers and .sbom attachments
// (and of an index, the signatures of the images under it); oras cp -r
// and regctl image copy --referrers copy referrers and drop cosign's
// tags.
func (l *linker) noteLacks() {
	if l.a.cosignSave {
		msg := "written by cosign save (its kind annotations in index.json): cosign save keeps an image's .sig and .att, " +
			"and silently drops its OCI 1.1 referrers and the .sbom of cosign attach sbom; any the registry had are not here"
		if len(l.cosignSubjects) == 1 && l.indexes[l.cosignSubjects[0]] != nil {
			msg += "; of an index it keeps the index's own signatures and attestations, not those of the images under it"
		}
		l.a.add(kindProbablyLacks, "index.json", -1, "%s", msg)
		return
	}
	var referrers, tags bool
	for _, att := range l.a.res.Attachments {
		for _, lk := range att.Links {
			referrers = referrers || lk.Via == ViaSubjectField || lk.Via == ViaReferrersTag
			tags = tags || lk.Via == ViaTag
		}
	}
	if referrers && !tags {
		l.a.add(kindProbablyLacks, "index.json", -1, "%s", "the layout holds OCI 1.1 referrers but no cosign tag (sha256-<hex>.sig, .att, .sbom): "+
			"oras cp -r and regctl image copy with referrers copy referrers and silently drop those tags (regctl keeps them as digest tags when asked); "+
			"cosign signatures the registry had are probably not here")
	}
}

// ErrWithAttachments is Err for image and its attachments (Scope), and
// for an image no signature by the key covers: what verify fails on. A
// damaged or false signature of an image fails it as a damaged layer
// does; the registry verdict and Expect look at the image's own bytes
// (Err).
func (r *Result) ErrWithAttachments(image int) error {
	return r.errIn(image, r.Scope(image), true)
}

// Scope is the set of images whose findings count for image i: i itself
// and the images of its attachments (those about its manifest, about an
// index above it, or about another of its attachments). verify --image
// fails on a damaged signature of the image as on a damaged layer.
func (r *Result) Scope(i int) map[int]bool {
	scope := map[int]bool{i: true}
	if i < 0 || i >= len(r.Images) {
		return scope
	}
	for _, n := range r.AttachedTo()[i] {
		if p := r.Attachments[n].Image; p != nil {
			scope[*p] = true
		}
	}
	return scope
}

// AttachmentImages is the set of images that are attachments about
// another image (directly, through an index above it or through other
// attachments): not images of their own, they are shown under the image
// they are about. Attachments that dangle or are in a cycle are not in
// it.
func (r *Result) AttachmentImages() map[int]bool {
	out := map[int]bool{}
	for _, list := range r.AttachedTo() {
		for _, n := range list {
			if p := r.Attachments[n].Image; p != nil {
				out[*p] = true
			}
		}
	}
	return out
}

// AttachedTo returns, for each image, the positions in r.Attachments of
// the attachments about it: about its manifest, about an index above it,
// or about another of its attachments, in order. Attachments in a cycle
// or that dangle are about no image.
func (r *Result) AttachedTo() [][]int {
	out := make([][]int, len(r.Images))
	images := map[digest.Digest][]int{}
	for i, img := range r.Images {
		for _, d := range append([]digest.Digest{img.ManifestDigest}, img.IndexDigests...) {
			if d != "" && !slices.Contains(images[d], i) {
				images[d] = append(images[d], i)
			}
		}
	}
	byManifest := map[digest.Digest]int{}
	for n, att := range r.Attachments {
		byManifest[att.ManifestDigest] = n
	}
	roots := make([]digest.Digest, len(r.Attachments))
	for n := range r.Attachments {
		for _, i := range images[r.root(n, byManifest, roots)] {
			out[i] = append(out[i], n)
		}
	}
	return out
}

// noRoot is the root of a chain that dangles or loops: no image has it.
const noRoot = digest.Digest("-")

// root is the digest at the end of attachment n's chain of subjects,
// noRoot when the chain dangles or loops; memo holds the roots found so
// far, so that every chain is walked once.
func (r *Result) root(n int, byManifest map[digest.Digest]int, memo []digest.Digest) digest.Digest {
	var path []int
	on := map[int]bool{}
	end := noRoot
	for cur := n; ; {
		att := r.Attachments[cur]
		if memo[cur] != "" {
			end = memo[cur]
			break
		}
		if on[cur] || att.SubjectStatus == SubjectInCycle || att.SubjectStatus == SubjectAbsent {
			break
		}
		on[cur] = true
		path = append(path, cur)
		next, ok := byManifest[att.Subject]
		if !ok {
			end = att.Subject
			break
		}
		cur = next
	}
	for _, p := range path {
		memo[p] = end
	}
	return end
}
