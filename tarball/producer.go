package tarball

import "strings"

// producer names the tool that most likely wrote the archive, from
// layout details only, and sets each image's ManifestOrigin.
func (a *analysis) producer() string {
	ar := a.res.Archive
	uncompressed := true
	for _, img := range a.res.Images {
		for _, l := range img.Layers {
			if l.Compression != "" && l.Compression != "none" {
				uncompressed = false
			}
		}
	}
	p := ""
	switch ar.Format {
	case "docker-archive-v1":
		p = "docker save (before Docker 1.10)"
	case "docker-archive+oci-layout":
		if uncompressed {
			p = "docker save (Docker 25-28, classic image store)"
		} else {
			p = "containerd image store (docker save on Engine 29+, ctr export, nerdctl save)"
		}
	case "docker-archive":
		p = a.dockerArchiveProducer()
	}
	for _, img := range a.res.Images {
		if img.ManifestDigest == "" {
			continue
		}
		img.ManifestOrigin = "original"
		if ar.Format == "docker-archive+oci-layout" && uncompressed {
			img.ManifestOrigin = "producer"
		}
	}
	return p
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
