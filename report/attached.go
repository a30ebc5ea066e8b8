package report

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/tarball"
)

// attachedView is what the text report needs about attachments: for each
// image, the attachments about it; which images are attachments shown
// under their subject instead of on their own.
type attachedView struct {
	all   []*tarball.Attachment
	about [][]int // per image, positions in all
	under map[int]bool
	// byDigest finds an attachment by its manifest digest, byImage by
	// the position of its own image.
	byDigest map[digest.Digest]*tarball.Attachment
	byImage  map[int]*tarball.Attachment
}

func newAttachedView(res *tarball.Result) attachedView {
	v := attachedView{all: res.Attachments, about: res.AttachedTo(), under: res.AttachmentImages(),
		byDigest: map[digest.Digest]*tarball.Attachment{}, byImage: map[int]*tarball.Attachment{}}
	for _, att := range res.Attachments {
		v.byDigest[att.ManifestDigest] = att
		if att.Image != nil {
			v.byImage[*att.Image] = att
		}
	}
	return v
}

// AttachedSummary counts what is attached to an image, by kind, with the
// names of what each kind holds: "signatures: 2 (cosign)".
type AttachedSummary struct {
	Signatures   int      `json:"signatures"`
	SignedWith   []string `json:"signature_formats"`
	Attestations int      `json:"attestations"`
	Predicates   []string `json:"predicates"`
	SBOMs        int      `json:"sboms"`
	SBOMFormats  []string `json:"sbom_formats"`
	Referrers    int      `json:"referrers"`
	ArtifactType []string `json:"artifact_types"`
}

// summarize counts the attachments at positions list of all: a cosign
// signature manifest counts its signatures (one per layer), an
// attestation manifest its envelopes; other attachments count one each.
func summarize(all []*tarball.Attachment, list []int) *AttachedSummary {
	if len(list) == 0 {
		return nil
	}
	s := &AttachedSummary{SignedWith: []string{}, Predicates: []string{}, SBOMFormats: []string{}, ArtifactType: []string{}}
	seen := map[*[]string]map[string]bool{}
	add := func(names *[]string, name string) {
		if seen[names] == nil {
			seen[names] = map[string]bool{}
		}
		if name != "" && !seen[names][name] {
			seen[names][name] = true
			*names = append(*names, name)
		}
	}
	for _, n := range list {
		att := all[n]
		switch att.Kind {
		case tarball.KindSignature:
			s.Signatures += max(1, len(att.Signatures))
			add(&s.SignedWith, att.Format)
		case tarball.KindAttestation:
			s.Attestations += max(1, len(att.Attestations))
			for _, at := range att.Attestations {
				add(&s.Predicates, at.Predicate)
			}
		case tarball.KindSBOM:
			s.SBOMs++
			add(&s.SBOMFormats, att.Format)
		default:
			s.Referrers++
			add(&s.ArtifactType, att.ArtifactType)
		}
	}
	return s
}

// String is the summary in words, as the text report and the images
// table print it: "signatures: 2 (cosign), attestations: 2 (SLSA
// provenance, SPDX SBOM), SBOMs: 1 (SPDX), referrers: 2".
func (s *AttachedSummary) String() string {
	var parts []string
	part := func(n int, word string, names []string) {
		if n == 0 {
			return
		}
		p := fmt.Sprintf("%s: %d", word, n)
		if len(names) > 0 {
			p += " (" + strings.Join(names, ", ") + ")"
		}
		parts = append(parts, p)
	}
	part(s.Signatures, "signatures", s.SignedWith)
	part(s.Attestations, "attestations", s.Predicates)
	part(s.SBOMs, "SBOMs", s.SBOMFormats)
	part(s.Referrers, "referrers", nil)
	return strings.Join(parts, ", ")
}

// Short is the summary for a table column: "sig 2, att 2, sbom 1, ref
// 2"; "-" for nothing attached.
func (s *AttachedSummary) Short() string {
	if s == nil {
		return "-"
	}
	var parts []string
	for _, p := range []struct {
		word string
		n    int
	}{{"sig", s.Signatures}, {"att", s.Attestations}, {"sbom", s.SBOMs}, {"ref", s.Referrers}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.word, p.n))
		}
	}
	return strings.Join(parts, ", ")
}

// writeAttached writes, under image i's layer table, what is attached to
// it: the summary, then one entry per attachment with how it is linked
// and, per signature or attestation, what its payload names and the
// verdict on its signature.
func writeAttached(ew *errWriter, doc *Document, i int, img *tarball.Image) {
	v := doc.attached
	if i >= len(v.about) || v.under[i] {
		return
	}
	list := slices.Clone(v.about[i])
	if len(list) > 0 {
		ew.field("attached", summarize(v.all, list).String(), "")
	}
	writeSignedBy(ew, doc, i, img)
	slices.SortStableFunc(list, func(x, y int) int { return kindRank[v.all[x].Kind] - kindRank[v.all[y].Kind] })
	for _, n := range list {
		att := v.all[n]
		ew.field(string(att.Kind), attachmentLine(v, att, img, doc.verbose), "")
		for _, line := range attachmentChecks(att) {
			ew.para(fieldIndent+"  ", fieldIndent+"    ", line)
		}
	}
}

// kindRank orders attachments in the text report.
var kindRank = map[tarball.AttachmentKind]int{tarball.KindSignature: 0, tarball.KindAttestation: 1, tarball.KindSBOM: 2, tarball.KindReferrer: 3}

// allSigned reports whether every image shown that is no attachment is
// covered by a signature by the key, and there is one.
func (doc *Document) allSigned() bool {
	images := doc.unattached()
	for _, img := range images {
		if len(img.SignedBy) == 0 {
			return false
		}
	}
	return len(images) > 0
}

// unattached returns the images shown that are not themselves attached
// to another (a signature, an attestation, a referrer).
func (doc *Document) unattached() []*tarball.Image {
	var out []*tarball.Image
	for k, img := range doc.Images {
		i := k
		if doc.SelectedImage != nil {
			i = *doc.SelectedImage
		}
		if !doc.attached.under[i] {
			out = append(out, img)
		}
	}
	return out
}

// keyName is how the text report names a key: its file name, without
// the directories the command line gave (the JSON keeps them).
func keyName(name string) string { return filepath.Base(name) }

// writeSignedBy writes, when a key was given, which signatures by it
// cover image i, and that they prove nothing when the image failed.
func writeSignedBy(ew *errWriter, doc *Document, i int, img *tarball.Image) {
	if doc.Key == "" {
		return
	}
	key := keyName(doc.Key)
	if len(img.SignedBy) == 0 {
		ew.field("signed by", "no signature by "+key+" covers this image", "")
		return
	}
	var by []string
	for _, s := range img.SignedBy {
		where := fmt.Sprintf("signature %d", s.Layer)
		if p := doc.attached.all[s.Attachment].Image; p != nil {
			where = fmt.Sprintf("image %d layer %d", *p, s.Layer)
		}
		by = append(by, fmt.Sprintf("%s (%s, %s)", key, s.Algorithm, where))
	}
	note := ""
	if doc.failed(i) {
		note = "but this image FAILED verification: the signature covers its manifest, not the bytes that failed"
	}
	ew.field("signed by", strings.Join(by, "; "), note)
}

// failed reports whether a finding shown is an error about image i
// itself.
func (doc *Document) failed(i int) bool {
	if doc.failedImages == nil {
		doc.failedImages = map[int]bool{}
		for _, f := range doc.Findings {
			if f.Severity == tarball.SeverityError && f.Image != nil {
				doc.failedImages[*f.Image] = true
			}
		}
	}
	return doc.failedImages[i]
}

// attachmentLine says where an attachment is, how it is linked and what
// it is about, when that is not the image itself.
func attachmentLine(v attachedView, att *tarball.Attachment, img *tarball.Image, verbose bool) string {
	where := "index " + short(att.ManifestDigest.String())
	if att.Image != nil {
		where = fmt.Sprintf("image %d, %s", *att.Image, short(att.ManifestDigest.String()))
	}
	var via []string
	for _, lk := range att.Links {
		via = append(via, linkWords(lk, verbose))
	}
	line := fmt.Sprintf("%s (%s), by %s", att.Format, where, strings.Join(slices.Compact(via), " and "))
	switch {
	case att.Subject == img.ManifestDigest:
	case att.SubjectStatus == tarball.SubjectIsIndex:
		line += ", about the index " + short(att.Subject.String()) + " above it"
	default:
		line += ", about the " + subjectKind(v, att) + " " + short(att.Subject.String())
	}
	return line
}

// subjectKind names what an attachment that is about another attachment
// is about.
func subjectKind(v attachedView, att *tarball.Attachment) string {
	if other, ok := v.byDigest[att.Subject]; ok {
		return string(other.Kind)
	}
	return "manifest"
}

// linkWords says how a link ties an attachment to its subject, shortly;
// with verbose, where it was read.
func linkWords(lk tarball.AttachmentLink, verbose bool) string {
	if verbose {
		return lk.Where
	}
	switch lk.Via {
	case tarball.ViaSubjectField:
		return "subject field"
	case tarball.ViaTag:
		return "tag " + shortTag(lk.Tag)
	case tarball.ViaReferrersTag:
		return "referrers tag " + shortTag(lk.Tag)
	case tarball.ViaCosignSave:
		return "cosign save annotation"
	}
	return "its payload"
}

// shortTag cuts the hex of a cosign tag to 12 digits, as digests are cut.
func shortTag(tag string) string {
	alg, rest, ok := strings.Cut(tag, "-")
	if !ok || len(rest) < 64 {
		return tag
	}
	return alg + "-" + rest[:12] + "…" + rest[64:]
}

// attachmentChecks words the checks of each signature or attestation of
// an attachment, one line each.
func attachmentChecks(att *tarball.Attachment) []string {
	var lines []string
	for _, s := range att.Signatures {
		lines = append(lines, fmt.Sprintf("layer %d: payload %s; %s", s.Layer, payloadWords(s.Payload, s.DockerManifestDigest.String()), checkWords(s.Check, s.Keyless)))
	}
	for _, at := range att.Attestations {
		what := at.Predicate
		if what == "" {
			what = "attestation"
		}
		checks := make([]string, 0, len(at.Checks))
		for _, c := range at.Checks {
			checks = append(checks, checkWords(c, false))
		}
		if len(checks) == 0 {
			checks = append(checks, "unsigned")
		}
		named := ""
		if len(at.Subjects) > 0 && len(at.Subjects[0].Digests) > 0 {
			named = at.Subjects[0].Digests[0].String()
		}
		lines = append(lines, fmt.Sprintf("layer %d: %s, statement %s; %s", at.Layer, what, payloadWords(at.Payload, named), strings.Join(checks, "; ")))
	}
	return lines
}

// payloadWords words a payload check.
func payloadWords(p tarball.PayloadStatus, named string) string {
	switch p {
	case tarball.PayloadMatches:
		return "names the subject"
	case tarball.PayloadMismatch:
		return "names " + short(named) + ", NOT the subject"
	case tarball.PayloadAbsent:
		return "absent from the archive"
	case tarball.PayloadUnsupported:
		return "not an in-toto statement, not checked"
	}
	return "unreadable"
}

// checkWords words the verdict on one signature.
func checkWords(c tarball.SignatureCheck, keyless bool) string {
	switch c.Status {
	case tarball.SignatureVerified:
		return fmt.Sprintf("signed by %s (%s)", keyName(c.Key), c.Algorithm)
	case tarball.SignatureNotByKey:
		return "not signed by " + keyName(c.Key)
	case tarball.SignatureMissing:
		return "no signature"
	case tarball.SignatureMalformed:
		return "signature not base64"
	}
	if keyless {
		return "keyless signature (certificate), not checked"
	}
	return "signature not checked (no --key)"
}

// writeOwnLink writes, for an image that is an attachment shown on its
// own (selected with --image, dangling or in a cycle), what it is
// attached to.
func writeOwnLink(ew *errWriter, v attachedView, i int) {
	if att, ok := v.byImage[i]; ok {
		about := att.Subject.String()
		switch att.SubjectStatus {
		case tarball.SubjectAbsent:
			about += ", which is not in the archive (dangling)"
		case tarball.SubjectInCycle:
			about += ", in a cycle of attachments that reaches no image"
		case tarball.SubjectIsImage, tarball.SubjectIsAttachment:
			if att.SubjectImage != nil {
				about += fmt.Sprintf(" (image %d)", *att.SubjectImage)
			}
		}
		ew.field("attached to", fmt.Sprintf("%s %s of %s", att.Format, att.Kind, about), "")
	}
}
