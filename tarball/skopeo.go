package tarball

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// skopeo's dir: transport (skopeo copy SRC dir:PATH, containers/image's
// "dir" transport) writes a directory holding:
//
//	manifest.json          the manifest or index exactly as the source served it
//	<hex>                  each blob (config, layers), named by its sha256 hex
//	<hex>.manifest.json    with --all, each instance an index lists
//	version                "Directory Transport Version: 1.1\n"
//
// Its manifest.json is stored as pushed, so it proves the registry
// digest on its own, unlike docker save's manifest.json, which is a JSON
// array of docker's own.

// skopeoVersions are the contents of the version files containers/image
// has written, by digest.
var skopeoVersions = map[digest.Digest]string{
	digest.FromString("Directory Transport Version: 1.0\n"): "1.0",
	digest.FromString("Directory Transport Version: 1.1\n"): "1.1",
}

var (
	reSkopeoBlob     = regexp.MustCompile(`^[a-f0-9]{64}$`)
	reSkopeoInstance = regexp.MustCompile(`^[a-f0-9]{64}\.manifest\.json$`)
)

// isSkopeoDir reports whether the archive is a skopeo dir: layout: a
// directory whose manifest.json is one JSON object (docker save's is an
// array), without index.json.
func (a *analysis) isSkopeoDir() bool {
	if a.res.Archive.Container != ContainerDirectory || a.has("index.json") {
		return false
	}
	e, ok := a.cat.entries["manifest.json"]
	return ok && e.kind == kindFile && bytes.HasPrefix(bytes.TrimLeft(e.data, " \t\r\n"), []byte("{"))
}

// skopeoBlobName is the name of the file that holds the blob with digest
// d in a skopeo dir: layout: the instance manifest <hex>.manifest.json
// where there is one, else the blob <hex>.
func (a *analysis) skopeoBlobName(d digest.Digest) string {
	if name := d.Encoded() + ".manifest.json"; a.has(name) {
		return name
	}
	return d.Encoded()
}

// readSkopeoDir reads manifest.json, as stored, as the top of the
// layout: an image manifest, or an index whose instances are the
// <hex>.manifest.json files; an instance left out of the copy is an
// absent platform.
func (a *analysis) readSkopeoDir() {
	a.checkSkopeoVersion()
	e, _, err := a.document("manifest.json")
	if err != nil {
		a.add(kindInvalidJSON.causedBy(err), "manifest.json", -1, "%v", err)
		return
	}
	var doc manifestOrIndex
	if err := decodeStrict(e.data, &doc); err != nil {
		a.add(kindInvalidJSON.causedBy(err), "manifest.json", -1, "%v", err)
		return
	}
	d := &descriptor{MediaType: doc.MediaType, Digest: e.blob.Digest.String(), Size: e.blob.Size}
	node := &IndexNode{Where: "manifest.json", MediaType: d.MediaType, Digest: e.blob.Digest, Size: d.Size, Present: true}
	// No name: a dir: copy keeps none, and no containerd store names it.
	a.followBlob(checked{digest: e.blob.Digest, entry: e}, d, node, walk{where: "manifest.json", top: &topRef{}})
	a.res.Index = []*IndexNode{node}
}

// checkSkopeoVersion warns about a version file skopeo did not write.
func (a *analysis) checkSkopeoVersion() {
	e, ok := a.cat.entries["version"]
	switch {
	case !ok:
		a.add(kindSkopeoVersion, "version", -1, "no version file: skopeo writes \"Directory Transport Version: 1.1\"")
	case e.kind != kindFile || skopeoVersions[e.blob.Digest] == "":
		a.add(kindSkopeoVersion, "version", -1, "the version file is not one skopeo writes (\"Directory Transport Version: 1.1\")")
	default:
		a.referenced["version"] = true
	}
}

// skopeoSynthesised reports whether img's manifest is one skopeo made
// itself: copying from a docker-archive, containers/image writes a Docker
// manifest over the archive's uncompressed layers and types them
// diff.tar.gzip. No registry knows such a manifest.
func (a *analysis) skopeoSynthesised(img *Image) bool {
	if a.res.Archive.Format != FormatSkopeoDir || img.ManifestMediaType != mtDockerManifest || len(img.Layers) == 0 {
		return false
	}
	for _, l := range img.Layers {
		if want, _ := layerCompression(l.MediaType); !l.Present || l.Compression != layer.None || want != layer.Gzip {
			return false
		}
	}
	return true
}

// skopeoUnreferenced lists the files of a skopeo dir: layout named like
// a blob or an instance manifest that nothing references, and checks each
// against the digest its name claims.
func (a *analysis) skopeoUnreferenced() {
	for _, name := range a.cat.order {
		e := a.cat.entries[name]
		if e.kind != kindFile || a.referenced[name] || !(reSkopeoBlob.MatchString(name) || reSkopeoInstance.MatchString(name)) {
			continue
		}
		claimed := digest.NewDigestFromEncoded(digest.SHA256, strings.TrimSuffix(name, ".manifest.json"))
		if e.blob.Digest != claimed {
			a.mismatch(kindDigestMismatch, name, -1, "digest in file name", claimed.String(), e.blob.Digest.String())
		}
		a.res.Unreferenced = append(a.res.Unreferenced, Blob{
			Path: name, Digest: e.blob.Digest, Size: e.blob.Size,
			Compression: e.blob.Compression, Kind: blobKind(e),
		})
	}
}
