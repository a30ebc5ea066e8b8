package tarball

import (
	"errors"
	"fmt"
	"sort"

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
	// indexOnStack detects index cycles; visited holds what the walk
	// found under each digest it met; steps counts its work.
	indexOnStack map[digest.Digest]bool
	visited      map[string]*visit
	steps        int
	// dockerTagged maps a normalized name to the image manifest.json
	// tags with it; indexTags to the images index.json names with it.
	dockerTagged map[string]int
	indexTags    map[string]map[int]bool
	// work is what the analysis keeps about each image while it runs.
	work map[*Image]*imageWork
	// configs holds every config parsed, by entry; rows counts the layer
	// and history rows made, rowsOver that their budget was exceeded.
	configs map[*entry]*parsedConfig
	// byConfig finds the OCI images a manifest.json entry may merge into;
	// v1Parents holds the parent of each legacy layer read.
	byConfig  map[digest.Digest][]*Image
	v1Parents map[string]string
	rows      int
	rowsOver  bool
	// cosignSave is set when index.json holds cosign save's annotations.
	cosignSave bool
}

// imageWork is the analysis' working state about one image. It never
// leaves the analysis: a Result holds only what the archive says and what
// was computed.
type imageWork struct {
	// config is the config blob, once a manifest names one that exists;
	// manifest is the manifest blob the image was read from, if any.
	config, manifest *entry
	// merged is set when a manifest.json entry was merged into the image
	// read from an OCI manifest.
	merged bool
	// layerSources is manifest.json's LayerSources for the image.
	layerSources map[string]descriptor
	// artifactHint is set when the manifest has an artifactType or a
	// descriptor that is no layer (see isArtifact).
	artifactHint bool
	// pos is the image's position in Result.Images; names holds its
	// RepoTags, RefNames and ContainerdNames, so that adding one costs
	// the same with 150000 as with one.
	pos   int
	names map[string]struct{}
}

func analyze(cat *catalog, container Container, opts *Options) *Result {
	a := &analysis{
		cat:          cat,
		opts:         opts,
		res:          &Result{Archive: Archive{Container: container, Entries: len(cat.order)}},
		referenced:   map[string]bool{},
		byManifest:   map[digest.Digest]*Image{},
		indexOnStack: map[digest.Digest]bool{},
		visited:      map[string]*visit{},
		dockerTagged: map[string]int{},
		indexTags:    map[string]map[int]bool{},
		work:         map[*Image]*imageWork{},
		configs:      map[*entry]*parsedConfig{},
		v1Parents:    map[string]string{},
	}
	a.res.Findings = append(a.res.Findings, cat.findings...)
	a.run()
	return a.res
}

func (a *analysis) has(name string) bool {
	_, ok := a.cat.entries[name]
	return ok
}

// add records a finding of kind k about subject, and about the image at
// position image (-1 for the archive as a whole), with its message.
func (a *analysis) add(k Kind, subject string, image int, format string, args ...any) {
	a.res.Findings = append(a.res.Findings, newFinding(k, subject, image, format, args...))
}

// mismatch records a false claim of kind k with both values.
func (a *analysis) mismatch(k Kind, subject string, image int, field, declared, computed string) {
	err := &MismatchError{Subject: subject, Field: field, Declared: declared, Computed: computed}
	a.res.Findings = append(a.res.Findings, Finding{
		Severity: k.Severity, Class: k.ClassName(), Kind: k.Name, Subject: subject, Image: position(image),
		Message:  fmt.Sprintf("%s: archive says %s, computed %s", field, declared, computed),
		Declared: declared, Computed: computed, Err: err,
	})
}

// format names the layout from the files at the archive's root.
func (a *analysis) format(hasManifest, hasIndex, hasLayout, hasRepos bool) Format {
	switch {
	case a.isSkopeoDir():
		return FormatSkopeoDir
	case hasManifest && (hasIndex || hasLayout):
		return FormatDockerOCI
	case hasManifest:
		return FormatDockerArchive
	case hasIndex && a.res.Archive.Container == ContainerDirectory:
		return FormatOCILayout
	case hasIndex:
		return FormatOCIArchive
	case hasRepos:
		return FormatDockerV1
	}
	return FormatUnknown
}

func (a *analysis) run() {
	hasManifest, hasIndex := a.has("manifest.json"), a.has("index.json")
	hasLayout, hasRepos := a.has("oci-layout"), a.has("repositories")
	a.res.Archive.Format = a.format(hasManifest, hasIndex, hasLayout, hasRepos)
	a.checkLayoutLinks()
	if a.res.Archive.Format == FormatSkopeoDir {
		a.readSkopeoDir()
		hasManifest = false // not docker save's manifest.json
	}
	if hasLayout {
		a.checkLayoutFile()
	} else if hasIndex {
		a.add(kindMissingOCILayout, "oci-layout", -1, "index.json without an oci-layout file")
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
	a.linkAttachments()
	a.readContents()
	a.checkBlobs()
	a.res.Archive.Producer = a.producer()
	a.setManifestOrigins()
	if len(a.res.Images) == 0 {
		why, cause := a.whyNoImages(hasManifest, hasIndex, hasRepos)
		a.add(kindNoImages.causedBy(cause), "archive", -1, "no image found: %s", why)
	}
	a.noteCut()
	sort.SliceStable(a.res.Findings, func(i, j int) bool {
		return severityRank(a.res.Findings[i].Severity) < severityRank(a.res.Findings[j].Severity)
	})
	a.setRegistry()
	a.keepContent()
}

// checkLayoutLinks refuses the symlinks of an OCI layout or a skopeo
// dir: directory, whose blobs are files: an extracted docker save keeps
// the links of its tar (a repeated layer is a link to the first), which
// are followed inside the directory as in the tar.
func (a *analysis) checkLayoutLinks() {
	if a.res.Archive.Container != ContainerDirectory {
		return
	}
	switch a.res.Archive.Format {
	case FormatDockerArchive, FormatDockerOCI, FormatDockerV1:
		return
	}
	// A symlink whose target leaves the directory was recorded as no
	// link, with a bad_link finding: it is a symlink all the same.
	links := map[string]bool{}
	for _, f := range a.cat.findings {
		links[f.Subject] = links[f.Subject] || f.Kind == kindBadLink.Name
	}
	for _, name := range a.cat.order {
		if a.cat.entries[name].kind == kindSymlink || links[name] {
			a.add(kindSymlinkInLayout, name, -1, "%q is a symlink; tardigest does not follow symlinks in a layout directory", name)
		}
	}
}

// noteCut adds, when the tar ends without its end-of-archive marker, to
// every finding of something missing that the archive looks truncated:
// what is missing was most likely after the cut.
func (a *analysis) noteCut() {
	cut := false
	for _, f := range a.res.Findings {
		cut = cut || f.Kind == kindNoEndMarker.Name
	}
	if !cut {
		return
	}
	for i := range a.res.Findings {
		f := &a.res.Findings[i]
		if f.Kind == kindNoImages.Name || errors.Is(f.Err, ErrMissing) {
			const note = "; the archive looks truncated: it ends without its end-of-archive marker"
			f.Message += note
			if fe, ok := f.Err.(*findingError); ok {
				fe.msg += note
			}
		}
	}
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

// whyNoImages says why an archive holds no image, and the class of the
// cause: an archive that verifies nothing must not pass for one that
// verified. Manifests that index.json names but the archive lacks are
// missing; anything else, malformed.
func (a *analysis) whyNoImages(hasManifest, hasIndex, hasRepos bool) (string, error) {
	if !hasManifest && !hasIndex && !hasRepos {
		return "the archive has neither manifest.json, index.json nor repositories", ErrMalformed
	}
	var count func(nodes []*IndexNode) (absent, present int)
	count = func(nodes []*IndexNode) (absent, present int) {
		for _, n := range nodes {
			switch {
			case n.RepeatOf != "":
			case !n.Present:
				absent++
			case n.Kind == NodeIndex:
				x, y := count(n.Children)
				absent, present = absent+x, present+y
			default:
				present++
			}
		}
		return absent, present
	}
	if absent, present := count(a.res.Index); absent > 0 && present == 0 {
		return fmt.Sprintf("every manifest index.json leads to is missing from the archive (%d)", absent), ErrMissing
	}
	if len(a.res.Index) > 0 {
		return "no entry of index.json leads to an image manifest that could be read", ErrMalformed
	}
	return "the metadata lists no image", ErrMalformed
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

func (a *analysis) newImage(source string) (int, *Image) {
	img := &Image{Sources: []string{source}, RepoTags: []string{}, RefNames: []string{}, ContainerdNames: []string{}, Layers: []Layer{}, History: []History{}}
	a.res.Images = append(a.res.Images, img)
	a.work[img] = &imageWork{pos: len(a.res.Images) - 1, names: map[string]struct{}{}}
	return len(a.res.Images) - 1, img
}

func (a *analysis) imageIndex(img *Image) int { return a.work[img].pos }

// The lists of names addName adds to.
const (
	repoTags = iota
	refNames
	containerdNames
)

// addName adds the name s to one of img's lists of names unless it is
// empty or there already.
func (a *analysis) addName(img *Image, list int, s string) {
	if s == "" {
		return
	}
	w := a.work[img]
	key := string(rune('0'+list)) + s
	if _, dup := w.names[key]; dup {
		return
	}
	w.names[key] = struct{}{}
	switch list {
	case repoTags:
		img.RepoTags = append(img.RepoTags, s)
	case refNames:
		img.RefNames = append(img.RefNames, s)
	default:
		img.ContainerdNames = append(img.ContainerdNames, s)
	}
}

// fillLayer copies the computed identities of a layer's entry.
func (a *analysis) fillLayer(l *Layer, e *entry) {
	if e == nil {
		return
	}
	l.Present = true
	l.Digest, l.Size = e.blob.Digest, e.blob.Size
	l.Compression = e.blob.Compression
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
