// Package layer computes the identities of one blob in one read of its
// bytes: the digest of the bytes as stored, the compression detected from
// magic bytes, and the diffID (sha256 of the decompressed stream).
//
// # What it does
//
//	reader → count → hash (Digest) → peek magic → gzip | zstd | as-is → hash (DiffID)
//	then drain the raw reader to EOF, so Digest covers trailing bytes
//
// An uncompressed blob is hashed once: its DiffID is its Digest.
// Memory does not depend on the blob's size. Options.Content, if set, is
// given the same bytes the DiffID is computed from, as they go by: that is
// how a tar reader (package layer/tree) learns what a layer holds in the
// pass that hashes it, without this package knowing anything of tar.
//
// # What it leaves to others
//
// It knows nothing about files, tar archives, manifests or output. Whether
// a blob is a layer at all, and which digest it should have, is decided by
// package tarball.
//
// # Decoders
//
// gzip and zstd are decoded in pure Go with klauspost/compress. Built with
// the isal tag (go build -tags isal; cgo and Debian's libisal-dev), gzip's
// deflate data is inflated by ISA-L instead, 1.4 to 2.3 times as fast on
// the gzip formats of bench/run.sh. Member headers are still parsed in
// Go, and a differential test and fuzz target hold both builds to the
// same results. [GzipDecoder] says which a binary has.
//
// # Limits
//
// Decompression is bounded by [Limits]: the uncompressed size, the
// expansion ratio (uncompressed bytes per stored byte, enforced past
// [RatioFloorBytes]) and the zstd window. A blob over a limit still gets its
// Digest; its DiffID is left empty and [Result.DiffIDErr] says why.
package layer
