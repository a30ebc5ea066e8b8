// Package layer computes the identities of one blob in one read of its
// bytes: the digest of the bytes as stored, the compression detected from
// magic bytes, and the diffID (sha256 of the decompressed stream). It
// also decompresses whole archives (see [NewReader]), with the same
// decoders and limits.
//
// # What it does
//
//	reader → count → hash (Digest) → peek magic → gzip | zstd | bzip2 | xz | as-is → hash (DiffID)
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
// The compressions are those docker load decompresses, detected as it
// detects them ([Detect]), and decoded to the bytes it would hash:
//
//   - gzip, one or more members: headers and trailers are read in Go
//     (file names and comments of any length, as RFC 1952 allows), the
//     deflate data by klauspost/compress/flate. Built with the isal tag
//     (go build -tags isal; cgo and Debian's libisal-dev), deflate data is
//     inflated by ISA-L instead, 1.4 to 2.3 times as fast on the gzip
//     formats of bench/run.sh; a differential test and fuzz target hold
//     both builds to the same results. [GzipDecoder] says which a binary
//     has.
//   - zstd, any number of frames and skippable frames, by
//     klauspost/compress/zstd. A tracker follows the frames as the decoder
//     reads them, so a frame over the window limit is a limit in any
//     frame, not only the first.
//   - bzip2, concatenated streams, by compress/bzip2 (docker load's own
//     decoder).
//   - xz, as xz -dc reads it (docker load runs it): several streams,
//     stream padding, every block and index checked. The container is
//     parsed here; the LZMA2 data by ulikunitz/xz/lzma, held to liblzma's
//     chunk rules. Filters other than LZMA2 (BCJ, delta) and integrity
//     checks xz itself cannot verify are [ErrUnsupported].
//
// Bytes after the compressed stream are an error ([ErrCorrupt]), except
// xz's stream padding.
//
// # Limits
//
// Decompression is bounded by [Limits]: the uncompressed size; the work
// per stored byte, in gzip-equivalent bytes (a zstd byte counts 2, bzip2
// 100, xz 13, by the decoders' speed on their worst input; decoder windows
// allocated count too), enforced past [RatioFloorBytes]; and the window
// (history) a zstd frame or an xz block asks for, checked before it is
// allocated. A [Budget] shared by the blobs of one archive holds the
// work per stored byte for the archive as a whole. A blob over a limit
// still gets its Digest; its DiffID is left empty and [Result.DiffIDErr]
// says why, naming the flag that raises the limit.
package layer
