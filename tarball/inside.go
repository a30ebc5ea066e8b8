package tarball

import (
	"fmt"
	"sync"

	"github.com/tardigest/tardigest/layer/tree"
)

// LayerContent is what a layer holds, from the headers of its tar: the
// counts and notable files of its own entries and, once the image's
// layers are merged, what it did to the layers below.
type LayerContent struct {
	tree.Facts
	// Changes is what the layer added, changed, removed and wasted in its
	// image; absent when the image's layers could not all be read.
	Changes *tree.LayerChange `json:"changes,omitempty"`
}

// ImageContent is what an image's merged filesystem holds: its layers
// applied in order, whiteouts included, as docker and containerd extract
// them. Waste is exactly what squashing the image would save; Dive is
// the same question answered with dive's definitions and quirks, for CI
// thresholds written for dive.
type ImageContent struct {
	tree.ImageFacts
	Waste tree.Waste `json:"waste"`
	// Dive is absent unless ContentOptions.Dive asked for it.
	Dive *tree.DiveReport `json:"dive,omitempty"`
}

// imageTrees is what the analysis keeps of an image's contents for
// listings, lookups and comparisons: its merged filesystem and its
// layers' walks (nil where a layer could not be read).
type imageTrees struct {
	merged *tree.Image
	layers []*tree.Layer
	// entries are the names in the archive of the layers' blobs, links
	// resolved: what ReadLayer reads again.
	entries []string
}

// readContents attaches to every image (artifacts and attachments
// aside) what its layers hold, merges the layers of each image whose every
// layer was read, and turns what the walks and merges found into
// findings. A layer shared by several images was walked once; it is
// merged into each. It runs after attachments are linked: a signature's
// or an SBOM's layers are payloads, not tars, while any other image's
// layers (and an attachment's that claim to be layer tars) are checked as
// the tars a loader extracts, whatever media type a descriptor gives them.
func (a *analysis) readContents() {
	if a.opts.Content.Skip {
		return
	}
	// An attachment is skipped only when no layer of it claims to be a
	// layer tar: a tag or a subject field must not hide a real layer.
	attached := map[int]bool{}
	for _, att := range a.res.Attachments {
		if att.Image != nil && !anyLayerMediaType(a.res.Images[*att.Image]) {
			attached[*att.Image] = true
		}
	}
	a.res.trees = make([]imageTrees, len(a.res.Images))
	for i, img := range a.res.Images {
		if img.Artifact || attached[i] {
			continue
		}
		layers, entries, complete := a.layerContents(i, img)
		a.res.trees[i].layers, a.res.trees[i].entries = layers, entries
		if !complete {
			continue
		}
		merged, dive := a.merge(layers)
		img.Content = &ImageContent{ImageFacts: merged.Facts, Waste: merged.Waste, Dive: dive}
		for j := range img.Layers {
			ch := merged.Layers[j]
			img.Layers[j].Content.Changes = &ch
		}
		a.contentFindings(i, -1, merged.Findings, merged.OmittedFindings)
		a.res.trees[i].merged = merged
	}
}

// anyLayerMediaType reports whether some layer of img has a layer media
// type (a tar, compressed or not).
func anyLayerMediaType(img *Image) bool {
	for _, l := range img.Layers {
		if _, ok := layerCompression(l.MediaType); ok {
			return true
		}
	}
	return false
}

// merge merges an image's layers and, when asked to, computes dive's
// numbers beside it, on another goroutine: both only read the layers.
func (a *analysis) merge(layers []*tree.Layer) (*tree.Image, *tree.DiveReport) {
	opts := a.opts.treeOptions()
	var dive *tree.DiveReport
	var wg sync.WaitGroup
	if a.opts.Content.Dive {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := tree.Dive(layers, opts)
			dive = &d
		}()
	}
	merged := tree.Merge(layers, opts)
	wg.Wait()
	return merged, dive
}

// layerContents attaches each layer's facts and findings; complete is
// false when some layer could not be read in full, so the image cannot
// be merged.
func (a *analysis) layerContents(i int, img *Image) ([]*tree.Layer, []string, bool) {
	layers := make([]*tree.Layer, len(img.Layers))
	entries := make([]string, len(img.Layers))
	complete := true
	for j := range img.Layers {
		l := &img.Layers[j]
		e := a.layerEntry(l)
		if e == nil || e.content == nil {
			complete = false
			continue
		}
		layers[j], entries[j] = e.content, e.name
		l.Content = &LayerContent{Facts: e.content.Facts}
		a.contentFindings(i, j, e.content.Findings, e.content.OmittedFindings)
		complete = complete && !e.content.Facts.Truncated
	}
	return layers, entries, complete
}

// layerEntry returns the entry whose bytes are layer l when they were
// read in full: present and decompressed without error. Its media type
// does not matter: docker load extracts what manifest.json names, and a
// descriptor's type must not switch the checks of its bytes off.
func (a *analysis) layerEntry(l *Layer) *entry {
	if !l.Present {
		return nil
	}
	e, _, err := a.cat.lookup(l.Path)
	if err != nil || e.blob.DiffIDErr != nil {
		return nil
	}
	return e
}

// contentFindings reports the findings of layer j of image i (j < 0: of
// the merge, whose findings name their layer) as findings of the
// archive, each about "image[i] layer[j] PATH".
func (a *analysis) contentFindings(i, j int, fs []tree.Finding, omitted int) {
	for _, f := range fs {
		at := j
		if at < 0 {
			at = f.Layer
		}
		subject := fmt.Sprintf("image[%d] layer[%d]", i, at)
		if f.Path != "" {
			subject += " " + f.Path
		}
		a.add(contentKind(f.Kind), subject, i, "%s", f.Message)
	}
	if omitted > 0 {
		subject := fmt.Sprintf("image[%d]", i)
		if j >= 0 {
			subject = fmt.Sprintf("image[%d] layer[%d]", i, j)
		}
		a.add(kindContentOmitted, subject, i, "%d more findings of the kinds above are not listed", omitted)
	}
}

// contentKinds gives each kind of package tree its Kind here: the same
// name and severity, and the class of an error.
var contentKinds = map[tree.Kind]Kind{}

func init() {
	for _, k := range []Kind{
		kindInvalidTar, kindContentLimit, kindNameEscapesRoot, kindBadName, kindUnsupportedType, kindWhiteoutInvalid,
		kindHardlinkMissing, kindHardlinkDir, kindLayerParentNotDir,
		kindAbsoluteName, kindDuplicateName, kindWhiteoutOdd, kindWhiteoutSameLayer, kindLayerSparse,
		kindUncleanName, kindSymlinkEscapesRoot, kindThroughSymlink, kindWhiteoutNoTarget, kindLayerNoEndMarker, kindTrailingData,
	} {
		contentKinds[tree.Kind(k.Name)] = k
	}
}

// contentKind returns the Kind of a tree finding. A kind of package tree
// that kinds.go lacks (a test keeps them in step) is reported as an
// invalid tar rather than lost.
func contentKind(k tree.Kind) Kind {
	if kk, ok := contentKinds[k]; ok {
		return kk
	}
	return kindInvalidTar
}

// Filesystem returns the merged filesystem of image i, for listing and
// reading its files. It is an ErrMissing error when the image's layers
// were not all read in full (absent, corrupt, not tars, over a limit),
// or contents were not read (ContentOptions.Skip).
func (r *Result) Filesystem(i int) (*tree.Image, error) {
	if i < 0 || i >= len(r.Images) {
		return nil, fmt.Errorf("%w: image %d", ErrNoImage, i)
	}
	if i >= len(r.trees) || r.trees[i].merged == nil {
		return nil, fmt.Errorf("%w: the files of %s are not known: %s", ErrMissing, imageName(r.Images[i]), r.whyNoFilesystem(i))
	}
	return r.trees[i].merged, nil
}

// LayerFiles returns what layer j of image i holds, its own entries only.
func (r *Result) LayerFiles(i, j int) (*tree.Layer, error) {
	if i < 0 || i >= len(r.Images) {
		return nil, fmt.Errorf("%w: image %d", ErrNoImage, i)
	}
	if j < 0 || j >= len(r.Images[i].Layers) {
		return nil, fmt.Errorf("%w: %s has %d layers, there is no layer %d", ErrNoImage, imageName(r.Images[i]), len(r.Images[i].Layers), j)
	}
	if i >= len(r.trees) || j >= len(r.trees[i].layers) || r.trees[i].layers[j] == nil {
		return nil, fmt.Errorf("%w: the files of layer %d of %s are not known: %s", ErrMissing, j, imageName(r.Images[i]), r.whyNoLayer(i, j))
	}
	return r.trees[i].layers[j], nil
}

// whyNoFilesystem says why image i has no merged filesystem.
func (r *Result) whyNoFilesystem(i int) string {
	img := r.Images[i]
	switch {
	case r.trees == nil:
		return "layer contents were not read"
	case img.Artifact:
		return "it is an artifact, not an image"
	}
	for j := range img.Layers {
		if j >= len(r.trees[i].layers) || r.trees[i].layers[j] == nil {
			return fmt.Sprintf("layer %d: %s", j, r.whyNoLayer(i, j))
		}
		if r.trees[i].layers[j].Facts.Truncated {
			return fmt.Sprintf("layer %d was not read in full (see its findings)", j)
		}
	}
	return "a limit stopped the merge (see the findings)"
}

// whyNoLayer says why layer j of image i was not read.
func (r *Result) whyNoLayer(i, j int) string {
	l := r.Images[i].Layers[j]
	switch {
	case r.trees == nil:
		return "layer contents were not read"
	case r.Images[i].Artifact:
		return "the image is an artifact"
	case !l.Present:
		return "it is not in the archive"
	case l.DiffID == "":
		return "it does not decompress"
	}
	return fmt.Sprintf("its media type %q is not a layer's", l.MediaType)
}
