package tarball

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
)

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
		a.add(kindInvalidJSON.causedBy(err), "manifest.json", -1, "%v", err)
		return
	}
	var raw any
	if err := decodeStrict(data, &raw); err != nil {
		a.add(kindInvalidJSON.causedBy(err), "manifest.json", -1, "%v", err)
		return
	}
	if _, isArray := raw.([]any); !isArray {
		a.add(kindInvalidManifest, "manifest.json", -1, "manifest.json is %s, not an array of images", jsonKind(raw))
		return
	}
	var entries *[]dockerManifestEntry
	if err := decodeStrict(data, &entries); err != nil {
		a.add(kindInvalidManifest.causedBy(err), "manifest.json", -1, "%v", err)
		return
	}
	if strings.Contains(string(data), `"config"`) && !strings.Contains(string(data), `"Config"`) {
		a.add(kindLowercaseKeys, "manifest.json", -1, "manifest.json uses lower-case keys (as Jib writes them)")
	}
	for i := range *entries {
		a.dockerImage(i, &(*entries)[i])
	}
}

// dockerRef is a path of a manifest.json entry, resolved in the archive.
type dockerRef struct {
	path  string
	entry *entry
	via   string
	err   error
}

// resolve cleans a path of manifest.json and finds its entry, following
// links inside the archive, and marks it referenced.
func (a *analysis) resolve(p string) dockerRef {
	name, err := refPath(p)
	if err != nil {
		return dockerRef{path: p, err: err}
	}
	e, via, err := a.cat.lookup(name)
	if e != nil {
		a.referenced[e.name] = true
	}
	return dockerRef{path: name, entry: e, via: via, err: err}
}

// dockerImage makes the image of a manifest.json entry, or merges it into
// the image of the OCI manifest that has the same config and layers (the
// Docker 25+ and containerd case).
func (a *analysis) dockerImage(n int, m *dockerManifestEntry) {
	src := fmt.Sprintf("manifest.json[%d]", n)
	cfg := a.resolve(m.Config)
	paths := m.Layers
	if len(paths) > MaxLayersPerImage {
		a.spendRows(len(paths), true, src, -1)
		paths = nil
	}
	layers := make([]dockerRef, len(paths))
	for j, p := range paths {
		layers[j] = a.resolve(p)
	}
	var i int
	img := a.sameOCIImage(cfg, layers)
	if img != nil {
		i = a.imageIndex(img)
		a.work[img].merged = true
		img.Sources = append(img.Sources, src)
	} else {
		i, img = a.newImage(src)
	}
	a.dockerTags(i, img, src, m.RepoTags)
	img.Parent = m.Parent
	a.dockerConfig(i, img, src+" config", m.Config, cfg)
	a.work[img].layerSources = m.LayerSources
	if a.work[img].merged && len(img.Layers) == len(layers) {
		return // the OCI manifest's layers, already checked, are these
	}
	if !a.spendRows(len(layers), true, src, i) {
		return
	}
	for j, l := range layers {
		img.Layers = append(img.Layers, a.dockerLayer(i, fmt.Sprintf("%s layer[%d]", src, j), m.Layers[j], l))
	}
}

// sameOCIImage returns the image, read from an OCI manifest and not yet
// merged, whose config and layers are the entries a manifest.json entry
// names, or nil. The candidates are found by config digest, so that many
// entries cost one lookup each.
func (a *analysis) sameOCIImage(cfg dockerRef, layers []dockerRef) *Image {
	if cfg.entry == nil {
		return nil
	}
	if a.byConfig == nil {
		a.byConfig = map[digest.Digest][]*Image{}
		for _, img := range a.res.Images {
			if w := a.work[img]; w.config != nil {
				a.byConfig[w.config.blob.Digest] = append(a.byConfig[w.config.blob.Digest], img)
			}
		}
	}
	for _, cand := range a.byConfig[cfg.entry.blob.Digest] {
		if a.work[cand].merged || len(cand.Layers) != len(layers) {
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
			return cand
		}
	}
	return nil
}

// dockerTags gives image i the RepoTags of its manifest.json entry, and
// reports a tag two images claim.
func (a *analysis) dockerTags(i int, img *Image, src string, tags []string) {
	for _, t := range tags {
		if !validRepoTag(t) {
			a.add(kindInvalidTag, src, i, "RepoTags entry %q is not a docker reference with a tag: docker load loads the image, then fails on it (invalid tag)", t)
		}
		a.addName(img, repoTags, t)
		k := normalizeName(t)
		if k == "" {
			continue
		}
		if prev, dup := a.dockerTagged[k]; dup && prev != i {
			// docker load leaves the tag on whichever image it loads
			// last: which image the tag names cannot be told.
			a.add(kindDuplicateTag, src, i, "tag %s is also claimed by image[%d]", t, prev)
		}
		a.dockerTagged[k] = i
	}
}

// dockerConfig records the config a manifest.json entry names and checks
// it against the digest its file name claims.
func (a *analysis) dockerConfig(i int, img *Image, subject, declared string, cfg dockerRef) {
	if cfg.err != nil {
		a.add(kindMissingBlob.causedBy(cfg.err), subject, i, "Config %q: %v", declared, cfg.err)
		return
	}
	if w := a.work[img]; w.config == nil {
		w.config = cfg.entry
		img.ConfigPath = cfg.path
	}
	claimed := claimedByName(reConfigName, cfg.path)
	if claimed == "" {
		claimed = claimedByName(reConfigName, path.Base(cfg.path))
	}
	if claimed != "" && claimed != cfg.entry.blob.Digest {
		a.mismatch(kindDigestMismatch, subject, i, "digest in file name "+cfg.path, claimed.String(), cfg.entry.blob.Digest.String())
	}
}

// dockerLayer is the layer a manifest.json path names, checked against
// the digest its file name claims.
func (a *analysis) dockerLayer(i int, subject, declared string, l dockerRef) Layer {
	layer := Layer{Path: l.path, LinkTarget: l.via}
	if l.err != nil {
		a.add(kindMissingBlob.causedBy(l.err), subject, i, "layer %q: %v", declared, l.err)
		return layer
	}
	claimed := claimedByName(reLayerName, l.path)
	if claimed == "" {
		claimed = claimedByName(reLayerName, path.Base(l.path))
	}
	layer.ClaimedDigest = claimed
	a.fillLayer(&layer, l.entry)
	if claimed != "" && claimed != l.entry.blob.Digest {
		a.mismatch(kindDigestMismatch, subject, i, "digest in file name "+l.path, claimed.String(), l.entry.blob.Digest.String())
	}
	return layer
}

// crossCheckImages checks that manifest.json and index.json, in a
// Docker 25+ or containerd-store archive, describe the same images:
// docker on the classic store loads manifest.json's, containerd (and
// Docker 29+) index.json's, so when each describes an image the other
// lacks the image loaded depends on the loader. An image of
// manifest.json alone, beside none of index.json alone, is what Docker
// writes when it saves several images by digest (moby #51389).
func (a *analysis) crossCheckImages() {
	if a.res.Archive.Format != FormatDockerOCI || len(a.res.Index) == 0 {
		return
	}
	var docker, oci []int
	for i, img := range a.res.Images {
		switch {
		case strings.HasPrefix(img.Sources[0], "manifest.json"):
			docker = append(docker, i)
		case !a.work[img].merged:
			oci = append(oci, i)
		}
	}
	if len(docker) > 0 && len(oci) > 0 {
		a.add(kindIndexManifestDiffer, "manifest.json", docker[0],
			"manifest.json describes %s, which index.json does not lead to, and index.json leads to %s, which manifest.json does not describe: docker on the classic store loads manifest.json's images, containerd (and Docker 29+) index.json's",
			a.imageList(docker), a.imageList(oci))
		return
	}
	for _, i := range docker {
		a.add(kindNotInIndex, a.res.Images[i].Sources[0], i, "image is in manifest.json but not in index.json (moby #51389)")
	}
}

// imageList names images by position and image ID, for messages.
func (a *analysis) imageList(images []int) string {
	var parts []string
	for k, i := range images {
		if k == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(images)-k))
			break
		}
		name := fmt.Sprintf("image[%d]", i)
		if id := a.work[a.res.Images[i]].config; id != nil {
			name += " " + id.blob.Digest.String()
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", ")
}

// crossCheckNames checks that manifest.json and index.json, where both
// name the same tag, describe the same image.
func (a *analysis) crossCheckNames() {
	a.crossCheckImages()
	if len(a.indexTags) == 0 {
		return
	}
	tags := make([]string, 0, len(a.dockerTagged))
	for t := range a.dockerTagged {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	for _, t := range tags {
		i := a.dockerTagged[t]
		idx, ok := a.indexTags[t]
		if !ok {
			continue
		}
		if !idx[i] {
			a.add(kindIndexManifestDisagree, "manifest.json", i,
				"manifest.json and index.json both name %s but describe different images", t)
		}
	}
}
