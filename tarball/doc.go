// Package tarball reads container image archives and checks every claim
// they make: docker save tarballs of every era, OCI image layouts
// (directories and tars), go-containerregistry tarballs, any of them
// compressed as a whole with gzip, zstd, bzip2 or xz, from a file or a
// stream; skopeo dir: directories and extracted docker saves too.
//
// # How it reads
//
// Reading has two steps. First every entry of the archive is hashed as it
// is read, by package layer (stored digest, compression, diffID), and
// recorded under its cleaned name; small JSON documents are kept. No entry
// has a role yet: every producer writes manifest.json and index.json after
// the blobs, so a stream cannot know what a blob is when it goes by. Then
// the metadata is parsed and every reference is resolved against the
// recorded entries, links followed inside the archive only.
//
// The entries are recorded as an extraction would leave them (catalog.go),
// because docker load extracts the archive before it opens a name: in tar
// order, each directory of a name must be a directory at that point, hard
// links name earlier members, and a name is resolved one component at a
// time as a file system resolves it (resolve.go). What an extraction would
// write elsewhere, or what docker and containerd would read differently,
// is refused.
//
// A plain tar file is indexed first (headers only, seeking past bodies)
// and its blobs are hashed concurrently, largest first. A stream (stdin,
// or a file compressed as a whole) is read in one pass. A directory is
// read through an os.Root, so no name can reach outside it.
//
// # Layouts
//
// Legacy docker save (Docker 24 and older):
//
//	<v1id>/layer.tar     uncompressed layer, or a symlink ../<v1id>/layer.tar
//	<v1id>/json          legacy layer JSON
//	<confighex>.json     config; its sha256 is the image ID
//	manifest.json        [{"Config", "RepoTags", "Layers"}]
//	repositories         {"repo": {"tag": "<top v1id>"}}
//
// Docker 25-28 (classic store) and containerd-store docker save:
//
//	blobs/sha256/<hex>   layers, config, manifests (and indexes)
//	index.json           descriptors of the saved images
//	manifest.json        Config and Layers as blobs/sha256/... paths
//	oci-layout           {"imageLayoutVersion": "1.0.0"}
//
// OCI image layout (directory or tar): oci-layout, index.json and
// blobs/<alg>/<hex>, indexes nested to any depth.
//
// skopeo's dir: layout (skopeo copy SRC dir:PATH), a directory:
//
//	manifest.json         the manifest or index exactly as the source served it
//	<hex>                 config and layers, named by their sha256 hex
//	<hex>.manifest.json   with --all, each platform's manifest
//	version               "Directory Transport Version: 1.1"
//
// Its manifest.json proves the registry digest on its own.
//
// A docker save extracted into a directory (tar -xf) is read like the
// tar: its symlinks are recorded, resolved inside the directory and never
// followed on disk; an OCI layout or a skopeo dir: may hold none. Before Docker 1.10,
// docker save wrote only repositories and <v1id>/{json,layer.tar}: there is
// no config, so nothing can be verified and the Result says so.
//
// # Identities
//
// For every image: the image ID (digest of the exact config bytes), the
// manifest digest where a manifest blob is stored, the digests of indexes
// above it, and per layer the stored digest and size, the diffID and
// uncompressed size, and the ChainID.
//
// # What layers hold
//
// Every blob's decompressed bytes also go, in the same pass, through a
// tar walker of package layer/tree (blobwalk.go): no second read, nothing
// extracted. Once roles are known, the walks of the blobs that are
// layers give each Layer its Content (counts, notable files, findings of
// its tar), and the layers of every image whose layers were all read in
// full are merged, whiteouts applied, into its ImageContent: the merged
// filesystem's facts, the OS, exactly what squashing saves, and with
// ContentOptions.Dive dive's numbers (inside.go). A layer shared by
// several images is walked once and merged into each. Filesystem and
// LayerFiles give the merged filesystem and the layer walks for listings
// and comparisons; ReadLayer reads one layer again, for cat. Memory is
// bounded by Limits.MaxFiles over all layers together.
//
// # Attachments
//
// Signatures, attestations, SBOMs and OCI 1.1 referrers are manifests
// about another manifest or index, their subject. Each is linked to it by
// whatever the archive says: the manifest's subject field, a cosign tag
// (sha256-<hex>.sig, .att, .sbom), the referrers tag index sha256-<hex>,
// cosign save's "kind" annotations (which name no subject: the layout's
// one image is meant), or, when nothing else links a cosign manifest,
// what its payload names. An attachment's own manifest stays an Image
// whose blobs are checked like any other; Result.Attachments says what it
// is about (Attachment), and AttachedTo and AttachmentImages group them by
// image. Without a key, each cosign simple-signing payload and in-toto
// statement must name the manifest it is attached to; with Options.Key
// (package signature) every signature is verified, and every image that
// is no attachment must be covered by a verified signature (Image.SignedBy).
//
//	cosign save:      index.json entries with annotation kind=dev.cosignproject.cosign/{image,sigs,atts}
//	cosign tags:      ref name sha256-<hex>.sig → manifest, layers application/vnd.dev.cosign.simplesigning.v1+json
//	OCI 1.1:          manifest {"subject": {...}, "artifactType": ...}
//	referrers tag:    ref name sha256-<hex> → index of referrers
//
// # Findings
//
// Problems are collected, not thrown: every false claim becomes a Finding
// whose Err matches one of ErrMismatch, ErrMissing, ErrMalformed, ErrLimit
// or ErrUnsupported. Every finding is of a Kind declared in kinds.go (see
// Kinds and docs/findings.md). Open and Read return an error only when the
// archive cannot be read at all.
//
// # Where to start
//
// Reading: tarball.go (Open, Read, Options), read_tar.go, read_file.go and
// read_dir.go (the three readers), schedule.go (hashing, workers),
// outer.go (a tar compressed as a whole; outer_mapped.go for a gzip
// file), catalog.go (entries, names, links). The analysis: analysis.go (run, in order), then one file per
// subject: oci.go (index.json, descriptors), docker.go (manifest.json,
// Docker 25+), legacy.go (before 1.10), skopeo.go (skopeo dir:), check.go (configs, diffIDs, chain
// IDs, history, blobs), producer.go, registry.go (the registry verdict).
// Attachments: attach.go (finding and linking them, chains and cycles),
// payload.go (the payload formats and their parsers), cosign.go (payload
// checks, signatures), signed.go (what a key covers, what a layout lacks,
// grouping by image), attachment.go (the types).
// After it: expect.go (Find, Expect), prove.go (Prove, step by step),
// select.go (--image and --platform), reference.go (image references by
// the distribution grammar), content.go (stored bytes), inside.go (what
// layers hold), reread.go (one layer read again).
//
//   - A layout: detect it in analysis.run, read it in a file of its own
//     like legacy.go, name its producer in producer.go.
//   - A check: a method in check.go (or the subject's file) called from
//     run or checkImage, reporting with a.add and a Kind added to kinds.go;
//     then go test ./cmd/tardigest -update regenerates docs/findings.md
//     and the schema's kind enum.
//   - An output field: the type in image.go or tarball.go, its JSON key in
//     docs/schema, and its text in package report.
//   - A command: cmd/tardigest (app.go lists the commands).
//
// # Limits
//
// Every size the archive declares is checked, never trusted for an
// allocation. JSON documents are capped at Limits.MaxJSONBytes each and
// Limits.MaxMetadataBytes in all (entry names and link targets count
// too), must be valid UTF-8 without duplicate keys and nest at most
// MaxJSONDepth deep. Archives hold at most Limits.MaxEntries names (and as
// many directories made for them), links are followed at most MaxLinkHops
// deep, indexes nest at most Limits.MaxIndexDepth deep and their walk
// takes at most Limits.MaxEntries steps, an image has at most
// MaxLayersPerImage layers and all images at most twice Limits.MaxEntries
// layer and history rows. Decompression is bounded by layer.Limits. Sparse
// tar entries are refused unread; so are sparse files of a layout
// directory that expand past the expansion ratio.
package tarball
