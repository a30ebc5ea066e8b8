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
	// indexOnStack detects index cycles.
	indexOnStack map[digest.Digest]bool
	indexWalks   int
	// dockerTagged maps a normalized name to the image manifest.json
	// tags with it; indexTags to the images index.json names with it.
	dockerTagged map[string]int
	indexTags    map[string][]int
	// work is what the analysis keeps about each image while it runs.
	work map[*Image]*imageWork
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
}

func analyze(cat *catalog, container Container, opts *Options) *Result {
	a := &analysis{
		cat:          cat,
		opts:         opts,
		res:          &Result{Archive: Archive{Container: container, Entries: len(cat.order)}},
		referenced:   map[string]bool{},
		byManifest:   map[digest.Digest]*Image{},
		indexOnStack: map[digest.Digest]bool{},
		dockerTagged: map[string]int{},
		indexTags:    map[string][]int{},
		work:         map[*Image]*imageWork{},
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
	a.checkBlobs()
	a.res.Archive.Producer = a.producer()
	a.setManifestOrigins()
	if len(a.res.Images) == 0 && len(a.res.Index) == 0 {
		a.add(kindNoImages, "archive", -1, "no image found: %s", a.whyNoImages(hasManifest, hasIndex, hasRepos))
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

func (a *analysis) newImage(source string) (int, *Image) {
	img := &Image{Sources: []string{source}, RepoTags: []string{}, RefNames: []string{}, ContainerdNames: []string{}, Layers: []Layer{}, History: []History{}}
	a.res.Images = append(a.res.Images, img)
	a.work[img] = &imageWork{}
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
