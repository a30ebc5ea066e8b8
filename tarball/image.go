package tarball

import (
	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// Image is one image found in the archive, with every identity tardigest
// could compute for it.
type Image struct {
	// Sources lists every place the image was found, such as
	// "manifest.json[0]" or "index.json/manifests[1] -> manifests[0]".
	Sources []string `json:"sources"`
	// RepoTags are the RepoTags of manifest.json, or repo:tag from a
	// legacy repositories file.
	RepoTags []string `json:"repo_tags"`
	// RefNames are the org.opencontainers.image.ref.name annotations of
	// the index.json entries that lead to the image.
	RefNames []string `json:"ref_names"`
	// ContainerdNames are their io.containerd.image.name annotations.
	ContainerdNames []string `json:"containerd_names"`
	// Platform is os/arch[/variant], from the index descriptor or else
	// from the config.
	Platform string `json:"platform"`
	// ImageID is the digest of the exact config bytes, also known as the
	// classic image ID (what docker images shows on the classic store).
	ImageID digest.Digest `json:"image_id,omitempty"`
	// ContainerdImageID is the image ID the containerd image store (Docker
	// Engine 29+) shows: the digest of the index or manifest the image's
	// name points at in index.json. Empty when index.json does not lead to
	// the image.
	ContainerdImageID digest.Digest `json:"containerd_image_id,omitempty"`
	// ConfigPath is the config's name inside the archive.
	ConfigPath string `json:"config_path,omitempty"`
	// ConfigSize is the number of config bytes.
	ConfigSize int64 `json:"config_size,omitempty"`
	// ConfigMediaType is the media type the manifest gives the config.
	ConfigMediaType string `json:"config_media_type,omitempty"`
	// ManifestDigest is the digest of the stored manifest bytes; empty
	// when the archive holds no manifest blob for the image.
	ManifestDigest digest.Digest `json:"manifest_digest,omitempty"`
	// ManifestMediaType is the stored manifest's media type.
	ManifestMediaType string `json:"manifest_media_type,omitempty"`
	// ManifestSize is the number of manifest bytes.
	ManifestSize int64 `json:"manifest_size,omitempty"`
	// ManifestOrigin says who wrote the stored manifest; "" when no
	// manifest is stored.
	ManifestOrigin ManifestOrigin `json:"manifest_origin,omitempty"`
	// Registry is the verdict on the image's registry digest
	// (Result.Registry).
	Registry Registry `json:"registry"`
	// IndexDigests are the digests of the image indexes (multi-platform
	// lists) above the manifest, outermost first.
	IndexDigests []digest.Digest `json:"index_digests,omitempty"`
	// Created is the config's creation time, as written.
	Created string `json:"created,omitempty"`
	// Artifact is true for a manifest that is not a container image
	// (Helm charts, oras files): its config is no image config, by media
	// type nor by content (rootfs.diff_ids), and manifest.json does not
	// name it. Its blobs' digests and sizes are checked, not what they
	// hold: no diffID, history or config field. A manifest with an image
	// config is an image whatever its artifactType or layer media types
	// say (cosign signatures and attestations are).
	Artifact bool `json:"artifact"`
	// Parent is manifest.json's Parent, if any.
	Parent string `json:"parent,omitempty"`
	// SignedBy lists, when a key was given (Options.Key), the signatures
	// by it that cover the image; empty when none does, or for an image
	// that is itself an attachment.
	SignedBy []SignedBy `json:"signed_by,omitempty"`
	// Layers are the image's layers, base first.
	Layers []Layer `json:"layers"`
	// History is the config's history, each entry tied to its layer.
	History []History `json:"history"`
	// V1Chain lists the legacy layer IDs, base first, for archives
	// written before Docker 1.10 (no config exists).
	V1Chain []string `json:"v1_chain,omitempty"`
	// Content is what the image's merged filesystem holds; absent when
	// its layers could not all be read in full.
	Content *ImageContent `json:"content,omitempty"`
}

// ManifestOrigin says who wrote an image's stored manifest.
type ManifestOrigin string

// Manifest origins.
const (
	// OriginalManifest is a manifest that can be the registry's: its
	// layers are stored as pushed (an OCI layout, the containerd store).
	OriginalManifest ManifestOrigin = "original"
	// ProducerManifest is a manifest the tool that wrote the archive made
	// itself (Docker 25-28, over uncompressed layers): no registry knows
	// its digest.
	ProducerManifest ManifestOrigin = "producer"
)

// RegistryDigest is the stored digest a registry can know the image by:
// its outermost index's, else its manifest's, when the manifest is stored
// as pushed (an OriginalManifest); "" otherwise.
func (img *Image) RegistryDigest() digest.Digest {
	switch {
	case img.ManifestOrigin != OriginalManifest:
		return ""
	case len(img.IndexDigests) > 0:
		return img.IndexDigests[0]
	}
	return img.ManifestDigest
}

// Layer is one layer of an image.
type Layer struct {
	// Path is the layer's name inside the archive.
	Path string `json:"path"`
	// Present is false when the archive lacks the layer's bytes.
	Present bool `json:"present"`
	// LinkTarget is set when Path is a symlink or hard link (legacy
	// docker save stores a repeated layer once and links to it).
	LinkTarget string `json:"link_target,omitempty"`
	// MediaType is the descriptor's media type, if a manifest gives one.
	MediaType string `json:"media_type,omitempty"`
	// ClaimedDigest is the digest the archive claims for the stored bytes:
	// the descriptor's, or the one embedded in the file name.
	ClaimedDigest digest.Digest `json:"claimed_digest,omitempty"`
	// ClaimedSize is the descriptor's size as written (a hostile one may
	// be negative); nil when nothing claims a size.
	ClaimedSize *int64 `json:"claimed_size,omitempty"`
	// Digest is the digest of the stored bytes (compressed blob digest).
	Digest digest.Digest `json:"digest,omitempty"`
	// Size is the number of stored bytes.
	Size int64 `json:"size"`
	// Compression is detected from the bytes: none, gzip, zstd, bzip2 or
	// xz; "" when the layer is absent.
	Compression layer.Compression `json:"compression,omitempty"`
	// DiffID is the sha256 of the uncompressed layer tar.
	DiffID digest.Digest `json:"diff_id,omitempty"`
	// UncompressedSize is the size of the uncompressed layer tar.
	UncompressedSize int64 `json:"uncompressed_size"`
	// ConfigDiffID is what the config's rootfs.diff_ids says at this
	// position.
	ConfigDiffID digest.Digest `json:"config_diff_id,omitempty"`
	// ChainID identifies the layer stack up to this layer.
	ChainID digest.Digest `json:"chain_id,omitempty"`
	// CreatedBy is the command of the history entry that made the layer.
	CreatedBy string `json:"created_by,omitempty"`
	// Foreign marks a non-distributable layer; its urls are never fetched.
	Foreign bool `json:"foreign,omitempty"`
	// Content is what the layer's tar holds; absent when it was not read
	// (absent, does not decompress, not a layer media type).
	Content *LayerContent `json:"content,omitempty"`
}

// History is one entry of a config's history.
type History struct {
	Created    string `json:"created,omitempty"`
	CreatedBy  string `json:"created_by"`
	Comment    string `json:"comment,omitempty"`
	EmptyLayer bool   `json:"empty_layer"`
	// Layer is the position of the layer the entry made; nil when it made
	// none.
	Layer *int `json:"layer,omitempty"`
}

// IndexNode is one descriptor reachable from index.json.
type IndexNode struct {
	Where          string        `json:"where"`
	MediaType      string        `json:"media_type"`
	Digest         digest.Digest `json:"digest,omitempty"`
	Size           int64         `json:"size"`
	Platform       string        `json:"platform,omitempty"`
	RefName        string        `json:"ref_name,omitempty"`
	ContainerdName string        `json:"containerd_name,omitempty"`
	// Present is false when the blob is not in the archive.
	Present bool `json:"present"`
	// Kind is what the blob is, from its content; NodeAbsent for a
	// platform left out under a nested index; "" when a top-level blob is
	// missing.
	Kind NodeKind `json:"kind"`
	// RepeatOf is set when the walk met this digest earlier, in this
	// index or another: the Where of that first node, which carries the
	// children. A repeat is not read nor walked again; its own size and
	// media type are checked.
	RepeatOf string       `json:"repeat_of,omitempty"`
	Children []*IndexNode `json:"children,omitempty"`
}

// NodeKind is what the blob of an index descriptor is.
type NodeKind string

// Node kinds.
const (
	NodeIndex    NodeKind = "index"    // an image index (or Docker manifest list)
	NodeManifest NodeKind = "manifest" // an image manifest
	NodeUnknown  NodeKind = "unknown"  // neither, or unreadable
	NodeAbsent   NodeKind = "absent"   // left out of the archive under a nested index
)

// Name returns the first tag or ref name of the image, or "".
func (img *Image) Name() string {
	switch {
	case len(img.RepoTags) > 0:
		return img.RepoTags[0]
	case len(img.ContainerdNames) > 0:
		return img.ContainerdNames[0]
	case len(img.RefNames) > 0:
		return img.RefNames[0]
	}
	return ""
}
