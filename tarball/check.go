package tarball

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// checkImage reads an image's config and checks the layers against it:
// image ID, diffIDs (count and order), media types against detected
// compression, ChainIDs and history.
func (a *analysis) checkImage(i int, img *Image) {
	prefix := fmt.Sprintf("image[%d]", i)
	e := a.work[img].config
	img.Artifact = a.isArtifact(img, e)
	synthesised := a.skopeoSynthesised(img)
	for j := range img.Layers {
		a.checkLayerCompression(i, j, &img.Layers[j], img.Artifact, synthesised)
	}
	if e == nil {
		return
	}
	img.ImageID = e.blob.Digest
	img.ConfigSize = e.blob.Size
	if img.Artifact {
		return // an artifact's config need not be JSON, nor its layers tars
	}
	cfg, err := a.config(e)
	if err != nil {
		a.add(kindInvalidJSON.causedBy(err), prefix+" config", i, "%v", err)
		return
	}
	img.Created = cfg.Created
	if img.Platform == "" {
		img.Platform = (&Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}).String()
	}
	if cfg.RootFS == nil || cfg.RootFS.DiffIDs == nil {
		if len(img.Layers) > 0 || cfg.RootFS == nil {
			a.add(kindNoRootFS, prefix+" config", i, "config has no rootfs.diff_ids")
		}
		return
	}
	ids := cfg.RootFS.DiffIDs
	if len(ids) != len(img.Layers) {
		a.mismatch(kindLayerCountMismatch, prefix, i, "layer count", fmt.Sprintf("%d diff_ids in config", len(ids)), fmt.Sprintf("%d layers", len(img.Layers)))
	}
	for j, s := range ids {
		d, err := ParseDigest(s)
		if err != nil {
			a.add(kindBadDigest.causedBy(err), fmt.Sprintf("%s config rootfs.diff_ids[%d]", prefix, j), i, "%v", err)
			continue
		}
		if j >= len(img.Layers) {
			continue
		}
		l := &img.Layers[j]
		l.ConfigDiffID = d
		if l.Present && l.DiffID != "" && l.DiffID != d {
			a.mismatch(kindDiffIDMismatch, fmt.Sprintf("%s layer[%d]", prefix, j), i, "diff_id of "+l.Path, d.String(), l.DiffID.String())
		}
	}
	a.chainIDs(img)
	a.history(i, img, e, cfg, len(ids))
	a.layerSources(i, img, ids)
}

// layerSources reports what manifest.json's LayerSources claims beyond
// noise. Docker 25-28 lists every layer there with an uncompressed media
// type; an entry of a foreign media type, or with urls, says the layer
// comes from elsewhere: docker load records that source and docker push
// would point at it instead of pushing the layer. It is shown with its
// layer, URL and digest, and trusted for nothing.
func (a *analysis) layerSources(i int, img *Image, ids []string) {
	at := make(map[string]int, len(ids))
	for j, s := range ids {
		if _, dup := at[s]; !dup {
			at[s] = j
		}
	}
	prefix := fmt.Sprintf("image[%d]", i)
	sources := a.work[img].layerSources
	// Sorted: map order would make the findings' order change run to run.
	for _, k := range slices.Sorted(maps.Keys(sources)) {
		j, ok := at[k]
		if !ok {
			a.add(kindLayerSourcesUnknown, prefix+" LayerSources", i, "LayerSources names %s, which is not among the config's diff_ids", k)
			continue
		}
		if d := sources[k]; isForeign(d.MediaType) || len(d.URLs) > 0 {
			a.add(kindForeignSource, fmt.Sprintf("%s layer[%d] LayerSources", prefix, j), i,
				"LayerSources says layer %d (diffID %s) comes from %s as %q with digest %q: never trusted nor fetched; the layer was checked from the archive's bytes",
				j, k, urlList(d.URLs), d.MediaType, d.Digest)
		}
	}
}

// isArtifact decides whether the manifest of img is an artifact rather
// than an image, given its config entry (nil when absent). An image
// manifest.json names is an image: docker loads it. So is a config that
// holds rootfs, read as loaders read it (without the strict checks, which
// the image's own check then applies), and one too large to read. Else
// an image config media type makes an image unless the manifest says
// otherwise (an artifactType, a descriptor that is no layer): regclient
// and older OCI 1.1 tools write artifacts so, with "{}" as config, and no
// loader could run one.
func (a *analysis) isArtifact(img *Image, e *entry) bool {
	w := a.work[img]
	if w.merged || w.manifest == nil {
		return false
	}
	if e != nil {
		var v struct {
			RootFS json.RawMessage `json:"rootfs"`
		}
		if e.data == nil && e.blob.Size > a.opts.Limits.MaxJSONBytes || json.Unmarshal(e.data, &v) == nil && v.RootFS != nil {
			return false
		}
	}
	return !isConfigType(img.ConfigMediaType) || w.artifactHint
}

// checkLayerCompression compares a layer's media type with the
// compression its bytes show, and reports a stream that does not decode:
// any layer of an image, whatever its media type says, and a layer media
// type's blob in an artifact.
//
// A manifest skopeo made over a docker-archive's uncompressed layers
// (synthesised) types them gzip: that is a warning, the manifest being
// the copier's own.
func (a *analysis) checkLayerCompression(i, j int, l *Layer, artifact, synthesised bool) {
	if !l.Present {
		return
	}
	subject := fmt.Sprintf("image[%d] layer[%d]", i, j)
	want, isLayer := layerCompression(l.MediaType)
	switch {
	case l.MediaType == "" || !isLayer || want == l.Compression:
	case synthesised:
		a.add(kindMediaTypeDiffers, subject, i, "compression (%s): the manifest says %s, the bytes are %s, as skopeo writes the layers of a docker-archive it copies",
			l.MediaType, want, l.Compression)
	default:
		a.mismatch(kindMediaTypeMismatch, subject, i, "compression ("+l.MediaType+")", string(want), string(l.Compression))
	}
	e, _, _ := a.cat.lookup(l.Path)
	if e != nil && e.blob.DiffIDErr != nil && (isLayer || !artifact) {
		// A stream that does not decode is damaged content, a false
		// claim like a wrong digest, not an unreadable archive.
		k := kindCorruptCompression
		switch {
		case errors.Is(e.blob.DiffIDErr, ErrLimit):
			k = kindLimitExceeded
		case errors.Is(e.blob.DiffIDErr, ErrUnsupported):
			k = kindUnsupportedCompression
		}
		a.add(k, subject, i, "%s: %v", l.Path, e.blob.DiffIDErr)
	}
}

// chainIDs computes each layer's ChainID: ChainID(L0) = DiffID(L0),
// ChainID(Ln) = sha256("ChainID(Ln-1) DiffID(Ln)"). It uses the computed
// diffID, or the config's where the layer could not be read.
func (a *analysis) chainIDs(img *Image) {
	var prev digest.Digest
	for j := range img.Layers {
		l := &img.Layers[j]
		d := l.DiffID
		if d == "" {
			d = l.ConfigDiffID
		}
		if d == "" {
			return
		}
		if prev == "" {
			prev = d
		} else {
			sum := sha256.Sum256([]byte(prev.String() + " " + d.String()))
			prev = digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(sum[:]))
		}
		l.ChainID = prev
	}
}

// checkBlobs checks every blob against the digest its path names, and
// lists the blobs nothing references.
func (a *analysis) checkBlobs() {
	for _, name := range a.cat.order {
		e := a.cat.entries[name]
		if !strings.HasPrefix(name, "blobs/") || e.kind == kindDir {
			continue
		}
		parts := strings.Split(name, "/")
		if len(parts) != 3 {
			continue // extra files are allowed in a layout
		}
		d, err := ParseDigest(parts[1] + ":" + parts[2])
		if err != nil {
			a.add(kindUnexpectedBlobName, name, -1, "not a blob name: %v", err)
			continue
		}
		if e.kind != kindFile {
			if !a.referenced[name] {
				a.add(kindUnexpectedBlobType, name, -1, "blob is not a regular file")
			}
			continue
		}
		if !a.referenced[name] && e.blob.Digest != d {
			a.mismatch(kindDigestMismatch, name, -1, "digest in file name", d.String(), e.blob.Digest.String())
		}
		if a.referenced[name] {
			continue
		}
		a.res.Unreferenced = append(a.res.Unreferenced, Blob{
			Path: name, Digest: e.blob.Digest, Size: e.blob.Size,
			Compression: e.blob.Compression, Kind: blobKind(e),
		})
	}
	subject := "blobs/"
	if a.res.Archive.Format == FormatSkopeoDir {
		a.skopeoUnreferenced()
		subject = "archive"
	}
	if len(a.res.Unreferenced) > 0 {
		a.add(kindUnreferencedBlobs, subject, -1, "%d blobs are referenced by nothing", len(a.res.Unreferenced))
	}
}

// blobKind guesses what an unreferenced blob is from its bytes.
func blobKind(e *entry) string {
	if e.blob.Compression != layer.None {
		return "layer"
	}
	if e.data == nil {
		return "unknown"
	}
	var doc struct {
		manifestOrIndex
		RootFS any    `json:"rootfs"`
		ID     string `json:"id"`
	}
	if decodeStrict(e.data, &doc) != nil {
		return "unknown"
	}
	// A config and a legacy v1 JSON have a "config" key (the run
	// settings), which classify would take for a manifest's: they are
	// told first, and a manifest or index must say schemaVersion 2.
	switch {
	case doc.RootFS != nil:
		return "config"
	case doc.ID != "":
		return "v1-json"
	}
	if k, err := classify(&doc.manifestOrIndex); err == nil && doc.SchemaVersion == 2 {
		return string(k)
	}
	return "json"
}
