// Package archivetest turns small readable case files into real image
// archives, good and hostile, for tests. It is a normal package so that
// tests of several packages can import it; nothing outside tests should.
// It knows nothing about tarball: a case says what it expects, and the
// test that runs it decides what that means.
//
// # Case files
//
// A case file is a header of "key: value" lines, then sections, like
// txtar:
//
//	comment: a layer whose gzip CRC is wrong
//	expect: mismatch
//	kind: corrupt_compression
//	-- layer (layer gzip) (flip -8) (blob) --
//	etc/hostname: box
//	-- config (blob) --
//	{"os":"linux","rootfs":{"type":"layers","diff_ids":["{{diffid layer}}"]}}
//
// Header keys (unknown keys are an error, so a typo cannot silently weaken
// a case):
//
//	expect: ok|mismatch|missing|malformed|limit|unsupported
//	kind: K            a finding of kind K must appear (repeatable)
//	message: S         S must appear in a finding's message or the fatal error (repeatable)
//	container: C       tar (default), tar+gzip, tar+zstd, directory, or raw
//	                   (raw: the archive is the bytes of the single written section)
//	fatal: true        reading must fail as a whole instead of giving findings
//	heavy: true        the case takes seconds to build and read: tests
//	                   under -short or the race detector may skip it
//	limits: k=v ...    max-json-bytes, max-metadata-bytes, max-entries,
//	                   max-index-depth, max-uncompressed-bytes,
//	                   max-expansion-ratio, max-zstd-window-bytes, max-files
//	images: N          exactly N images must be found
//	exit: N            verify must exit N, when that is not its class's code
//	                   (a pre-1.10 archive claims nothing to verify: 1)
//	max-index-nodes: N the index tree may hold at most N nodes
//	truncate: N        cut the final archive (after outer compression) at
//	                   byte N; negative N cuts that many bytes off the end
//	flip: N            invert the byte at offset N of the final archive
//	                   (negative from the end); repeatable
//	comment: text      free text (repeatable)
//
// # Sections
//
//	-- NAME (modifier args) (modifier args) ... --
//
// NAME is the section's label, used by placeholders, and by default its
// path in the archive (placeholders in it are expanded). The body is every
// line up to the next section line, without the final newline. Sections
// are written in file order; two sections may have the same path (for
// duplicate entries) but labels should be unique (references use the
// first).
//
// Where the section goes:
//
//	(at PATH)          path in the archive instead of NAME; may hold placeholders
//	(blob)             path blobs/sha256/<hex of the bytes>; (blob sha512) too
//	(def)              not written anywhere: bytes only for placeholders
//	(repeat N)         written N times, {{i}} counting the copies from 0 in
//	                   its name, (at PATH) and body; placeholders that
//	                   name the section see copy 0
//	(outside)          directory containers: written next to the layout
//	                   directory, at ../outside/PATH, never in a tar
//
// What it is (a regular file unless one of these):
//
//	(dir)              a directory
//	(symlink TARGET)   a symbolic link; "(symlink -> TARGET)" also reads
//	(hardlink TARGET)  a hard link (in a directory container: os.Link)
//	(device)           a character device (tar only)
//	(fifo)             a named pipe (in a directory: mkfifo)
//
// How the bytes are made, in this order:
//
//	placeholders       expanded in every body unless (raw)
//	(base64), (hex)    the body is encoded; white space ignored
//	(layer C)          the body lists a layer's files, one per line, and
//	                   becomes a tar compressed with C: none, gzip,
//	                   gzip-multi (two gzip members) or zstd. Lines:
//	                   "path: content", "path/" (directory),
//	                   "path -> target" (symlink), "path => target" (hard
//	                   link). An empty body is the 1024-byte empty tar.
//	                   A line "!pax-size N" writes the header of a PAX
//	                   extended header claiming N bytes, "!pax TEXT" one
//	                   holding TEXT ("\n" a newline), well formed or not:
//	                   bytes archive/tar will not write. gzip and zstd layers are compressed as
//	                   they are written, so a layer of a million entries
//	                   costs only its compressed size.
//	(prepend HEX)      bytes put before the result
//	(append HEX)       bytes put after it
//	(flip N)           invert the byte at offset N (negative from the end)
//
// How the tar header tells it:
//
//	(size N)           the header claims N bytes. With fewer bytes in the
//	                   body, the archive ends inside this entry; with more,
//	                   the rest spills into where the next header should be.
//	(sparse N [F])     a sparse member: the body, then a hole of N zero
//	                   bytes, in format F: pax1.0 (the default), pax0.1,
//	                   pax0.0 or gnu (old GNU 'S'); placeholders see the
//	                   expanded bytes, unless the hole is over 64 MiB. In a
//	                   directory container: a sparse file
//
// # Placeholders
//
//	{{digest NAME}}    sha256:<hex> of NAME's bytes
//	{{hex NAME}}       the hex alone
//	{{sha512 NAME}}    sha512:<hex>
//	{{base64 NAME}}    NAME's bytes in standard base64 (a DSSE payload)
//	{{diffid NAME}}    sha256 of the uncompressed tar of a (layer ...)
//	                   section; the digest for any other section
//	{{size NAME}}      the length of NAME's bytes; {{size NAME -1}} adds
//	{{bytes HEX}}      raw bytes, such as invalid UTF-8
//	{{repeat N}}...{{end}}      the text N times; {{repeat N ,}} puts a
//	                   separator word between copies
//	{{i}}              the number of the copy being written by the
//	                   innermost {{repeat}} or (repeat N), from 0;
//	                   {{i OFFSET WIDTH}} adds OFFSET and zero-pads to WIDTH
//	                   digits (64 makes a legacy layer ID)
//
// Sections are evaluated lazily, on first reference, so a manifest can name
// its config and layers, and a config its layers' diffIDs, in any order; a
// reference cycle is an error.
package archivetest
