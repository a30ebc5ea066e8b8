package compare

import (
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/tarball"
)

// Blob kinds.
const (
	BlobLayer    = "layer"
	BlobConfig   = "config"
	BlobManifest = "manifest"
	BlobIndex    = "index"
)

// Blob is one blob an archive's images are made of, by its computed
// stored digest.
type Blob struct {
	Digest digest.Digest `json:"digest"`
	Size   int64         `json:"size"`
	Kind   string        `json:"kind"`
	// DiffID is a layer's content digest.
	DiffID digest.Digest `json:"diff_id,omitempty"`
	// Path is the blob's name in the archive.
	Path string `json:"path"`
}

// Shipment is what must be carried for the far side, holding the HAVE
// archives, to have every blob of NEW.
type Shipment struct {
	// Blobs are NEW's distinct blobs; Bytes their sizes summed.
	Blobs []Blob `json:"blobs"`
	Bytes int64  `json:"bytes"`
	// Missing are NEW's blobs no HAVE holds by stored digest: what a
	// loader needing NEW's exact blobs (an OCI layout, skopeo copy, a
	// registry) must be given. MissingBytes their sizes summed.
	Missing      []Blob `json:"missing"`
	MissingBytes int64  `json:"missing_bytes"`
	// ByContent are the Missing layers some HAVE holds with the same
	// diffID in another compression: a loader that keeps only contents
	// (docker load, containerd's snapshots) has them already.
	ByContent      []Blob `json:"by_content"`
	ByContentBytes int64  `json:"by_content_bytes"`
	// Rebuildable are the ByContent layers NEW stores uncompressed (their
	// stored digest is their diffID): decompressing a HAVE's copy gives
	// NEW's exact blob, so even a loader needing exact blobs can do
	// without them once the far side rebuilds them.
	Rebuildable      []Blob `json:"rebuildable"`
	RebuildableBytes int64  `json:"rebuildable_bytes"`
	// ContentMissingBytes is MissingBytes less ByContentBytes: what must
	// cross when contents are enough.
	ContentMissingBytes int64 `json:"content_missing_bytes"`
	// Absent are blobs NEW's images refer to that NEW itself lacks: they
	// cannot be shipped from NEW.
	Absent []Blob `json:"absent"`
}

// Ship computes the blobs of all of newArchive's images that the have
// archives lack. Only blobs whose bytes were read count, by the digest
// computed from them (never a claim); a blob that is not in NEW is
// listed as Absent.
func Ship(newArchive *tarball.Result, have []*tarball.Result) Shipment {
	stored := map[digest.Digest]bool{}
	contents := map[digest.Digest]bool{}
	for _, h := range have {
		blobs, _ := Blobs(h)
		for _, b := range blobs {
			stored[b.Digest] = true
			if b.DiffID != "" {
				contents[b.DiffID] = true
			}
		}
		for _, u := range h.Unreferenced {
			stored[u.Digest] = true
		}
	}
	s := Shipment{Missing: []Blob{}, ByContent: []Blob{}, Rebuildable: []Blob{}}
	s.Blobs, s.Absent = Blobs(newArchive)
	for _, b := range s.Blobs {
		s.Bytes += b.Size
		if stored[b.Digest] {
			continue
		}
		s.Missing = append(s.Missing, b)
		s.MissingBytes += b.Size
		if b.DiffID != "" && contents[b.DiffID] {
			s.ByContent = append(s.ByContent, b)
			s.ByContentBytes += b.Size
			if b.Digest == b.DiffID {
				s.Rebuildable = append(s.Rebuildable, b)
				s.RebuildableBytes += b.Size
			}
		}
	}
	s.ContentMissingBytes = s.MissingBytes - s.ByContentBytes
	return s
}

// Blobs lists the distinct blobs of r's images (artifacts included) and
// of its index, by computed digest, sorted by digest; absent are the
// blobs they refer to that r lacks, by the digest claimed.
func Blobs(r *tarball.Result) (present, absent []Blob) {
	present, absent = []Blob{}, []Blob{}
	seen := map[digest.Digest]bool{}
	add := func(b Blob, ok bool) {
		if b.Digest == "" || seen[b.Digest] {
			return
		}
		seen[b.Digest] = true
		if ok {
			present = append(present, b)
		} else {
			absent = append(absent, b)
		}
	}
	walkIndex(r.Index, add)
	for _, img := range r.Images {
		if img.ManifestDigest != "" {
			add(Blob{Digest: img.ManifestDigest, Size: img.ManifestSize, Kind: BlobManifest}, true)
		}
		if img.ImageID != "" {
			add(Blob{Digest: img.ImageID, Size: img.ConfigSize, Kind: BlobConfig, Path: img.ConfigPath}, true)
		}
		for _, l := range img.Layers {
			if l.Present {
				add(Blob{Digest: l.Digest, Size: l.Size, Kind: BlobLayer, DiffID: l.DiffID, Path: l.Path}, true)
			} else {
				add(Blob{Digest: l.ClaimedDigest, Size: claimed(l.ClaimedSize), Kind: BlobLayer, Path: l.Path}, false)
			}
		}
	}
	byDigest := func(x, y Blob) int { return strings.Compare(string(x.Digest), string(y.Digest)) }
	slices.SortFunc(present, byDigest)
	slices.SortFunc(absent, byDigest)
	return present, absent
}

// walkIndex adds the indexes and manifests reachable from index.json;
// the images add their manifests themselves.
func walkIndex(nodes []*tarball.IndexNode, add func(Blob, bool)) {
	for _, n := range nodes {
		if n.RepeatOf != "" || n.Kind == tarball.NodeAbsent {
			continue
		}
		kind := BlobIndex
		if n.Kind == tarball.NodeManifest {
			kind = BlobManifest
		}
		add(Blob{Digest: n.Digest, Size: n.Size, Kind: kind}, n.Present)
		walkIndex(n.Children, add)
	}
}

func claimed(size *int64) int64 {
	if size == nil || *size < 0 {
		return 0
	}
	return *size
}
