package tarball

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/tardigest/tardigest/layer"
)

// Media types tardigest knows, OCI and Docker spellings.
const (
	mtOCIIndex        = "application/vnd.oci.image.index.v1+json"
	mtOCIManifest     = "application/vnd.oci.image.manifest.v1+json"
	mtOCIConfig       = "application/vnd.oci.image.config.v1+json"
	mtOCIDescriptor   = "application/vnd.oci.descriptor.v1+json"
	mtDockerList      = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerManifest  = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerSchema1   = "application/vnd.docker.distribution.manifest.v1+json"
	mtDockerSchema1S  = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	mtDockerConfig    = "application/vnd.docker.container.image.v1+json"
	annotationRefName = "org.opencontainers.image.ref.name"
	annotationCtrName = "io.containerd.image.name"
)

func isIndexType(mt string) bool    { return mt == mtOCIIndex || mt == mtDockerList }
func isManifestType(mt string) bool { return mt == mtOCIManifest || mt == mtDockerManifest }
func isConfigType(mt string) bool   { return mt == mtOCIConfig || mt == mtDockerConfig }

// layerCompression returns the compression a layer media type announces,
// and false for a media type that is not a filesystem layer.
func layerCompression(mt string) (layer.Compression, bool) {
	switch mt {
	case "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.docker.image.rootfs.diff.tar", "application/vnd.docker.image.rootfs.foreign.diff.tar":
		return layer.None, true
	case "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
		return layer.Gzip, true
	case "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd":
		return layer.Zstd, true
	}
	return "", false
}

// isForeign reports a layer media type that registries may not
// distribute: its bytes are often absent from archives and fetched from
// urls, which tardigest never does. Only these exact types may be
// absent; urls on any other layer excuse nothing.
func isForeign(mt string) bool {
	switch mt {
	case "application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.foreign.diff.tar",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
		return true
	}
	return false
}

// urlList quotes a descriptor's urls for a message.
func urlList(urls []string) string {
	if len(urls) == 0 {
		return "no urls"
	}
	q := make([]string, len(urls))
	for i, u := range urls {
		q[i] = strconv.Quote(u)
	}
	return strings.Join(q, ", ")
}

// Platform is an image's platform, as an index descriptor or a config
// states it.
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
	OSVersion    string `json:"os.version,omitempty"`
}

// String formats p as os/arch[/variant], as docker does.
func (p *Platform) String() string {
	if p == nil || (p.OS == "" && p.Architecture == "") {
		return ""
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// descriptor is an OCI content descriptor as read from an archive; the
// digest is a string until it has been parsed.
type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *Platform         `json:"platform,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

// manifestOrIndex is the union of an image manifest and an image index,
// so a document can be classified before it is trusted.
type manifestOrIndex struct {
	SchemaVersion int              `json:"schemaVersion"`
	MediaType     string           `json:"mediaType"`
	ArtifactType  string           `json:"artifactType"`
	Config        *descriptor      `json:"config"`
	Layers        []descriptor     `json:"layers"`
	Manifests     *[]descriptor    `json:"manifests"`
	Subject       *descriptor      `json:"subject"`
	FSLayers      *json.RawMessage `json:"fsLayers"`
}

// dockerManifestEntry is one element of a docker save manifest.json.
// encoding/json matches keys case-insensitively, which also reads Jib's
// lower-case keys.
type dockerManifestEntry struct {
	Config       string                `json:"Config"`
	RepoTags     []string              `json:"RepoTags"`
	Layers       []string              `json:"Layers"`
	Parent       string                `json:"Parent"`
	LayerSources map[string]descriptor `json:"LayerSources"`
}

// imageConfig is the part of an image config tardigest reads.
type imageConfig struct {
	Created      string `json:"created"`
	Author       string `json:"author"`
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant"`
	RootFS       *struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		Created    string `json:"created"`
		CreatedBy  string `json:"created_by"`
		Comment    string `json:"comment"`
		EmptyLayer bool   `json:"empty_layer"`
	} `json:"history"`
}

// v1JSON is a legacy per-layer <id>/json document.
type v1JSON struct {
	ID      string `json:"id"`
	Parent  string `json:"parent"`
	Created string `json:"created"`
}
