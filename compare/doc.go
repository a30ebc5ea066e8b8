// Package compare tells what differs between two images read from two
// archives, and which blobs must cross an air gap for the far side,
// holding some archives already, to have another one.
//
// # What it does
//
//	two *tarball.Result → Pair → the images to compare, paired
//	one pair (Side A, Side B) → Images → *ImageDiff: identities, config keys,
//	                                    layers by diffID, files of the merged filesystems
//	NEW and HAVE *tarball.Result → Ship → the blobs NEW needs that no HAVE holds
//
// Layers are matched by diffID (their uncompressed content), never by
// position or stored digest: a layer recompressed (gzip on one side,
// zstd or uncompressed on the other) is shared content with a different
// stored digest, and said so.
//
// # Files
//
// The merged filesystems (package layer/tree) are compared path by path,
// from the headers the archives' single verifying pass already read:
// type, mode, owner, size and link target (modification times are not
// compared: every rebuild changes them). A regular file whose bytes come
// from the same entry of a layer with the same diffID on both sides is
// the same file, without reading it. Only when both copies sit in layers
// that are not shared is the content compared: those layers are read
// once more (tarball.Result.ReadLayer, one pass each), hashing only the
// entries asked for, and their diffIDs are checked again. Shared layers
// are never read for the file diff. A file rewritten with the same
// metadata where one copy sits in a shared layer is counted as
// rewritten, its content not compared. An archive read from a stream
// cannot be read again: read it with tarball.ContentOptions.HashFiles
// and the digests of that pass are used instead.
//
// # What it leaves to others
//
// It knows nothing of flags, terminals or output formats: package report
// prints what it returns, cmd/tardigest reads the archives (both at
// once, each in its single pass).
package compare
