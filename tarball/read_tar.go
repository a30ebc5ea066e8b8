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
			return fmt.Errorf("%w: after entry %q: archive is truncated or corrupt: %v", ErrMalformed, last, err)
		}
		if n >= opts.Limits.MaxEntries {
			return fmt.Errorf("%w: more than %d entries (the max-entries limit)", ErrLimit, opts.Limits.MaxEntries)
		}
		last = hdr.Name
		bodyEnd = entryEnd(hdr, pos())
		name, err := cleanName(hdr.Name)
		if err != nil {
			cat.problem(kindBadEntryName.causedBy(err), hdr.Name, "%v", err)
			continue
		}
		if name == "" {
			continue
		}
		e := &entry{name: name, size: hdr.Size}
		switch hdr.Typeflag {
		case tar.TypeReg, typeRegA, tar.TypeGNUSparse:
			e.kind = kindFile
			if hdr.Size < 0 {
				return fmt.Errorf("%w: entry %q: negative size", ErrMalformed, hdr.Name)
			}
		case tar.TypeSymlink, tar.TypeLink:
			e.kind = kindSymlink
			if hdr.Typeflag == tar.TypeLink {
				e.kind = kindHardlink
			}
			e.link, err = resolveLink(name, hdr.Linkname, e.kind == kindSymlink)
			if err != nil {
				cat.problem(kindBadLink.causedBy(err), name, "%v", err)
				e.kind = kindOther
			}
		case tar.TypeDir:
			e.kind = kindDir
		default:
			e.kind = kindOther
		}
		if !cat.add(e) {
			continue
		}
		if e.kind == kindFile {
			if err := body(e, hdr); err != nil {
				return err
			}
		}
	}
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
