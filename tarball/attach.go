package tarball

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Annotations and media types of cosign, as cosign v2 writes them.
const (
	annotationCosignKind = "kind" // cosign save's, on index.json entries
	cosignKindPrefix     = "dev.cosignproject.cosign/"
	cosignKindImage      = cosignKindPrefix + "image"
	cosignKindIndex      = cosignKindPrefix + "imageIndex"
	cosignKindSigs       = cosignKindPrefix + "sigs"
	cosignKindAtts       = cosignKindPrefix + "atts"
	mtSimpleSigning      = "application/vnd.dev.cosign.simplesigning.v1+json"
	mtDSSE               = "application/vnd.dsse.envelope.v1+json"
)

// reCosignTag matches cosign's tags (sha256-<hex>.sig, .att, .sbom) and
// the OCI 1.1 referrers tag (sha256-<hex>). A sha512 tag would be longer
// than the 128 characters a tag may have.
var reCosignTag = regexp.MustCompile(`^sha256-([0-9a-f]{64})(?:\.(sig|att|sbom))?$`)

// tagKinds is the kind each cosign tag suffix announces.
var tagKinds = map[string]AttachmentKind{"sig": KindSignature, "att": KindAttestation, "sbom": KindSBOM}

// candidate is a manifest or index that something links to a subject, or
// whose content is a cosign signature or attestation, while the links are
// being found.
type candidate struct {
	digest digest.Digest
	pos    int              // its image's position; -1 for an index
	doc    *manifestOrIndex // its parsed manifest or index, nil if unread
	links  []AttachmentLink // every link found, in the order found
	kinds  []AttachmentKind // what its tags or cosign save annotation say it is
	att    *Attachment      // what the Result will hold
	status SubjectStatus    // of the end of its chain, once settled (ends)
	root   digest.Digest    // the end of its chain
	cycle  string           // the cycle it is in, for messages
	signed [][]signed       // per signature or attestation, what is signed
	cosign string           // its cosign save kind annotation, if any
	tags   map[string]bool  // the cosign tags already linked
}

// linker finds the attachments of an archive and links each to its
// subject.
type linker struct {
	a     *analysis
	cands map[digest.Digest]*candidate
	order []*candidate // first-found order, for stable output
	// images maps a manifest digest to its image's position; indexes
	// holds the digests of the indexes present in the archive.
	images  map[digest.Digest]int
	indexes map[digest.Digest]*IndexNode
	// cosignSubjects are the index.json entries cosign save marks as the
	// layout's image or index.
	cosignSubjects []digest.Digest
}

// linkAttachments finds every attachment (cosign signatures, attestations
// and SBOMs, OCI 1.1 referrers), links it to its subject, checks what its
// payloads claim and, given a key, its signatures; then says what the
// layout probably lacks.
func (a *analysis) linkAttachments() {
	l := &linker{a: a, cands: map[digest.Digest]*candidate{}, images: map[digest.Digest]int{}, indexes: map[digest.Digest]*IndexNode{}}
	for i, img := range a.res.Images {
		if _, seen := l.images[img.ManifestDigest]; img.ManifestDigest != "" && !seen {
			l.images[img.ManifestDigest] = i
		}
	}
	l.collectIndex(a.res.Index)
	l.readIndexJSON()
	l.readImages()
	for _, c := range l.order {
		c.att = &Attachment{ManifestDigest: c.digest, Image: position(c.pos)}
		l.classify(c)
	}
	for _, c := range l.order {
		if len(c.links) == 0 {
			l.payloadLink(c)
		}
	}
	linked := l.linked()
	// Attachments are listed by the position of their image, then
	// indexes by digest, whatever order they were found in.
	slices.SortStableFunc(linked, func(x, y *candidate) int {
		switch {
		case (x.pos < 0) != (y.pos < 0):
			return cmpBool(x.pos < 0, y.pos < 0)
		case x.pos != y.pos:
			return x.pos - y.pos
		}
		return strings.Compare(string(x.digest), string(y.digest))
	})
	l.order = linked
	for _, c := range linked {
		l.settle(c)
	}
	l.ends()
	a.res.Attachments = make([]*Attachment, 0, len(linked))
	for _, c := range linked {
		l.report(c)
		a.res.Attachments = append(a.res.Attachments, c.att)
	}
	l.checkPayloads()
	l.cover()
	l.noteLacks()
}

// claim records a false claim of kind k about subject (and image) with
// both values and a message of its own: what the archive declares and
// what it is compared with.
func (a *analysis) claim(k Kind, subject string, image int, field, declared, actual, msg string) {
	a.res.Findings = append(a.res.Findings, Finding{
		Severity: k.Severity, Class: k.ClassName(), Kind: k.Name, Subject: subject, Image: position(image),
		Message: msg, Declared: declared, Computed: actual,
		Err: &MismatchError{Subject: subject, Field: field, Declared: declared, Computed: actual},
	})
}

// cmpBool orders false before true.
func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

// cand returns the candidate of the manifest or index with digest d,
// making it on first use.
func (l *linker) cand(d digest.Digest, pos int) *candidate {
	c, ok := l.cands[d]
	if !ok {
		c = &candidate{digest: d, pos: pos, tags: map[string]bool{}}
		l.cands[d] = c
		l.order = append(l.order, c)
	}
	return c
}

// link records that the manifest or index d is tied to subject by the
// convention via, read at where (with tag, for a tag); the same link
// found twice is kept once.
func (l *linker) link(d digest.Digest, pos int, via Via, where string, subject digest.Digest, tag string) {
	c := l.cand(d, pos)
	lk := AttachmentLink{Via: via, Where: where, Subject: subject, Tag: tag}
	if !slices.Contains(c.links, lk) {
		c.links = append(c.links, lk)
	}
}

// collectIndex records every index present in the tree, and links the
// members of a referrers tag index (a top-level index tagged
// sha256-<hex>) to <hex>.
func (l *linker) collectIndex(nodes []*IndexNode) {
	for _, n := range nodes {
		if n.Kind != NodeIndex || !n.Present || n.RepeatOf != "" {
			continue
		}
		if _, seen := l.indexes[n.Digest]; !seen {
			l.indexes[n.Digest] = n
		}
		l.collectIndex(n.Children)
	}
	for _, n := range nodes {
		tag := nodeTag(n)
		m := reCosignTag.FindStringSubmatch(tag)
		if m == nil || m[2] != "" || n.Kind != NodeIndex || !n.Present {
			continue
		}
		subject := digest.NewDigestFromEncoded(digest.SHA256, m[1])
		where := fmt.Sprintf("referrers tag %s (index %s)", tag, n.Digest)
		for _, child := range n.Children {
			if child.Present && child.Digest != "" {
				l.link(child.Digest, l.imagePos(child.Digest), ViaReferrersTag, where, subject, tag)
			}
		}
	}
}

// nodeTag is the tag of a top-level index.json entry: of its ref name or
// its containerd name; "" for none.
func nodeTag(n *IndexNode) string {
	for _, name := range []string{n.RefName, n.ContainerdName} {
		if ref, ok := ParseRefName(name); ok && ref.Tag != "" {
			return ref.Tag
		}
	}
	return ""
}

// imagePos is the position of the image whose manifest has digest d, or
// -1.
func (l *linker) imagePos(d digest.Digest) int {
	if i, ok := l.images[d]; ok {
		return i
	}
	return -1
}

// readIndexJSON reads the annotations of index.json's entries: cosign
// tags on them, and cosign save's kind annotations.
func (l *linker) readIndexJSON() {
	e, ok := l.a.cat.entries["index.json"]
	if !ok || e.data == nil || l.a.res.Archive.Format == FormatSkopeoDir {
		return
	}
	var idx struct {
		Manifests []descriptor `json:"manifests"`
	}
	if decodeStrict(e.data, &idx) != nil {
		return // reported when index.json was read
	}
	var saved []*candidate
	for i, d := range idx.Manifests {
		dg, err := ParseDigest(d.Digest)
		if err != nil {
			continue
		}
		pos := l.imagePos(dg)
		for _, name := range []string{d.Annotations[annotationRefName], d.Annotations[annotationCtrName]} {
			l.tagLink(dg, pos, name, fmt.Sprintf("index.json/manifests[%d]", i))
		}
		switch kind := d.Annotations[annotationCosignKind]; kind {
		case cosignKindImage, cosignKindIndex:
			l.cosignSubjects = append(l.cosignSubjects, dg)
		case cosignKindSigs, cosignKindAtts:
			c := l.cand(dg, pos)
			c.cosign = kind
			c.kinds = append(c.kinds, map[string]AttachmentKind{cosignKindSigs: KindSignature, cosignKindAtts: KindAttestation}[kind])
			saved = append(saved, c)
		}
	}
	l.a.cosignSave = len(saved) > 0 || len(l.cosignSubjects) > 0
	if len(l.cosignSubjects) != 1 {
		return // no subject to link to: the payloads say (readImages)
	}
	for _, c := range saved {
		l.link(c.digest, c.pos, ViaCosignSave, "index.json annotation kind="+c.cosign, l.cosignSubjects[0], "")
	}
}

// tagLink links the manifest d to the subject a cosign tag in name
// names (sha256-<hex>.sig, .att or .sbom); where says where name was
// read.
func (l *linker) tagLink(d digest.Digest, pos int, name, where string) {
	ref, ok := ParseRefName(name)
	if !ok {
		return
	}
	m := reCosignTag.FindStringSubmatch(ref.Tag)
	if m == nil || m[2] == "" {
		return
	}
	c := l.cand(d, pos)
	if c.tags[ref.Tag] {
		return // the same tag as a ref name and a containerd name
	}
	c.tags[ref.Tag] = true
	c.kinds = append(c.kinds, tagKinds[m[2]])
	l.link(d, pos, ViaTag, fmt.Sprintf("tag %s (%s)", ref.Tag, where), digest.NewDigestFromEncoded(digest.SHA256, m[1]), ref.Tag)
}

// readImages reads every image's manifest and every index present for a
// subject field, and every image's names for cosign tags (manifest.json
// has RepoTags); a manifest whose layers are cosign signatures or DSSE
// envelopes is a candidate even when nothing links it.
func (l *linker) readImages() {
	for i, img := range l.a.res.Images {
		for _, t := range img.RepoTags {
			if img.ManifestDigest == "" {
				break // a docker save entry: no manifest to attach or be attached to
			}
			l.tagLink(img.ManifestDigest, i, t, fmt.Sprintf("manifest.json RepoTags of image %d", i))
		}
		m := l.a.work[img].manifest
		if m == nil || m.data == nil || img.ManifestDigest == "" {
			continue
		}
		doc := l.parse(m.data, fmt.Sprintf("image[%d]", i), i, img.ManifestDigest)
		if doc == nil {
			continue
		}
		if _, linked := l.cands[img.ManifestDigest]; linked || cosignContent(doc) != "" {
			l.cand(img.ManifestDigest, i).doc = doc
		}
	}
	for _, d := range slices.Sorted(maps.Keys(l.indexes)) {
		n := l.indexes[d]
		e, _, err := l.a.cat.lookup(l.a.blobName(d))
		if err != nil || e.data == nil {
			continue
		}
		if doc := l.parse(e.data, n.Where, -1, d); doc != nil {
			if c, ok := l.cands[d]; ok {
				c.doc = doc
			}
		}
	}
}

// parse decodes a manifest or index already read once, and links it to
// its subject field, if it has one. A subject descriptor whose digest is
// not one is reported.
func (l *linker) parse(data []byte, where string, pos int, d digest.Digest) *manifestOrIndex {
	var doc manifestOrIndex
	if decodeStrict(data, &doc) != nil {
		return nil // reported when it was read
	}
	if doc.Subject == nil {
		return &doc
	}
	subject, err := ParseDigest(doc.Subject.Digest)
	if err != nil {
		l.a.add(kindBadDigest.causedBy(err), where+" subject", pos, "%v", err)
		return &doc
	}
	l.link(d, pos, ViaSubjectField, "its subject field", subject, "")
	l.cand(d, pos).doc = &doc
	return &doc
}

// cosignContent is the kind a manifest's layers show: a cosign signature
// when one is a simple-signing payload, an attestation when one is a DSSE
// envelope; "" otherwise.
func cosignContent(doc *manifestOrIndex) AttachmentKind {
	for _, ld := range doc.Layers {
		switch ld.MediaType {
		case mtSimpleSigning:
			return KindSignature
		case mtDSSE:
			return KindAttestation
		}
	}
	return ""
}

// viaRank orders the link conventions from most to least trusted.
var viaRank = map[Via]int{ViaSubjectField: 0, ViaTag: 1, ViaReferrersTag: 2, ViaCosignSave: 3, ViaPayload: 4}

// settle sets the subject of a candidate that has links, its most
// trusted link's, and the status of that subject; links that disagree
// are reported.
func (l *linker) settle(c *candidate) {
	slices.SortStableFunc(c.links, func(x, y AttachmentLink) int { return viaRank[x.Via] - viaRank[y.Via] })
	att := c.att
	att.Links = c.links
	att.Subject = c.links[0].Subject
	for _, lk := range c.links[1:] {
		if lk.Subject != att.Subject {
			l.a.claim(kindAttachmentLinks, l.subject(c), c.pos, "subject", lk.Subject.String(), att.Subject.String(),
				fmt.Sprintf("%s says it is about %s, but %s says %s", lk.Where, lk.Subject, c.links[0].Where, att.Subject))
		}
	}
	if sub, ok := l.cands[att.Subject]; ok && len(sub.links) > 0 {
		att.SubjectStatus = SubjectIsAttachment
		att.SubjectImage = position(sub.pos)
		return
	}
	att.SubjectStatus = l.statusOf(att.Subject)
	att.SubjectImage = position(l.imagePos(att.Subject))
}

// subject names a candidate in findings: its image, or the index node.
func (l *linker) subject(c *candidate) string {
	if c.pos >= 0 {
		return fmt.Sprintf("image[%d]", c.pos)
	}
	if n := l.indexes[c.digest]; n != nil {
		return n.Where
	}
	return c.digest.String()
}

// ends settles the end of every linked candidate's chain of subjects:
// an image, an index, absent, or a cycle. Each candidate is walked once:
// a walk stops at a candidate already settled and settles its whole path.
func (l *linker) ends() {
	for _, c := range l.order {
		if len(c.links) == 0 || c.status != "" {
			continue
		}
		var path []*candidate
		on := map[*candidate]int{}
		cur := c
		var end digest.Digest
		var status SubjectStatus
		for {
			if cur.status != "" {
				end, status = cur.root, cur.status
				break
			}
			if at, ok := on[cur]; ok {
				l.settleCycle(path[at:])
				path = path[:at]
				end, status = cur.digest, SubjectInCycle
				break
			}
			on[cur] = len(path)
			path = append(path, cur)
			d := cur.links[0].Subject
			if next, ok := l.cands[d]; ok && len(next.links) > 0 {
				cur = next
				continue
			}
			end, status = d, l.statusOf(d)
			break
		}
		for _, x := range path {
			x.root, x.status = end, status
		}
	}
}

// settleCycle marks the candidates of a cycle, each attached to the
// next and the last to the first. The message names at most
// namedAtMost of them.
func (l *linker) settleCycle(cycle []*candidate) {
	var steps []string
	for _, x := range cycle[:min(len(cycle), namedAtMost)] {
		steps = append(steps, x.digest.String())
	}
	desc := strings.Join(append(steps, steps[0]), " -> ")
	if len(cycle) > namedAtMost {
		desc = fmt.Sprintf("%s -> … (%d attachments in the cycle)", strings.Join(steps, " -> "), len(cycle))
	}
	for _, x := range cycle {
		x.root, x.status, x.cycle = x.digest, SubjectInCycle, desc
	}
}

// namedAtMost is how many digests a message lists (the attachments of a
// cycle, the subjects of a statement): a hostile archive must not make
// each finding as long as the archive.
const namedAtMost = 4

// statusOf is what the digest d is in the archive, when it is no
// attachment.
func (l *linker) statusOf(d digest.Digest) SubjectStatus {
	switch {
	case l.imagePos(d) >= 0:
		return SubjectIsImage
	case l.indexes[d] != nil:
		return SubjectIsIndex
	}
	return SubjectAbsent
}

// report reports a linked candidate whose chain does not reach an image
// or index: it is in a cycle, leads into one, or dangles.
func (l *linker) report(c *candidate) {
	switch c.status {
	case SubjectInCycle:
		c.att.SubjectStatus = SubjectInCycle
		if c.cycle != "" {
			l.a.add(kindAttachmentCycle, l.subject(c), c.pos, "%s %s is attached to itself: %s; it is about no image", c.att.Kind, c.digest, c.cycle)
		} else {
			l.a.add(kindAttachmentCycle, l.subject(c), c.pos, "%s %s is attached to %s, which leads into a cycle of attachments; it is about no image", c.att.Kind, c.digest, c.att.Subject)
		}
	case SubjectAbsent:
		c.att.SubjectStatus = SubjectAbsent
		what := "its subject " + c.att.Subject.String() + " is"
		if c.root != c.att.Subject {
			what = fmt.Sprintf("the subject at the end of its chain, %s, is", c.root)
		}
		l.a.add(kindDangling, l.subject(c), c.pos, "%s %s dangles: %s not in the archive (linked by %s)", c.att.Kind, c.digest, what, c.links[0].Where)
	}
}
