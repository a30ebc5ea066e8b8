package tarball

import (
	"strings"

	"github.com/tardigest/tardigest/layer"
)

// producer names the tool that most likely wrote the archive, from
// layout details only.
func (a *analysis) producer() string {
	switch a.res.Archive.Format {
	case FormatDockerV1:
		return "docker save (before Docker 1.10)"
	case FormatDockerOCI:
		if a.uncompressed() {
			return "docker save (Docker 25-28, classic image store)"
		}
		return "containerd image store (docker save on Engine 29+, ctr export, nerdctl save)"
	case FormatDockerArchive:
		return a.dockerArchiveProducer()
	case FormatSkopeoDir:
		for _, img := range a.res.Images {
			if a.skopeoSynthesised(img) {
				return "skopeo copy from a docker-archive to dir: (containers/image)"
			}
		}
		return "skopeo copy to dir: (containers/image)"
	case FormatOCILayout, FormatOCIArchive:
		if a.cosignSave {
			return "cosign save"
		}
	}
	return ""
}

// uncompressed reports whether no layer of any image is stored
// compressed.
func (a *analysis) uncompressed() bool {
	for _, img := range a.res.Images {
		for _, l := range img.Layers {
			if l.Compression != "" && l.Compression != layer.None {
				return false
			}
		}
	}
	return true
}

// setManifestOrigins says, for every image with a stored manifest, who
// wrote it: Docker 25-28 writes a manifest of its own over uncompressed
// layers (a ProducerManifest), and so does skopeo copying a
// docker-archive to dir:; any other stored manifest can be the
// registry's (an OriginalManifest).
func (a *analysis) setManifestOrigins() {
	own := a.res.Archive.Format == FormatDockerOCI && a.uncompressed()
	for _, img := range a.res.Images {
		switch {
		case img.ManifestDigest == "":
		case own, a.skopeoSynthesised(img):
			img.ManifestOrigin = ProducerManifest
		default:
			img.ManifestOrigin = OriginalManifest
		}
	}
}

func (a *analysis) dockerArchiveProducer() string {
	for _, img := range a.res.Images {
		cfg := img.ConfigPath
		switch {
		case cfg == "config.json":
			return "Jib"
		case strings.HasPrefix(cfg, "sha256:"):
			return "go-containerregistry tarball (crane, kaniko, ko)"
		}
		for _, l := range img.Layers {
			switch {
			case strings.HasSuffix(l.Path, "/layer.tar"):
				return "docker save (Docker 24 or older)"
			case reV1Layer.MatchString(l.Path):
				// containers/image stores layers at the root as
				// <diffID>.tar, with <v1id>/layer.tar links to them.
				return "containers/image (skopeo, podman, buildah)"
			}
		}
	}
	return ""
}
