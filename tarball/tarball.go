package tarball

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/internal/count"
	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/layer/tree"
	"github.com/tardigest/tardigest/signature"
)

// Defaults for Limits.
const (
	// DefaultMaxJSONBytes caps one JSON document (manifest.json,
	// index.json, a manifest, an index or a config). Real configs are
	// under 1 MiB.
	DefaultMaxJSONBytes int64 = 4 << 20
	// DefaultMaxMetadataBytes caps all JSON documents kept in memory.
	DefaultMaxMetadataBytes int64 = 64 << 20
	// DefaultMaxEntries caps the number of names in an archive.
	DefaultMaxEntries = 100_000
	// DefaultMaxIndexDepth caps how deep indexes may nest.
	DefaultMaxIndexDepth = 8
	// DefaultMaxFiles caps the entries of all layers' tars together (the
	// files, directories, links and whiteouts recorded), and the paths of
	// one merged filesystem. An entry costs about 150 bytes of peak memory
	// while an archive is verified, 230 with dive's numbers (bench/
	// content.sh: a million one-byte files in four layers, 161 and 240 MiB
	// peak RSS): the largest images seen, about 500,000 files, fit four
	// times over, and the limit bounds a hostile archive to about 450 MiB.
	DefaultMaxFiles = 2_000_000
	// MaxContentNameBytes caps the bytes of names (path components and
	// link targets, each stored once per directory level) recorded for
	// all layers' tars together.
	MaxContentNameBytes = 128 << 20
)

// Limits bounds what reading an archive may cost. Zero fields take the
// defaults.
type Limits struct {
	// MaxJSONBytes caps one JSON document.
	MaxJSONBytes int64
	// MaxMetadataBytes caps the JSON documents kept in memory in all.
	MaxMetadataBytes int64
	// MaxEntries caps the number of entries (tar) or files (directory).
	MaxEntries int
	// MaxIndexDepth caps the nesting of image indexes.
	MaxIndexDepth int
	// MaxFiles caps the entries recorded from all layers' tars together,
	// and the paths of one merged filesystem.
	MaxFiles int
	// Layer bounds the decompression of each blob.
	Layer layer.Limits
}

// Options tune Open and Read. The zero value is ready to use.
type Options struct {
	// Limits bounds memory and work; zero fields take the defaults.
	Limits Limits
	// Workers is the number of blobs hashed at once from a seekable
	// file or a directory; GOMAXPROCS when zero.
	Workers int
	// Progress, when set, is updated as the archive is read, so another
	// goroutine can show progress. The package itself never prints.
	Progress *Progress
	// Content says how the files inside layers are read.
	Content ContentOptions
	// Key, when set, verifies every cosign signature and attestation of
	// the archive; every image that is not itself an attachment must then
	// be covered by a signature by it (Image.SignedBy), or it fails with a
	// finding of kind "unsigned".
	Key *signature.PublicKey

	// budget holds the expansion ratio for the archive as a whole: the
	// archive's stream and every blob's decompression charge it.
	budget *layer.Budget
	// files bounds what the walkers of one read record (MaxFiles).
	files *tree.Budget
}

// ContentOptions say how the files inside layers are read: their tar
// headers are parsed in the pass that hashes them (package layer/tree),
// for the facts of each layer and of each image's merged filesystem.
type ContentOptions struct {
	// Skip leaves what layers hold unread: no content facts, no content
	// findings. Verifying then costs what it did before layer contents
	// were read.
	Skip bool
	// HashFiles computes the sha256 of every regular file in every layer,
	// for comparing two images file by file. It costs about one more
	// hash of every layer.
	HashFiles bool
	// Dive also computes dive's numbers for every image
	// (ImageContent.Dive), which costs about as much as merging it.
	Dive bool
}

// Progress counts the work of one Open or Read while it runs. Every field
// may be read from another goroutine at any time.
type Progress struct {
	// Bytes is the number of archive bytes read so far (as stored:
	// compressed bytes for an archive compressed as a whole).
	Bytes atomic.Int64
	// Total is the archive's size in bytes, or 0 when unknown (a stream).
	Total atomic.Int64
	// Blobs is the number of entries hashed so far.
	Blobs atomic.Int64
	// Active is the number of entries being hashed now.
	Active atomic.Int64
}

// input counts the archive bytes read through r into opts.Progress, if
// any.
func (o *Options) input(r io.Reader) *count.Reader {
	return &count.Reader{R: r, Total: o.bytesRead()}
}

// bytesRead is the progress counter of archive bytes, or nil.
func (o *Options) bytesRead() *atomic.Int64 {
	if o.Progress == nil {
		return nil
	}
	return &o.Progress.Bytes
}

func (o *Options) normalize() {
	l := &o.Limits
	if l.MaxJSONBytes <= 0 {
		l.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if l.MaxMetadataBytes <= 0 {
		l.MaxMetadataBytes = DefaultMaxMetadataBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxIndexDepth <= 0 {
		l.MaxIndexDepth = DefaultMaxIndexDepth
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	o.files = tree.NewBudget(int64(l.MaxFiles), MaxContentNameBytes)
	// Zero layer limits take layer's defaults there.
	o.budget = layer.NewBudget(l.Layer)
}

func (o *Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Open reads the archive at name: an image layout directory (OCI layout,
// skopeo dir:, extracted docker save), or a file holding a tar, possibly
// compressed as a whole with gzip, zstd, bzip2 or xz (detected from its
// first bytes, never from its name). A plain tar file
// is read twice: once for its headers, seeking past the bodies, then once
// per blob, concurrently. A compressed file is read once, as a stream (a
// gzip one from a read-only mapping, where the platform maps files).
//
// The error is non-nil only when the archive cannot be read at all; every
// problem found in a readable archive is a Finding of the Result.
func Open(ctx context.Context, name string, opts Options) (*Result, error) {
	opts.normalize()
	info, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		cat, err := readDir(ctx, name, &opts)
		if err != nil {
			return nil, err
		}
		return analyze(cat, ContainerDirectory, &opts), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if opts.Progress != nil {
		opts.Progress.Total.Store(info.Size())
	}
	r, closer, err := mappedOuterReader(f, &opts)
	if err != nil {
		return nil, err
	}
	if r != nil {
		defer closer()
		return readStream(ctx, r, ContainerTarGzip, &opts)
	}
	r, container, closer, err := outerReader(opts.input(f), &opts)
	if err != nil {
		return nil, err
	}
	defer closer()
	if container != ContainerTar {
		return readStream(ctx, r, container, &opts)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return readStream(ctx, r, container, &opts)
	}
	if opts.Progress != nil {
		opts.Progress.Bytes.Store(0) // the peek above is read again
	}
	cat, err := readSeekable(ctx, f, &opts)
	if err != nil {
		return nil, err
	}
	return analyze(cat, container, &opts), nil
}

// Read reads an archive from a stream (such as stdin) in one pass,
// without temporary files: every entry is hashed as it goes by and roles
// are resolved at the end. The stream may be compressed as a whole
// (gzip, zstd, bzip2, xz).
func Read(ctx context.Context, r io.Reader, opts Options) (*Result, error) {
	opts.normalize()
	r, container, closer, err := outerReader(opts.input(r), &opts)
	if err != nil {
		return nil, err
	}
	defer closer()
	return readStream(ctx, r, container, &opts)
}

func readStream(ctx context.Context, r io.Reader, container Container, opts *Options) (*Result, error) {
	if container != ContainerTar {
		// Decompress the archive on its own goroutine, so it overlaps
		// with hashing the entries.
		ra := layer.ReadAhead(r)
		defer ra.Close()
		r = ra
	}
	cat, err := readTar(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	if container != ContainerTar {
		// Read the compressed stream to its end, so its checksum and
		// any data after the tar are checked too.
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, err // classed by the outer stream
		}
	}
	return analyze(cat, container, opts), nil
}

// Result is everything tardigest learned about an archive.
type Result struct {
	Archive Archive `json:"archive"`
	// Images are every image found, in the order of manifest.json, then
	// index.json.
	Images []*Image `json:"images"`
	// Index is the tree of descriptors reachable from index.json.
	Index []*IndexNode `json:"index"`
	// Unreferenced lists blobs that nothing references.
	Unreferenced []Blob `json:"unreferenced_blobs"`
	// Attachments are the signatures, attestations, SBOMs and referrers
	// of the archive, each linked to its subject.
	Attachments []*Attachment `json:"attachments"`
	// Key names the key signatures were verified with (Options.Key), ""
	// when none was given.
	Key string `json:"key,omitempty"`
	// Findings lists every problem and observation.
	Findings []Finding `json:"findings"`

	// content holds the configs and manifests of the images by digest:
	// what ConfigBytes, ManifestBytes and Prove read. A Result decoded
	// from JSON has none, and they say so.
	content map[digest.Digest]storedDoc
	// trees are the images' merged filesystems and layer walks, by
	// position in Images: what Filesystem and LayerFiles return.
	trees []imageTrees
}

// Archive describes the archive as a whole.
type Archive struct {
	// Container is how the archive is held: a tar, compressed or not, or
	// a directory.
	Container Container `json:"container"`
	// Format is the layout of the archive.
	Format Format `json:"format"`
	// Producer is the tool that most likely wrote the archive, as far as
	// its layout tells; "" when it does not.
	Producer string `json:"producer"`
	// Entries is the number of names in the archive.
	Entries int `json:"entries"`
	// IndexJSONDigest is the digest of index.json's bytes, if present.
	// Nothing claims it; it is shown for reference.
	IndexJSONDigest digest.Digest `json:"index_json_digest,omitempty"`
}

// Container is how an archive is held.
type Container string

// Containers.
const (
	ContainerTar       Container = "tar"       // a plain tar
	ContainerTarGzip   Container = "tar+gzip"  // a tar compressed as a whole with gzip
	ContainerTarZstd   Container = "tar+zstd"  // a tar compressed as a whole with zstd
	ContainerTarBzip2  Container = "tar+bzip2" // a tar compressed as a whole with bzip2
	ContainerTarXz     Container = "tar+xz"    // a tar compressed as a whole with xz
	ContainerDirectory Container = "directory" // a layout directory: OCI, skopeo dir:, extracted docker save
)

// Format is the layout of an archive, from the files at its root.
type Format string

// Formats.
const (
	// FormatDockerArchive is docker save's manifest.json layout, without
	// index.json.
	FormatDockerArchive Format = "docker-archive"
	// FormatDockerOCI is manifest.json beside index.json or oci-layout:
	// Docker 25+ and the containerd store.
	FormatDockerOCI Format = "docker-archive+oci-layout"
	// FormatDockerV1 is docker save before Docker 1.10: repositories and
	// <v1id>/ directories only.
	FormatDockerV1 Format = "docker-archive-v1"
	// FormatOCILayout is an OCI image layout directory.
	FormatOCILayout Format = "oci-layout"
	// FormatOCIArchive is an OCI image layout in a tar.
	FormatOCIArchive Format = "oci-archive"
	// FormatSkopeoDir is the directory skopeo copy ... dir:PATH writes:
	// manifest.json as the source served it, blobs named by hex digest.
	FormatSkopeoDir Format = "skopeo-dir"
	// FormatUnknown is none of these.
	FormatUnknown Format = "unknown"
)

// Blob is a file under blobs/ that nothing references.
type Blob struct {
	Path        string            `json:"path"`
	Digest      digest.Digest     `json:"digest"`
	Size        int64             `json:"size"`
	Compression layer.Compression `json:"compression"`
	// Kind is what the bytes look like: manifest, index, config, json,
	// layer, or unknown.
	Kind string `json:"kind"`
}

// Unverifiable reports whether nothing in the archive claims a digest
// that could be checked: it holds images, and none of them (or not image,
// when image >= 0) has a config, as in a docker save before Docker 1.10.
func (r *Result) Unverifiable(image int) bool {
	if len(r.Images) == 0 {
		return false
	}
	for i, img := range r.Images {
		if (image < 0 || i == image) && img.ImageID != "" {
			return false
		}
	}
	return true
}

// Err returns the errors of every error finding joined, or nil when the
// archive verified: its bytes and claims. With image >= 0 only findings
// about that image and about the archive as a whole count. An image that
// no signature by the key covers is not an error here: ErrWithAttachments,
// what verify fails on, adds that and the errors of its attachments.
func (r *Result) Err(image int) error {
	return r.errIn(image, map[int]bool{image: true}, false)
}

// errIn is Err for the images of scope; with signatures, an image no
// signature by the key covers (kind unsigned) counts too.
func (r *Result) errIn(image int, scope map[int]bool, signatures bool) error {
	var errs []error
	for _, f := range r.Findings {
		if f.Severity != SeverityError || (!signatures && f.Kind == kindUnsigned.Name) {
			continue
		}
		if image >= 0 && f.Image != nil && !scope[*f.Image] {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %w", f.Subject, f.Err))
	}
	return errors.Join(errs...)
}
