// Package tree tells what is inside container image layers, from the
// tar headers alone, in the single pass that hashes them: per-layer facts
// and findings, the merged filesystem of an image, exactly what squashing
// would save, and dive's efficiency numbers.
//
// # What it does
//
//	uncompressed layer bytes → Walker.Write (any chunks) → Walker.Finish → *Layer
//	[]*Layer (base first)    → Merge → *Image (facts, changes, waste, Lookup, List)
//	[]*Layer                 → Dive  → DiveReport
//
// A Walker is an io.Writer: the caller tees the decompressed stream into
// it beside the diffID hash. It parses 512-byte header blocks (V7, USTAR
// with prefix, GNU, star; base-256 numbers; signed and unsigned
// checksums; GNU long names; PAX extended and global headers) and skips
// bodies by counting, never buffering them. Its verdicts follow Go's
// archive/tar, which docker and containerd extract with, decision for
// decision; differential tests and a fuzz target hold them together.
// Write never fails: a broken tar becomes an invalid_tar finding and the
// rest of the stream is only counted, so the caller's digests are not
// disturbed. Options add a sha256 per regular file (for comparing images)
// and capture chosen small files (the os-release files always).
//
// Layers are walked concurrently and independently; a Layer is immutable
// once finished and may be merged into several images at once.
//
// # Names
//
// Names are cleaned as docker and containerd resolve them: a leading "/"
// is dropped (absolute_name), "./" prefixes and trailing "/" are normal,
// "." and empty components vanish (unclean_name), ".." removes a
// component and stops at the root (containerd clamps, docker refuses the
// layer: name_escapes_root).
//
// # Merging
//
// Merge applies entries in tar order the way docker's and containerd's
// appliers do: parents are resolved through symbolic links inside the
// root (written_through_symlink) and created when missing; ".wh.NAME"
// removes NAME and everything under it as it stands at that moment; an
// opaque marker ".wh..wh..opq" hides everything lower layers put in its
// directory, keeping what its own layer wrote there in any order (the
// overlayfs semantics); a non-directory replacing a directory removes the
// directory's contents; a hard link is resolved against the filesystem as
// it stands (hardlink_target_missing, hardlink_to_directory). A whiteout
// naming an entry of its own layer: when the whiteout comes first the
// entry stays (all appliers agree); when it comes after, the naive
// appliers delete the entry and the overlayfs ones fail, so the entry is
// deleted and whiteout_same_layer is reported either way.
//
// Waste is exact: the bytes of regular files stored in a layer that are
// not visible at the end, because a later entry overwrote them or a
// whiteout, an opaque directory or a replaced directory deleted them; a
// file still reachable through a hard link is visible. Squashing the
// image saves exactly Waste.Reclaimable. Dive's numbers are documented
// on DiveReport, quirks included.
//
// # Findings
//
// Each finding has a stable kind and one severity; tardigest's verify
// fails on the errors, which are a layer docker or containerd refuse or
// one that could not be read in full:
//
//   - Errors: invalid_tar and content_limit_exceeded (the layer
//     was not fully read); name_escapes_root, bad_name, unsupported_type,
//     whiteout_invalid, hardlink_target_missing, hardlink_to_directory and
//     layer_parent_not_directory (docker or containerd refuse the layer, or a
//     naive extractor writes or deletes outside what the layer names).
//   - Warnings (shown, verify passes): absolute_name, duplicate_name (the
//     last entry wins), whiteout_odd, whiteout_same_layer (extractors
//     disagree), layer_sparse_entry (not expanded here).
//   - Info: unclean_name, symlink_escapes_root (legal, often on purpose),
//     written_through_symlink, whiteout_no_target, layer_no_end_marker,
//     trailing_data.
//
// # Limits
//
// Every cost is bounded by Limits, and by a Budget shared by the layers
// of one archive when the caller gives one: entries per layer
// (MaxEntries), the length of one name (MaxPathBytes, Linux's PATH_MAX), the bytes of
// distinct names per layer (MaxNameBytes), captured bodies
// (MaxCaptureBytes), listed findings and files (MaxListed) and paths of
// a merged filesystem (MaxFiles). A PAX header, GNU long name or sparse
// map over 1 MiB is invalid, as for archive/tar. Symbolic links are
// followed at most MaxSymlinkHops times per path. Memory is about 60
// bytes per entry for a walked layer and 40 per path for a merged
// filesystem (names are stored once per directory level, in arenas,
// nodes are fixed records in slices).
//
// # What it leaves to others
//
// It knows nothing of archives, manifests, compression, files on disk or
// output: package tarball feeds it streams and places layers in images,
// package report prints what it found (escaping names, which may hold
// any byte).
package tree
