package compare

import (
	"context"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/tarball"
)

// Side is one image to compare: the archive it was read from, its
// Result, and its position in the Result's Images.
type Side struct {
	// Name is the archive as it was opened (a file or a directory), which
	// ReadLayer can read again; "-" for a stream, which it cannot.
	Name   string
	Result *tarball.Result
	Image  int
}

// Options tune Images.
type Options struct {
	// Paths, if any, restrict the file diff to these paths: a path
	// selects itself and everything under it; a pattern with *, ? or [
	// is matched against whole paths (path.Match).
	Paths []string
	// MaxListed caps each list of changed paths (added, removed,
	// modified); the counts stay exact. Zero means DefaultMaxListed.
	MaxListed int
	// Read are the options the archives were read with, for reading a
	// layer again to hash its files.
	Read tarball.Options
}

// DefaultMaxListed is the default Options.MaxListed.
const DefaultMaxListed = 1000

// ImageRef names one image of one side.
type ImageRef struct {
	Index    int           `json:"index"`
	Name     string        `json:"name,omitempty"`
	Platform string        `json:"platform,omitempty"`
	ImageID  digest.Digest `json:"image_id,omitempty"`
}

// ImageDiff is everything that differs between two images.
type ImageDiff struct {
	A ImageRef `json:"a"`
	B ImageRef `json:"b"`
	// PairedBy says how the images were paired (Pair.By).
	PairedBy string `json:"paired_by"`
	// Equal is true when the images are the same image: the same config
	// bytes (image ID) and the same computed layer contents (diffIDs) in
	// order, hence the same files, whatever the archives stored them as.
	Equal      bool           `json:"equal"`
	Identities []Identity     `json:"identities"`
	Config     []ConfigChange `json:"config"`
	// ConfigError says why the configs could not be compared, if so.
	ConfigError string `json:"config_error,omitempty"`
	Layers      Layers `json:"layers"`
	// Files is the file diff; nil when a merged filesystem is not known,
	// and FilesError says why.
	Files      *Files `json:"files,omitempty"`
	FilesError string `json:"files_error,omitempty"`
}

// Identity is one identity of both images side by side.
type Identity struct {
	// Name is image_id, manifest_digest, registry_digest or chain_id
	// (the top layer's: the whole root filesystem's content).
	Name string        `json:"name"`
	A    digest.Digest `json:"a,omitempty"`
	B    digest.Digest `json:"b,omitempty"`
	// Equal is true when both are known and equal.
	Equal bool `json:"equal"`
	// Note says why a side is empty, when it is.
	Note string `json:"note,omitempty"`
}

// Images compares image a.Image of a with image b.Image of b.
func Images(ctx context.Context, a, b Side, opts Options) (*ImageDiff, error) {
	ia, ib := a.Result.Images[a.Image], b.Result.Images[b.Image]
	d := &ImageDiff{A: ref(a), B: ref(b), Identities: identities(a, b)}
	d.Config, d.ConfigError = configDiff(a, b)
	d.Layers = matchLayers(ia.Layers, ib.Layers)
	sameLayers := d.Layers.OnlyA == 0 && d.Layers.OnlyB == 0 && d.Layers.Moved == 0
	// The same config bytes name the same layers; the computed diffIDs
	// are checked too, so that an archive whose layer was altered (and
	// fails verify) is not called identical.
	d.Equal = ia.ImageID != "" && ia.ImageID == ib.ImageID && sameLayers
	files, err := diffFiles(ctx, a, b, d.Layers, opts)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		d.FilesError = err.Error()
	default:
		d.Files = files
	}
	if ia.ImageID == "" && ib.ImageID == "" {
		// Pre-1.10 archives hold no config: the same layers and no
		// config change are all that can be said.
		d.Equal = len(d.Config) == 0 && d.ConfigError == "" && sameLayers
	}
	return d, nil
}

func ref(s Side) ImageRef {
	img := s.Result.Images[s.Image]
	return ImageRef{Index: s.Image, Name: img.Name(), Platform: img.Platform, ImageID: img.ImageID}
}

// identities are the images' identities side by side.
func identities(a, b Side) []Identity {
	ia, ib := a.Result.Images[a.Image], b.Result.Images[b.Image]
	ra, rb := a.Result.Registry(a.Image), b.Result.Registry(b.Image)
	out := []Identity{
		identity("image_id", ia.ImageID, ib.ImageID, "no config (written before Docker 1.10)"),
		identity("manifest_digest", ia.ManifestDigest, ib.ManifestDigest, "no manifest stored"),
		identity("registry_digest", provenRegistry(ra), provenRegistry(rb), ""),
		identity("chain_id", topChainID(ia), topChainID(ib), "no layers, or a layer without a diffID"),
	}
	if out[2].A == "" || out[2].B == "" {
		var why []string
		if out[2].A == "" {
			why = append(why, "A: "+ra.Reason)
		}
		if out[2].B == "" {
			why = append(why, "B: "+rb.Reason)
		}
		out[2].Note = joinSemi(why)
	}
	return out
}

func identity(name string, a, b digest.Digest, why string) Identity {
	id := Identity{Name: name, A: a, B: b, Equal: a != "" && a == b}
	switch {
	case why == "":
	case a == "" && b == "":
		id.Note = why
	case a == "":
		id.Note = "A: " + why
	case b == "":
		id.Note = "B: " + why
	}
	return id
}

// provenRegistry is the registry digest when the archive proves it.
func provenRegistry(r tarball.Registry) digest.Digest {
	if r.Status == tarball.RegistryVerified {
		return r.Digest
	}
	return ""
}

func topChainID(img *tarball.Image) digest.Digest {
	if len(img.Layers) == 0 {
		return ""
	}
	return img.Layers[len(img.Layers)-1].ChainID
}

func joinSemi(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += "; "
		}
		out += p
	}
	return out
}
