package tarball

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
)

// analysis resolves the roles of a catalog's entries and checks every
// claim the metadata makes about them.
type analysis struct {
	cat        *catalog
	opts       *Options
	res        *Result
	referenced map[string]bool
	// byManifest finds the image already made from a manifest blob.
	byManifest map[digest.Digest]*Image
	// indexOnStack detects index cycles.
	indexOnStack map[digest.Digest]bool
	indexWalks   int
	dockerTags   map[string]int // normalized name -> image, from manifest.json
	indexTags    map[string][]int
}

func analyze(cat *catalog, container string, opts *Options) *Result {
	a := &analysis{
		cat:          cat,
		opts:         opts,
		res:          &Result{Archive: Archive{Container: container, Entries: len(cat.order)}},
		referenced:   map[string]bool{},
		byManifest:   map[digest.Digest]*Image{},
		indexOnStack: map[digest.Digest]bool{},
		indexTags:    map[string][]int{},
	}
	a.res.Findings = append(a.res.Findings, cat.findings...)
	a.run()
	return a.res
}

func (a *analysis) has(name string) bool {
	_, ok := a.cat.entries[name]
	return ok
}

// add records a finding; class is one of the Err* classes, or nil for an
// observation that is not a problem.
func (a *analysis) add(sev Severity, kind, subject string, image int, class error, format string, args ...any) {
	a.res.Findings = append(a.res.Findings, newFinding(sev, kind, subject, image, class, format, args...))
}

// mismatch records a false claim with both values.
func (a *analysis) mismatch(kind, subject string, image int, field, declared, computed string) {
	err := &MismatchError{Subject: subject, Field: field, Declared: declared, Computed: computed}
	a.res.Findings = append(a.res.Findings, Finding{
		Severity: SeverityError, Class: "mismatch", Kind: kind, Subject: subject, Image: image,
		Message:  fmt.Sprintf("%s: archive says %s, computed %s", field, declared, computed),
		Declared: declared, Computed: computed, Err: err,
	})
}

func newFinding(sev Severity, kind, subject string, image int, class error, format string, args ...any) Finding {
	msg := fmt.Sprintf(format, args...)
	f := Finding{Severity: sev, Kind: kind, Subject: subject, Image: image, Message: msg, Class: "info"}
	if class != nil {
		f.Class = className(class)
		f.Err = &findingError{class: class, msg: subject + ": " + msg}
	}
	return f
}

type findingError struct {
	class error
	msg   string
}

func (e *findingError) Error() string { return e.msg }
func (e *findingError) Unwrap() error { return e.class }

func (a *analysis) run() {
	hasManifest, hasIndex := a.has("manifest.json"), a.has("index.json")
	hasLayout, hasRepos := a.has("oci-layout"), a.has("repositories")
	ar := &a.res.Archive
	switch {
	case hasManifest && (hasIndex || hasLayout):
		ar.Format = "docker-archive+oci-layout"
	case hasManifest:
		ar.Format = "docker-archive"
	case hasIndex && ar.Container == "directory":
		ar.Format = "oci-layout"
	case hasIndex:
		ar.Format = "oci-archive"
	case hasRepos:
		ar.Format = "docker-archive-v1"
	default:
		ar.Format = "unknown"
	}
	if hasLayout {
		a.checkLayoutFile()
	} else if hasIndex {
		a.add(SeverityWarning, "missing_oci_layout", "oci-layout", -1, nil, "index.json without an oci-layout file")
	}
	if hasIndex {
		a.readIndexJSON()
	}
	if hasManifest {
		a.readManifestJSON()
	}
	if !hasManifest && !hasIndex && hasRepos {
		a.readV1()
	}
	for i, img := range a.res.Images {
		a.checkImage(i, img)
	}
	a.crossCheckNames()
	a.checkBlobs()
	a.res.Archive.Producer = a.producer()
	if len(a.res.Images) == 0 && len(a.res.Index) == 0 {
		a.add(SeverityError, "no_images", "archive", -1, ErrMalformed, "no image found: %s", a.whyNoImages(hasManifest, hasIndex, hasRepos))
	}
	sort.SliceStable(a.res.Findings, func(i, j int) bool {
		return severityRank(a.res.Findings[i].Severity) < severityRank(a.res.Findings[j].Severity)
	})
}

func severityRank(s Severity) int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

func (a *analysis) whyNoImages(hasManifest, hasIndex, hasRepos bool) string {
	if !hasManifest && !hasIndex && !hasRepos {
		return "the archive has neither manifest.json, index.json nor repositories"
	}
	return "the metadata lists no image"
}

// document returns the bytes of the JSON document at name (following
// links inside the archive) and marks it referenced.
func (a *analysis) document(name string) (*entry, []byte, error) {
	e, _, err := a.cat.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	a.referenced[e.name] = true
	return e, e.data, a.documentErr(e)
}

func (a *analysis) documentErr(e *entry) error {
	switch {
	case e.data != nil:
		return nil
	case e.blob.Size > a.opts.Limits.MaxJSONBytes:
		return fmt.Errorf("%w: %q is %d bytes, over the %d-byte cap for a JSON document (the max-json-bytes limit)", ErrLimit, e.name, e.blob.Size, a.opts.Limits.MaxJSONBytes)
	case e.blob.Size == 0:
		return fmt.Errorf("%w: %q is empty, not JSON", ErrMalformed, e.name)
	}
	return fmt.Errorf("%w: %q is not a JSON document", ErrMalformed, e.name)
}

func (a *analysis) checkLayoutFile() {
	_, data, err := a.document("oci-layout")
	if err != nil {
		a.add(SeverityError, "invalid_json", "oci-layout", -1, classOf(err), "%v", err)
		return
	}
	var v struct {
		ImageLayoutVersion string `json:"imageLayoutVersion"`
	}
	if err := decodeStrict(data, &v); err != nil {
		a.add(SeverityError, "invalid_json", "oci-layout", -1, classOf(err), "%v", err)
		return
	}
	if v.ImageLayoutVersion != "1.0.0" {
		a.add(SeverityError, "unsupported_layout", "oci-layout", -1, ErrUnsupported, "imageLayoutVersion %q; tardigest reads 1.0.0", v.ImageLayoutVersion)
	}
}

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
// parseDigest.
func blobPath(d digest.Digest) string {
	return "blobs/" + string(d.Algorithm()) + "/" + d.Encoded()
}

// checked is a descriptor after checkDescriptor.
type checked struct {
	digest digest.Digest
	entry  *entry // nil when absent or unreadable
	via    string
}

// checkDescriptor finds the blob a descriptor names and checks its digest
// and size. A missing blob is reported with missingSev (the caller knows
// whether absence is expected), unless missingSev is empty.
func (a *analysis) checkDescriptor(d *descriptor, subject string, image int, missingSev Severity) checked {
	dg, err := ParseDigest(d.Digest)
	if err != nil {
		a.add(SeverityError, "bad_digest", subject, image, classOf(err), "%v", err)
		return checked{}
	}
	if d.Size < 0 {
		a.add(SeverityError, "bad_size", subject, image, ErrMalformed, "negative size %d", d.Size)
	}
	p := blobPath(dg)
	e, via, err := a.cat.lookup(p)
	if err != nil {
		if errors.Is(err, ErrMissing) {
			if missingSev != "" {
				class := error(ErrMissing)
				if missingSev != SeverityError {
					class = nil
				}
				a.add(missingSev, "missing_blob", subject, image, class, "blob %s (%s) is not in the archive", dg, d.MediaType)
			}
		} else {
			a.add(SeverityError, "bad_entry", subject, image, classOf(err), "%v", err)
		}
		return checked{digest: dg}
	}
	a.referenced[e.name] = true
	if via != "" {
		a.add(SeverityError, "blob_is_link", subject, image, ErrMalformed, "blob %q is a link to %q; layout blobs must be files", p, via)
	}
	if e.blob.Digest != dg {
		a.mismatch("digest_mismatch", subject, image, "digest", dg.String(), e.blob.Digest.String())
	}
	if d.Size >= 0 && e.blob.Size != d.Size {
		a.mismatch("size_mismatch", subject, image, "size", fmt.Sprint(d.Size), fmt.Sprint(e.blob.Size))
	}
	return checked{digest: dg, entry: e, via: via}
}

// ---- index.json and the OCI side ----

// topRef carries the annotations of a top-level index.json entry down to
// the images it reaches.
type topRef struct {
	refName, ctrName string
	target           string // the top-level descriptor's digest
}

func (a *analysis) readIndexJSON() {
	e, data, err := a.document("index.json")
	if e != nil {
		a.res.Archive.IndexJSONDigest = e.blob.Digest
	}
	if err != nil {
		a.add(SeverityError, "invalid_json", "index.json", -1, classOf(err), "%v", err)
		return
	}
	var idx manifestOrIndex
	if err := decodeStrict(data, &idx); err != nil {
		a.add(SeverityError, "invalid_json", "index.json", -1, classOf(err), "%v", err)
		return
	}
	if idx.Manifests == nil {
		if a.has("manifest.json") {
			a.add(SeverityInfo, "null_index", "index.json", -1, nil, "index.json lists no manifests (Docker 25.0.0 writes \"manifests\": null); manifest.json describes the images")
		} else {
			a.add(SeverityError, "invalid_index", "index.json", -1, ErrMalformed, "index.json has no manifests array")
		}
		return
	}
	if idx.Config != nil || idx.Layers != nil {
		a.add(SeverityError, "ambiguous_document", "index.json", -1, ErrMalformed, "index.json has both manifests and config/layers")
		return
	}
	a.res.Index, _ = a.walkIndex(*idx.Manifests, "index.json", 0, nil, nil)
}

// walkIndex checks each descriptor of an index and follows it. top is nil
// for index.json's own entries, whose annotations name the images.
func (a *analysis) walkIndex(descs []descriptor, where string, depth int, top *topRef, parents []digest.Digest) ([]*IndexNode, []*Image) {
	var (
		nodes  []*IndexNode
		images []*Image
		// walked maps a digest listed earlier in this same index to the
		// images under it: a repeat is not walked again (an index that
		// lists one child 10000 times must cost one walk), but its names
		// still reach those images (two tags of one image are two
		// index.json entries with one digest).
		walked  = map[string]*IndexNode{}
		under   = map[string][]*Image{}
		repeats int
	)
	for i := range descs {
		d := &descs[i]
		w := fmt.Sprintf("%s/manifests[%d]", where, i)
		if depth > 0 {
			w = fmt.Sprintf("%s -> manifests[%d]", where, i)
		}
		ref := top
		if depth == 0 {
			ref = &topRef{refName: d.Annotations[annotationRefName], ctrName: d.Annotations[annotationCtrName], target: d.Digest}
		}
		node := &IndexNode{Where: w, MediaType: d.MediaType, Size: d.Size, Platform: d.Platform.String()}
		if depth == 0 {
			node.RefName, node.ContainerdName = ref.refName, ref.ctrName
		}
		nodes = append(nodes, node)
		if first, seen := walked[d.Digest]; seen {
			repeats++
			node.Digest, node.Present, node.Kind, node.RepeatOf = first.Digest, first.Present, first.Kind, first.Where
			for _, img := range under[d.Digest] {
				a.name(img, ref)
			}
			continue
		}
		walked[d.Digest] = node
		// A platform manifest missing under a nested index is normal: a
		// single-platform save of a multi-platform image keeps the index
		// and leaves the other platforms out (moby #49473).
		sev := SeverityError
		if depth > 0 {
			sev = ""
		}
		c := a.checkDescriptor(d, w, -1, sev)
		node.Digest = c.digest
		if c.entry == nil {
			if depth > 0 && c.digest != "" {
				node.Kind = "absent"
				what := "manifest"
				if p := d.Platform.String(); p != "" {
					what = "platform " + p
				}
				a.add(SeverityInfo, "absent_platform", w, -1, nil, "%s (%s) is not in the archive: left out when the archive was written", what, c.digest)
			}
			continue
		}
		node.Present = true
		if d.MediaType == mtOCIDescriptor {
			a.add(SeverityWarning, "media_type_mismatch", w, -1, nil, "descriptor media type %s does not name a manifest or index", d.MediaType)
		}
		imgs := a.followBlob(c, d, node, w, depth, ref, parents)
		under[d.Digest] = imgs
		images = append(images, imgs...)
	}
	if repeats > 0 {
		a.add(SeverityWarning, "repeated_descriptor", where, -1, nil, "%d descriptors repeat a digest listed earlier in the same index", repeats)
	}
	return nodes, images
}

// followBlob reads the blob a descriptor names and walks it: an index
// recursively, a manifest into an image. It returns the images found.
func (a *analysis) followBlob(c checked, d *descriptor, node *IndexNode, where string, depth int, ref *topRef, parents []digest.Digest) []*Image {
	_, _, err := a.document(c.entry.name)
	if err != nil {
		node.Kind = "unknown"
		a.add(SeverityError, "unknown_blob", where, -1, classOf(err), "%v", err)
		return nil
	}
	var doc manifestOrIndex
	if err := decodeStrict(c.entry.data, &doc); err != nil {
		node.Kind = "unknown"
		a.add(SeverityError, "invalid_json", where, -1, classOf(err), "%s: %v", c.entry.name, err)
		return nil
	}
	kind, err := classify(&doc)
	if err != nil {
		node.Kind = "unknown"
		a.add(SeverityError, "unknown_blob", where, -1, classOf(err), "%s: %v", c.digest, err)
		return nil
	}
	node.Kind = kind
	a.checkMediaTypes(d.MediaType, doc.MediaType, kind, where)
	switch kind {
	case "index":
		if a.indexOnStack[c.digest] {
			a.add(SeverityError, "index_cycle", where, -1, ErrMalformed, "index %s contains itself", c.digest)
			return nil
		}
		if depth+1 > a.opts.Limits.MaxIndexDepth {
			a.add(SeverityError, "index_too_deep", where, -1, ErrLimit, "indexes nest deeper than %d", a.opts.Limits.MaxIndexDepth)
			return nil
		}
		// An index reached from two different parents is walked on each
		// path, so each path's names reach the images; the walks are
		// counted and bounded.
		if a.indexWalks++; a.indexWalks > a.opts.Limits.MaxEntries {
			a.add(SeverityError, "index_too_large", where, -1, ErrLimit, "more than %d index walks", a.opts.Limits.MaxEntries)
			return nil
		}
		a.indexOnStack[c.digest] = true
		children, imgs := a.walkIndex(*doc.Manifests, where, depth+1, ref, append(parents[:len(parents):len(parents)], c.digest))
		node.Children = children
		a.indexOnStack[c.digest] = false
		return imgs
	case "manifest":
		return []*Image{a.manifestImage(c, d, &doc, where, ref, parents)}
	}
	return nil
}

// classify says whether a parsed document is an index or a manifest,
// refusing documents that could be read as both (CVE-2021-41190) and
// schema 1 manifests.
func classify(doc *manifestOrIndex) (string, error) {
	switch {
	case doc.MediaType == mtDockerSchema1 || doc.MediaType == mtDockerSchema1S || doc.FSLayers != nil || doc.SchemaVersion == 1:
		return "", fmt.Errorf("%w: schema 1 manifest", ErrUnsupported)
	case doc.Manifests != nil && (doc.Config != nil || doc.Layers != nil):
		return "", fmt.Errorf("%w: document has both manifests and config/layers: ambiguous (CVE-2021-41190)", ErrMalformed)
	case isIndexType(doc.MediaType) || (doc.MediaType == "" && doc.Manifests != nil):
		if doc.Manifests == nil {
			return "", fmt.Errorf("%w: index without a manifests array", ErrMalformed)
		}
		return "index", nil
	case isManifestType(doc.MediaType) || (doc.MediaType == "" && doc.Config != nil):
		if doc.Config == nil {
			return "", fmt.Errorf("%w: manifest without a config", ErrMalformed)
		}
		return "manifest", nil
	}
	return "", fmt.Errorf("%w: neither an image index nor an image manifest (media type %q)", ErrMalformed, doc.MediaType)
}

// checkMediaTypes compares a descriptor's media type with the blob's own.
// Pointing an index type at a manifest (or the reverse) is an error; an
// OCI type on a Docker document of the same kind is a warning, as
// go-containerregistry's own test layouts do it.
func (a *analysis) checkMediaTypes(declared, own, kind, where string) {
	if declared == "" || declared == mtOCIDescriptor {
		return
	}
	declaredKind := ""
	switch {
	case isIndexType(declared):
		declaredKind = "index"
	case isManifestType(declared):
		declaredKind = "manifest"
	}
	if declaredKind != "" && declaredKind != kind {
		a.mismatchWarn(where, SeverityError, "descriptor says %s (%s), blob is an %s", declared, declaredKind, kind)
		return
	}
	if own != "" && own != declared {
		a.mismatchWarn(where, SeverityWarning, "descriptor media type %s, blob says %s", declared, own)
	}
}

func (a *analysis) mismatchWarn(where string, sev Severity, format string, args ...any) {
	class := error(nil)
	if sev == SeverityError {
		class = ErrMismatch
	}
	a.add(sev, "media_type_mismatch", where, -1, class, format, args...)
}

func (a *analysis) newImage(source string) (int, *Image) {
	img := &Image{Sources: []string{source}, RepoTags: []string{}, RefNames: []string{}, ContainerdNames: []string{}, Layers: []Layer{}, History: []History{}}
	a.res.Images = append(a.res.Images, img)
	return len(a.res.Images) - 1, img
}

func (a *analysis) imageIndex(img *Image) int {
	for i, x := range a.res.Images {
		if x == img {
			return i
		}
	}
	return -1
}

func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// manifestImage makes (or finds) the image of a manifest blob.
func (a *analysis) manifestImage(c checked, d *descriptor, doc *manifestOrIndex, where string, ref *topRef, parents []digest.Digest) *Image {
	img, ok := a.byManifest[c.digest]
	if ok {
		img.Sources = append(img.Sources, where)
	} else {
		var i int
		i, img = a.newImage(where)
		a.byManifest[c.digest] = img
		img.ManifestDigest = c.entry.blob.Digest
		img.manifestEntry = c.entry
		img.ManifestSize = c.entry.blob.Size
		img.ManifestMediaType = doc.MediaType
		if img.ManifestMediaType == "" {
			img.ManifestMediaType = d.MediaType
		}
		img.IndexDigests = parents
		img.Platform = d.Platform.String()
		a.fillFromManifest(i, img, doc)
	}
	a.name(img, ref)
	return img
}

// name gives img the names of the index.json entry that leads to it.
func (a *analysis) name(img *Image, ref *topRef) {
	if img.ContainerdImageID == "" {
		if t, err := ParseDigest(ref.target); err == nil {
			img.ContainerdImageID = t
		}
	}
	img.RefNames = appendUnique(img.RefNames, ref.refName)
	img.ContainerdNames = appendUnique(img.ContainerdNames, ref.ctrName)
	key := normalizeName(ref.ctrName)
	if key == "" && ref.refName != "" && strings.ContainsAny(ref.refName, "/:") {
		key = normalizeName(ref.refName)
	}
	if key != "" {
		i := a.imageIndex(img)
		if !slices.Contains(a.indexTags[key], i) {
			a.indexTags[key] = append(a.indexTags[key], i)
		}
	}
}

// fillFromManifest checks a manifest's config and layer descriptors.
func (a *analysis) fillFromManifest(i int, img *Image, doc *manifestOrIndex) {
	cfg := doc.Config
	img.ConfigMediaType = cfg.MediaType
	img.Artifact = doc.ArtifactType != "" || !isConfigType(cfg.MediaType)
	c := a.checkDescriptor(cfg, fmt.Sprintf("image[%d] config", i), i, SeverityError)
	if c.entry != nil {
		img.configEntry = c.entry
		img.ConfigPath = c.entry.name
	}
	for j := range doc.Layers {
		ld := &doc.Layers[j]
		if _, isLayer := layerCompression(ld.MediaType); !isLayer {
			img.Artifact = true
		}
		subject := fmt.Sprintf("image[%d] layer[%d]", i, j)
		foreign := isForeign(ld.MediaType) || len(ld.URLs) > 0
		sev := SeverityError
		if foreign {
			sev = SeverityWarning
		}
		lc := a.checkDescriptor(ld, subject, i, sev)
		l := Layer{MediaType: ld.MediaType, ClaimedDigest: lc.digest, ClaimedSize: ld.Size, Foreign: foreign, LinkTarget: lc.via}
		if lc.digest != "" {
			l.Path = blobPath(lc.digest)
		}
		if foreign && lc.entry == nil {
			a.add(SeverityWarning, "foreign_layer", subject, i, nil, "non-distributable layer %s is not in the archive and cannot be checked offline; its urls are never fetched", lc.digest)
		}
		a.fillLayer(&l, lc.entry)
		img.Layers = append(img.Layers, l)
	}
}

// fillLayer copies the computed identities of a layer's entry.
func (a *analysis) fillLayer(l *Layer, e *entry) {
	if e == nil {
		return
	}
	l.Present = true
	l.Digest, l.Size = e.blob.Digest, e.blob.Size
	l.Compression = string(e.blob.Compression)
	l.DiffID, l.UncompressedSize = e.blob.DiffID, e.blob.UncompressedSize
}

// jsonKind names the JSON type of a decoded value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	}
	return "a number"
}

// ---- manifest.json ----

var (
	hex64        = `[a-f0-9]{64}`
	reConfigName = regexp.MustCompile(`^(?:blobs/sha256/(` + hex64 + `)|(?:sha256:)?(` + hex64 + `)(?:\.json)?)$`)
	reLayerName  = regexp.MustCompile(`^(?:blobs/sha256/(` + hex64 + `)|(?:sha256:)?(` + hex64 + `)\.tar(?:\.gz|\.zst|\.gzip|\.zstd)?)$`)
)

// claimedByName returns the digest a file name embeds, if any.
func claimedByName(re *regexp.Regexp, name string) digest.Digest {
	m := re.FindStringSubmatch(name)
	if m == nil {
		return ""
	}
	return digest.NewDigestFromEncoded(digest.SHA256, m[1]+m[2])
}

// refPath cleans a path read from manifest.json. Leading "./" and "/"
// occur in loadable archives (podman #8132, trivy #3080) and mean the
// archive root; ".." is refused.
func refPath(p string) (string, error) {
	q := strings.TrimLeft(p, "/")
	name, err := cleanName(q)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("%w: empty path %q", ErrMalformed, p)
	}
	return name, nil
}

func (a *analysis) readManifestJSON() {
	_, data, err := a.document("manifest.json")
	if err != nil {
		a.add(SeverityError, "invalid_json", "manifest.json", -1, classOf(err), "%v", err)
		return
	}
	var raw any
	if err := decodeStrict(data, &raw); err != nil {
		a.add(SeverityError, "invalid_json", "manifest.json", -1, classOf(err), "%v", err)
		return
	}
	if _, isArray := raw.([]any); !isArray {
		a.add(SeverityError, "invalid_manifest", "manifest.json", -1, ErrMalformed, "manifest.json is %s, not an array of images", jsonKind(raw))
		return
	}
	var entries *[]dockerManifestEntry
	if err := decodeStrict(data, &entries); err != nil {
		a.add(SeverityError, "invalid_manifest", "manifest.json", -1, classOf(err), "%v", err)
		return
	}
	if strings.Contains(string(data), `"config"`) && !strings.Contains(string(data), `"Config"`) {
		a.add(SeverityInfo, "lowercase_keys", "manifest.json", -1, nil, "manifest.json uses lower-case keys (as Jib writes them)")
	}
	for i := range *entries {
		a.dockerImage(i, &(*entries)[i])
	}
}

// dockerImage makes the image of a manifest.json entry, or merges it into
// the image of the OCI manifest that has the same config and layers (the
// Docker 25+ and containerd case).
func (a *analysis) dockerImage(n int, m *dockerManifestEntry) {
	src := fmt.Sprintf("manifest.json[%d]", n)
	type ref struct {
		path  string
		entry *entry
		via   string
		err   error
	}
	resolve := func(p string) ref {
		name, err := refPath(p)
		if err != nil {
			return ref{path: p, err: err}
		}
		e, via, err := a.cat.lookup(name)
		if e != nil {
			a.referenced[e.name] = true
		}
		return ref{path: name, entry: e, via: via, err: err}
	}
	cfg := resolve(m.Config)
	layers := make([]ref, len(m.Layers))
	for j, p := range m.Layers {
		layers[j] = resolve(p)
	}

	// The same image as an OCI manifest already read?
	var img *Image
	if cfg.entry != nil {
		for _, cand := range a.res.Images {
			if cand.configEntry == nil || cand.configEntry.blob.Digest != cfg.entry.blob.Digest || len(cand.Layers) != len(layers) || cand.merged {
				continue
			}
			same := true
			for j, l := range layers {
				if l.entry == nil || cand.Layers[j].Digest != l.entry.blob.Digest {
					same = false
					break
				}
			}
			if same {
				img = cand
				break
			}
		}
	}
	var i int
	if img != nil {
		i = a.imageIndex(img)
		img.merged = true
		img.Sources = append(img.Sources, src)
	} else {
		i, img = a.newImage(src)
	}
	for _, t := range m.RepoTags {
		img.RepoTags = appendUnique(img.RepoTags, t)
		if k := normalizeName(t); k != "" {
			if a.dockerTags == nil {
				a.dockerTags = map[string]int{}
			}
			if prev, dup := a.dockerTags[k]; dup && prev != i {
				// docker load leaves the tag on whichever image it loads
				// last: which image the tag names cannot be told.
				a.add(SeverityError, "duplicate_tag", src, i, ErrMalformed, "tag %s is also claimed by image[%d]", t, prev)
			}
			a.dockerTags[k] = i
		}
	}
	img.Parent = m.Parent

	subject := src + " config"
	if cfg.err != nil {
		a.add(SeverityError, "missing_blob", subject, i, classOf(cfg.err), "Config %q: %v", m.Config, cfg.err)
	} else {
		if img.configEntry == nil {
			img.configEntry = cfg.entry
			img.ConfigPath = cfg.path
		}
		claimed := claimedByName(reConfigName, cfg.path)
		if claimed == "" {
			claimed = claimedByName(reConfigName, path.Base(cfg.path))
		}
		if claimed != "" && claimed != cfg.entry.blob.Digest {
			a.mismatch("digest_mismatch", subject, i, "digest in file name "+cfg.path, claimed.String(), cfg.entry.blob.Digest.String())
		}
	}
	img.layerSources = m.LayerSources
	if img.merged && len(img.Layers) == len(layers) {
		return // the OCI manifest's layers, already checked, are these
	}
	for j, l := range layers {
		ls := fmt.Sprintf("%s layer[%d]", src, j)
		layer := Layer{Path: l.path, ClaimedSize: -1, LinkTarget: l.via}
		if l.err != nil {
			a.add(SeverityError, "missing_blob", ls, i, classOf(l.err), "layer %q: %v", m.Layers[j], l.err)
			img.Layers = append(img.Layers, layer)
			continue
		}
		claimed := claimedByName(reLayerName, l.path)
		if claimed == "" {
			claimed = claimedByName(reLayerName, path.Base(l.path))
		}
		layer.ClaimedDigest = claimed
		a.fillLayer(&layer, l.entry)
		if claimed != "" && claimed != l.entry.blob.Digest {
			a.mismatch("digest_mismatch", ls, i, "digest in file name "+l.path, claimed.String(), l.entry.blob.Digest.String())
		}
		img.Layers = append(img.Layers, layer)
	}
}
