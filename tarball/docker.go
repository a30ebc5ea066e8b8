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
	layers := make([]dockerRef, len(m.Layers))
	for j, p := range m.Layers {
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
	for j, l := range layers {
		img.Layers = append(img.Layers, a.dockerLayer(i, fmt.Sprintf("%s layer[%d]", src, j), m.Layers[j], l))
	}
}

// sameOCIImage returns the image, read from an OCI manifest and not yet
// merged, whose config and layers are the entries a manifest.json entry
// names, or nil.
func (a *analysis) sameOCIImage(cfg dockerRef, layers []dockerRef) *Image {
	if cfg.entry == nil {
		return nil
	}
	for _, cand := range a.res.Images {
		w := a.work[cand]
		if w.config == nil || w.config.blob.Digest != cfg.entry.blob.Digest || len(cand.Layers) != len(layers) || w.merged {
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
		img.RepoTags = appendUnique(img.RepoTags, t)
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

// crossCheckNames checks that manifest.json and index.json, where both
// name the same tag, describe the same image.
func (a *analysis) crossCheckNames() {
	if len(a.indexTags) == 0 {
		for i, img := range a.res.Images {
			if strings.HasPrefix(img.Sources[0], "manifest.json") && !a.work[img].merged && a.res.Archive.Format == FormatDockerOCI && len(a.res.Index) > 0 {
				a.add(kindNotInIndex, img.Sources[0], i, "image is in manifest.json but not in index.json (moby #51389)")
			}
		}
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
		same := false
		for _, j := range idx {
			if j == i {
				same = true
			}
		}
		if !same {
			a.add(kindIndexManifestDisagree, "manifest.json", i,
				"manifest.json and index.json both name %s but describe different images", t)
		}
	}
}
