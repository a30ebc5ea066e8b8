package tarball

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tardigest/tardigest/internal/count"
)

// readTar reads a tar stream in one pass, hashing every regular entry as
// it streams by. It is the path for pipes and for archives compressed as a
// whole.
func readTar(ctx context.Context, r io.Reader, opts *Options) (*catalog, error) {
	cat := newCatalog(opts)
	cr := &count.Reader{R: r}
	tr := tar.NewReader(cr)
	err := walkTar(ctx, tr, func() int64 { return cr.N }, cat, opts, func(e *entry, hdr *tar.Header) error {
		// One blob at a time: pipelining is what keeps a second core busy.
		if err := hashEntry(ctx, cat, e, tr, opts, true); err != nil {
			return entryReadError(e.name, err)
		}
		return nil
	})
	return cat.finish(err)
}

// typeRegA is the regular-file flag '\x00' of pre-POSIX (V7) tar, which
// old archives still carry. archive/tar's Reader turns it into TypeReg
// (TypeDir for a name ending in "/"); it is accepted here too, so that the
// walk does not depend on that conversion. The byte value is spelled out
// because tar.TypeRegA is deprecated for writers.
const typeRegA = '\x00'

// walkTar reads every header of tr into cat and calls body for each
// regular entry whose body the caller wants to read. pos is the offset
// in the tar stream tr has read to: it tells whether the tar ends with
// its end-of-archive marker.
func walkTar(ctx context.Context, tr *tar.Reader, pos func() int64, cat *catalog, opts *Options, body func(*entry, *tar.Header) error) error {
	last := ""
	bodyEnd := int64(-1) // where the last entry's padded body ends; -1 unknown
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			if n == 0 {
				return fmt.Errorf("%w: not an image archive: the tar has no entries", ErrMalformed)
			}
			if bodyEnd >= 0 && pos() <= bodyEnd {
				// archive/tar reads a clean end of file after an entry as
				// the end of the archive: only the missing zero blocks
				// tell a tar cut at an entry boundary.
				cat.problem(kindNoEndMarker, "archive", "the tar ends after entry %q without its end-of-archive marker: the file may have been cut short", last)
			}
			return nil
		}
		if err != nil {
			if errors.Is(err, ErrLimit) || errors.Is(err, ErrMalformed) || errors.Is(err, context.Canceled) {
				return err // the outer stream already said what is wrong
			}
			if n == 0 {
				return fmt.Errorf("%w: not a tar archive: %v", ErrMalformed, err)
			}
			return fmt.Errorf("%w: after entry %q: archive is truncated or corrupt: %v", ErrMalformed, clip(last), err)
		}
		if n >= opts.Limits.MaxEntries {
			return fmt.Errorf("%w: more than %d entries (the max-entries limit)", ErrLimit, opts.Limits.MaxEntries)
		}
		// Names and link targets count against the metadata budget
		// before anything is made of them, refused ones too: a PAX
		// header may hold a name of a megabyte.
		if !cat.keep(int64(len(hdr.Name) + len(hdr.Linkname))) {
			return fmt.Errorf("%w: entry names and link targets exceed %d bytes with the JSON documents (the max-metadata-bytes limit)", ErrLimit, cat.maxRetain)
		}
		last = hdr.Name
		bodyEnd = entryEnd(hdr, pos())
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			// A PAX global header names nothing: docker's untar and
			// containerd skip it, and archive/tar does not apply its
			// records to the entries after it.
			continue
		}
		name, err := cleanName(hdr.Name)
		if err != nil {
			cat.problem(kindBadEntryName.causedBy(err), hdr.Name, "%v", err)
			continue
		}
		if name == "" {
			continue
		}
		e, err := tarEntry(cat, name, hdr)
		if err != nil {
			return err
		}
		kept, err := cat.add(e)
		if err != nil {
			return err
		}
		if kept && e.kind == kindFile {
			if err := body(e, hdr); err != nil {
				return err
			}
		}
	}
}

// tarEntry makes the entry of a tar header. A sparse entry is refused
// here, before a byte of it is read: archive/tar would expand its holes
// into zeros, so a few bytes could stand for a petabyte, and no image
// producer writes one.
func tarEntry(cat *catalog, name string, hdr *tar.Header) (*entry, error) {
	e := &entry{name: name, size: hdr.Size}
	var err error
	switch hdr.Typeflag {
	case tar.TypeReg, typeRegA, tar.TypeGNUSparse:
		e.kind = kindFile
		if hdr.Size < 0 {
			return nil, fmt.Errorf("%w: entry %q: negative size", ErrMalformed, clip(hdr.Name))
		}
		if hdr.Typeflag == tar.TypeGNUSparse || isPAXSparse(hdr) {
			e.kind = kindSparse
			cat.problem(kindSparseEntry, name, "entry %q is a sparse file (%d bytes once its holes are filled): refused unread, as no image producer writes one and its holes would be hashed as zeros", clip(name), hdr.Size)
		}
	case tar.TypeSymlink, tar.TypeLink:
		e.kind, e.raw = kindSymlink, hdr.Linkname
		if hdr.Typeflag == tar.TypeLink {
			e.kind, e.raw = kindHardlink, ""
		}
		e.link, err = resolveLink(name, hdr.Linkname, e.kind == kindSymlink)
		if err != nil {
			cat.problem(kindBadLink.causedBy(err), name, "%v", err)
			e.kind, e.raw, e.link = kindOther, "", ""
		}
	case tar.TypeDir:
		e.kind = kindDir
	default:
		e.kind = kindOther
	}
	return e, nil
}

// entryEnd is the offset where the body of hdr, which starts at start,
// ends with its padding, as archive/tar reads it; -1 for a sparse entry,
// whose stored size the header does not give.
func entryEnd(hdr *tar.Header, start int64) int64 {
	size := hdr.Size
	switch hdr.Typeflag {
	case tar.TypeGNUSparse:
		return -1
	case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
		size = 0 // archive/tar reads no body for these, whatever Size says
	}
	if isPAXSparse(hdr) || size < 0 || start < 0 {
		return -1
	}
	return start + (size+511)/512*512
}

func isPAXSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// clip shortens a refused name from the archive for a finding: its
// first 256 bytes name it well enough, and thousands of names of a few
// kilobytes, quoted in a subject and a message each, must not make the
// findings outgrow the names themselves.
func clip(name string) string {
	if len(name) <= clipBytes {
		return name
	}
	return name[:clipBytes] + "..."
}

const clipBytes = 256
