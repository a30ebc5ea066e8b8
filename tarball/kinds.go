package tarball

import "errors"

// A Kind is one kind of Finding: its stable name (Finding.Kind, the JSON
// "kind"), its severity, the class of its error and what it means. Every
// finding tardigest makes is of a kind declared below; docs/findings.md
// and the "kind" enum of docs/schema/report.schema.json are generated
// from this table.
type Kind struct {
	// Name is the stable identifier, such as "diff_id_mismatch". Two
	// kinds share a name only where one condition is an error in one
	// place and a warning in another; their severities then differ.
	Name string
	// Severity is the severity of every finding of the kind.
	Severity Severity
	// Class is the class of an error finding's Err (ErrMismatch,
	// ErrMissing, ...), nil for warnings and info. When FromCause is set,
	// the class of the error that caused the finding wins (a document over
	// its size cap is ErrLimit), and Class is that of a cause with none.
	Class     error
	FromCause bool
	// Meaning says in one line when a finding of the kind is made.
	Meaning string
}

// The kinds of finding, grouped by what they are about.
var (
	// Entries of the archive.
	kindDuplicateEntry  = Kind{"duplicate_entry", SeverityError, ErrMalformed, false, "an entry name appears more than once; tools disagree on which copy wins"}
	kindBadEntryName    = Kind{"bad_entry_name", SeverityError, ErrMalformed, true, "an entry name is absolute, leaves the archive, holds an invalid character or is not clean"}
	kindBadLink         = Kind{"bad_link", SeverityError, ErrMalformed, true, "a link's target is empty, absolute or leaves the archive"}
	kindSymlinkInLayout = Kind{"symlink_in_layout", SeverityError, ErrMalformed, false, "a layout directory holds a symlink, which is never followed"}
	kindBadEntry        = Kind{"bad_entry", SeverityError, ErrMalformed, true, "a blob a descriptor names is a directory, not a regular file, or a link loop"}
	kindBlobIsLink      = Kind{"blob_is_link", SeverityError, ErrMalformed, false, "a layout blob is a link; layout blobs must be files"}
	kindParentNotDir    = Kind{"parent_not_directory", SeverityError, ErrMalformed, false, "an entry is under a name that is, at that point of the tar, a symlink, a file or another non-directory: extraction would write through it or fail"}
	kindReplacesDir     = Kind{"replaces_directory", SeverityError, ErrMalformed, false, "an entry replaces a directory holding members: docker load removes them, containerd keeps their names"}
	kindBadHardlink     = Kind{"bad_hardlink", SeverityError, ErrMalformed, false, "a hard link names no member that came before it (a forward or self link), or a directory or a symlink"}
	kindAmbiguousLink   = Kind{"ambiguous_link", SeverityError, ErrMalformed, false, "a symlink's target is one file through the file system (docker load) and another joined as a string (containerd, skopeo)"}
	kindSparseEntry     = Kind{"sparse_entry", SeverityError, ErrUnsupported, false, "a sparse tar entry, refused before any byte of it is read"}
	kindNoEndMarker     = Kind{"no_end_marker", SeverityWarning, nil, false, "the tar ends at an entry boundary without its end-of-archive marker: it may have been cut short"}

	// The documents of the layouts.
	kindInvalidJSON       = Kind{"invalid_json", SeverityError, ErrMalformed, true, "a JSON document (oci-layout, index.json, manifest.json, repositories, a config, manifest or v1 json) does not parse, or is over its size cap"}
	kindMissingOCILayout  = Kind{"missing_oci_layout", SeverityWarning, nil, false, "index.json without an oci-layout file"}
	kindUnsupportedLayout = Kind{"unsupported_layout", SeverityError, ErrUnsupported, false, "oci-layout names an imageLayoutVersion other than 1.0.0"}
	kindSkopeoVersion     = Kind{"skopeo_dir_version", SeverityWarning, nil, false, "a skopeo dir: layout has no version file, or one skopeo does not write"}
	kindNullIndex         = Kind{"null_index", SeverityInfo, nil, false, "index.json lists no manifests (Docker 25.0.0 writes null) and manifest.json describes the images"}
	kindInvalidIndex      = Kind{"invalid_index", SeverityError, ErrMalformed, false, "index.json has no manifests array, and there is no manifest.json"}
	kindAmbiguousDocument = Kind{"ambiguous_document", SeverityError, ErrMalformed, false, "index.json has both manifests and config or layers"}
	kindInvalidManifest   = Kind{"invalid_manifest", SeverityError, ErrMalformed, true, "manifest.json is JSON but not an array of image entries"}
	kindLowercaseKeys     = Kind{"lowercase_keys", SeverityInfo, nil, false, "manifest.json uses lower-case keys, as Jib writes them"}
	kindNoImages          = Kind{"no_images", SeverityError, ErrMalformed, true, "the archive holds no image: its metadata lists none, or every manifest it names is missing"}

	// Descriptors and the blobs they name.
	kindBadDigest         = Kind{"bad_digest", SeverityError, ErrMalformed, true, "a digest is not a valid sha256 or sha512 digest (an unknown algorithm is unsupported)"}
	kindBadSize           = Kind{"bad_size", SeverityError, ErrMalformed, false, "a descriptor's size is negative"}
	kindMissingBlob       = Kind{"missing_blob", SeverityError, ErrMissing, true, "a config, layer or blob the metadata references is not in the archive"}
	kindDigestMismatch    = Kind{"digest_mismatch", SeverityError, ErrMismatch, false, "a blob's digest differs from its descriptor's or from the digest in its file name"}
	kindSizeMismatch      = Kind{"size_mismatch", SeverityError, ErrMismatch, false, "a blob's size differs from its descriptor's"}
	kindMediaTypeMismatch = Kind{"media_type_mismatch", SeverityError, ErrMismatch, false, "a descriptor calls an index a manifest (or the reverse), or a layer's media type announces a compression its bytes do not have"}
	kindMediaTypeDiffers  = Kind{"media_type_mismatch", SeverityWarning, nil, false, "a descriptor's media type differs from the document's own, or does not name a manifest or index"}
	kindForeignLayer      = Kind{"foreign_layer", SeverityWarning, nil, false, "a layer of a non-distributable media type is not in the archive and cannot be checked offline; its urls are named, never fetched"}
	kindForeignSource     = Kind{"foreign_layer_source", SeverityWarning, nil, false, "manifest.json's LayerSources says a layer comes from a URL (docker load records it, docker push would point there): shown, never trusted nor fetched"}

	// The walk of index.json.
	kindAbsentPlatform     = Kind{"absent_platform", SeverityInfo, nil, false, "a manifest a nested index lists is not in the archive: left out when it was written"}
	kindRepeatedDescriptor = Kind{"repeated_descriptor", SeverityWarning, nil, false, "an index lists a digest it listed before, under no new name; the repeat is not walked again"}
	kindSeveralNames       = Kind{"several_names", SeverityInfo, nil, false, "index.json lists one image under several names (tags), as docker save of two tags of one image does"}
	kindUnknownBlob        = Kind{"unknown_blob", SeverityError, ErrMalformed, true, "an index entry's blob is neither an image index nor an image manifest (schema 1 is unsupported)"}
	kindIndexCycle         = Kind{"index_cycle", SeverityError, ErrMalformed, false, "an index contains itself"}
	kindIndexTooDeep       = Kind{"index_too_deep", SeverityError, ErrLimit, false, "indexes nest deeper than the max-index-depth limit"}
	kindIndexTooLarge      = Kind{"index_too_large", SeverityError, ErrLimit, false, "walking the indexes takes more steps (descriptors, and names given to images under repeated ones) than the max-entries limit"}

	// manifest.json and its agreement with index.json.
	kindDuplicateTag          = Kind{"duplicate_tag", SeverityError, ErrMalformed, false, "two images of manifest.json claim the same tag"}
	kindInvalidTag            = Kind{"invalid_tag", SeverityWarning, nil, false, "a RepoTags entry of manifest.json is not a docker reference with a tag: docker load loads the image, then fails on it"}
	kindNotInIndex            = Kind{"not_in_index", SeverityWarning, nil, false, "an image of manifest.json is not in index.json (moby #51389)"}
	kindIndexManifestDisagree = Kind{"index_manifest_disagree", SeverityError, ErrMismatch, false, "manifest.json and index.json name the same tag for different images"}
	kindIndexManifestDiffer   = Kind{"index_manifest_differ", SeverityError, ErrMismatch, false, "manifest.json and index.json each describe an image the other lacks: docker on the classic store loads one, containerd the other"}

	// Archives written before Docker 1.10.
	kindUnverifiable = Kind{"unverifiable", SeverityWarning, nil, false, "the archive predates Docker 1.10: no config and no manifest claim any digest"}
	kindBadV1ID      = Kind{"bad_v1_id", SeverityError, ErrMalformed, false, "a legacy layer ID is not 64 hex characters"}
	kindV1ChainLoop  = Kind{"v1_chain_loop", SeverityError, ErrMalformed, false, "a legacy parent chain loops"}

	// Configs and layers.
	kindNoRootFS               = Kind{"no_rootfs", SeverityError, ErrMalformed, false, "an image config has no rootfs.diff_ids"}
	kindLayerCountMismatch     = Kind{"layer_count_mismatch", SeverityError, ErrMismatch, false, "the config lists another number of diffIDs than the image has layers"}
	kindDiffIDMismatch         = Kind{"diff_id_mismatch", SeverityError, ErrMismatch, false, "a layer's uncompressed bytes do not hash to the config's diffID"}
	kindLayerSourcesUnknown    = Kind{"layer_sources_unknown_diff_id", SeverityWarning, nil, false, "manifest.json's LayerSources names a diffID the config lacks"}
	kindCorruptCompression     = Kind{"corrupt_compression", SeverityError, ErrMismatch, false, "a layer's gzip, zstd, bzip2 or xz stream does not decode"}
	kindUnsupportedCompression = Kind{"unsupported_compression", SeverityError, ErrUnsupported, false, "a layer's stream uses what tardigest cannot decode (an xz filter other than LZMA2): no diffID is made up from its compressed bytes"}
	kindLimitExceeded          = Kind{"limit_exceeded", SeverityError, ErrLimit, false, "decompressing a layer exceeds a limit (size, work per stored byte, window), for the layer or the archive as a whole; or a sparse file of a layout directory expands past the ratio"}
	kindHistoryMismatch        = Kind{"history_mismatch", SeverityWarning, nil, false, "the config's history makes another number of layers than the image has"}
	kindTooManyRows            = Kind{"too_many_layers", SeverityError, ErrLimit, false, "an image lists more layers than MaxLayersPerImage (1024), or the images more layers and history entries in all than twice the max-entries limit"}
	kindHistoryTooLong         = Kind{"history_too_long", SeverityError, ErrMismatch, false, "the config's history makes more layers than rootfs.diff_ids lists: docker load refuses the image"}

	// What layers hold: their tar streams (package layer/tree), then the
	// image's layers merged. Errors are what docker or containerd refuse
	// to extract, and layers that could not be read in full.
	kindInvalidTar         = Kind{"invalid_tar", SeverityError, ErrMalformed, false, "a layer's uncompressed bytes are not a valid tar archive (from the offset named on)"}
	kindContentLimit       = Kind{"content_limit_exceeded", SeverityError, ErrLimit, false, "a layer holds more entries or longer names than the max-files limit and the fixed name limits allow: the rest is not read"}
	kindNameEscapesRoot    = Kind{"name_escapes_root", SeverityError, ErrMalformed, false, "a layer entry's name climbs out of the root with \"..\": docker refuses the layer"}
	kindBadName            = Kind{"bad_name", SeverityError, ErrMalformed, false, "a layer entry's name or link target is longer than Linux's PATH_MAX, or a file is named as the root"}
	kindUnsupportedType    = Kind{"unsupported_type", SeverityError, ErrMalformed, false, "a layer entry has a tar type docker and containerd refuse to extract"}
	kindWhiteoutInvalid    = Kind{"whiteout_invalid", SeverityError, ErrMalformed, false, "a whiteout names \"\", \".\" or \"..\": containerd refuses the layer, docker deletes the wrong path"}
	kindHardlinkMissing    = Kind{"hardlink_target_missing", SeverityError, ErrMalformed, false, "a hard link names a file that exists neither earlier in its layer nor in a lower layer"}
	kindHardlinkDir        = Kind{"hardlink_to_directory", SeverityError, ErrMalformed, false, "a hard link names a directory"}
	kindLayerParentNotDir  = Kind{"layer_parent_not_directory", SeverityError, ErrMalformed, false, "a layer entry's parent is not a directory in the layers below: extraction fails"}
	kindAbsoluteName       = Kind{"absolute_name", SeverityWarning, nil, false, "a layer entry's name is absolute; docker and containerd read it relative to the root"}
	kindDuplicateName      = Kind{"duplicate_name", SeverityWarning, nil, false, "a layer writes the same name twice; the last entry wins on extraction"}
	kindWhiteoutOdd        = Kind{"whiteout_odd", SeverityWarning, nil, false, "a whiteout or opaque marker is not an empty regular file, or is an AUFS metadata name"}
	kindWhiteoutSameLayer  = Kind{"whiteout_same_layer", SeverityWarning, nil, false, "a layer whites out a name it also writes: extractors disagree on the result"}
	kindLayerSparse        = Kind{"layer_sparse_entry", SeverityWarning, nil, false, "a layer holds a sparse file, which is not expanded here (its size is the expanded size)"}
	kindUncleanName        = Kind{"unclean_name", SeverityInfo, nil, false, "a layer entry's name has empty, \".\" or \"..\" components inside the root"}
	kindSymlinkEscapesRoot = Kind{"symlink_escapes_root", SeverityInfo, nil, false, "a symlink's target leaves the image root (legal; resolved inside the root by tardigest, on the host by other tools)"}
	kindThroughSymlink     = Kind{"written_through_symlink", SeverityInfo, nil, false, "a layer writes under a directory that is a symlink in the layers below"}
	kindWhiteoutNoTarget   = Kind{"whiteout_no_target", SeverityInfo, nil, false, "a whiteout names a path no lower layer has"}
	kindLayerNoEndMarker   = Kind{"layer_no_end_marker", SeverityInfo, nil, false, "a layer's tar ends without the two zero blocks of the end-of-archive marker (docker and containerd read it)"}
	kindTrailingData       = Kind{"trailing_data", SeverityInfo, nil, false, "non-zero bytes follow a layer's end-of-archive marker"}
	kindContentOmitted     = Kind{"content_findings_omitted", SeverityInfo, nil, false, "more findings of the same kinds were left out: at most 100 of each kind are listed per layer and per image"}

	// Attachments: signatures, attestations, SBOMs and referrers.
	kindAttachmentLinks      = Kind{"attachment_links_disagree", SeverityError, ErrMismatch, false, "an attachment's subject field, cosign tag, referrers tag or cosign save annotation name different subjects"}
	kindDangling             = Kind{"dangling_attachment", SeverityWarning, nil, false, "a signature, attestation, SBOM or referrer is about a manifest or index the archive does not hold"}
	kindAttachmentCycle      = Kind{"attachment_cycle", SeverityError, ErrMalformed, false, "attachments are about each other (by tags or subject fields) and never reach an image"}
	kindInvalidPayload       = Kind{"invalid_payload", SeverityError, ErrMalformed, true, "a cosign simple-signing payload, DSSE envelope or in-toto statement does not parse, or is over its size cap"}
	kindPayloadMismatch      = Kind{"payload_mismatch", SeverityError, ErrMismatch, false, "a signature payload's docker-manifest-digest, or no subject of an in-toto statement, names the manifest it is attached to"}
	kindMalformedSignature   = Kind{"malformed_signature", SeverityWarning, nil, false, "a signature is empty or not base64: it verifies with no key"}
	kindUnsupportedPayload   = Kind{"unsupported_payload", SeverityWarning, nil, false, "a DSSE envelope holds no in-toto statement; what it names is not checked"}
	kindPredicateTypeDiffers = Kind{"predicate_type_mismatch", SeverityWarning, nil, false, "an attestation layer's predicateType annotation differs from its statement's"}
	kindUnsigned             = Kind{"unsigned", SeverityError, ErrMissing, false, "given a key, no signature by it covers an image: none verified whose payload names its manifest or an index above it"}
	kindProbablyLacks        = Kind{"probably_lacks", SeverityInfo, nil, false, "the layout's producer or shape shows that attachments were probably dropped when it was written (cosign save, oras cp -r)"}

	// Files under blobs/.
	kindUnexpectedBlobName = Kind{"unexpected_blob_name", SeverityWarning, nil, false, "a file under blobs/<alg>/ is not named by a valid digest"}
	kindUnexpectedBlobType = Kind{"unexpected_blob_type", SeverityWarning, nil, false, "an unreferenced file under blobs/ is not a regular file"}
	kindUnreferencedBlobs  = Kind{"unreferenced_blobs", SeverityInfo, nil, false, "blobs are referenced by nothing"}
)

// kinds is the table of every Kind, in the order of the block above.
var kinds = []Kind{
	kindDuplicateEntry, kindBadEntryName, kindBadLink, kindSymlinkInLayout, kindBadEntry, kindBlobIsLink, kindNoEndMarker,
	kindParentNotDir, kindReplacesDir, kindBadHardlink, kindAmbiguousLink, kindSparseEntry,
	kindInvalidJSON, kindMissingOCILayout, kindUnsupportedLayout, kindSkopeoVersion, kindNullIndex, kindInvalidIndex, kindAmbiguousDocument,
	kindInvalidManifest, kindLowercaseKeys, kindNoImages,
	kindBadDigest, kindBadSize, kindMissingBlob, kindDigestMismatch, kindSizeMismatch,
	kindMediaTypeMismatch, kindMediaTypeDiffers, kindForeignLayer, kindForeignSource,
	kindAbsentPlatform, kindRepeatedDescriptor, kindSeveralNames, kindUnknownBlob, kindIndexCycle, kindIndexTooDeep, kindIndexTooLarge,
	kindDuplicateTag, kindInvalidTag, kindNotInIndex, kindIndexManifestDisagree, kindIndexManifestDiffer,
	kindUnverifiable, kindBadV1ID, kindV1ChainLoop,
	kindNoRootFS, kindLayerCountMismatch, kindDiffIDMismatch, kindLayerSourcesUnknown, kindCorruptCompression, kindUnsupportedCompression,
	kindLimitExceeded, kindHistoryMismatch, kindHistoryTooLong, kindTooManyRows,
	kindInvalidTar, kindContentLimit, kindNameEscapesRoot, kindBadName, kindUnsupportedType, kindWhiteoutInvalid,
	kindHardlinkMissing, kindHardlinkDir, kindLayerParentNotDir,
	kindAbsoluteName, kindDuplicateName, kindWhiteoutOdd, kindWhiteoutSameLayer, kindLayerSparse,
	kindUncleanName, kindSymlinkEscapesRoot, kindThroughSymlink, kindWhiteoutNoTarget, kindLayerNoEndMarker, kindTrailingData,
	kindContentOmitted,
	kindAttachmentLinks, kindDangling, kindAttachmentCycle, kindInvalidPayload, kindPayloadMismatch,
	kindMalformedSignature, kindUnsupportedPayload, kindPredicateTypeDiffers, kindUnsigned, kindProbablyLacks,
	kindUnexpectedBlobName, kindUnexpectedBlobType, kindUnreferencedBlobs,
}

// Kinds returns every kind of finding tardigest makes, in the order of
// its documentation.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// ClassName is the name of the class of the kind's findings: mismatch,
// missing, malformed, limit or unsupported, "info" for warnings and info.
func (k Kind) ClassName() string { return className(k.Class) }

// causedBy is k for a finding caused by err: the kind err carries, if
// any (a link read two ways is that, wherever it is met); else, when k
// takes its class from the cause, err's class, if it has one, replaces
// k's.
func (k Kind) causedBy(err error) Kind {
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.kind
	}
	if _, c := ClassOf(err); k.FromCause && c != nil {
		k.Class = c
	}
	return k
}
