package tarball

import (
	"context"
	"fmt"
	"io/fs"
	"os"
)

// layoutFiles refuses a directory that holds neither index.json (an OCI
// image layout) nor manifest.json (a skopeo dir: layout, or an extracted
// docker save), saying what it looks like.
func layoutFiles(cat *catalog) error {
	_, index := cat.entries["index.json"]
	_, manifest := cat.entries["manifest.json"]
	_, version := cat.entries["version"]
	switch {
	case index || manifest:
		return nil
	case version:
		return fmt.Errorf("%w: a skopeo dir: layout without manifest.json: the skopeo copy that wrote it probably failed or was interrupted", ErrMalformed)
	}
	return fmt.Errorf("%w: not an image layout: no index.json (OCI layout) and no manifest.json (skopeo dir:, extracted docker save)", ErrMalformed)
}

// dirSymlink records the symlink e of a layout directory as a tar
// records a symlink, its target read but never followed; a target that
// leaves the directory is a finding, and e is then no link.
func dirSymlink(root *os.Root, cat *catalog, e *entry) error {
	target, err := root.Readlink(e.name)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrMalformed, e.name, err)
	}
	e.kind = kindSymlink
	if e.link, err = resolveLink(e.name, target, true); err != nil {
		cat.problem(kindBadLink.causedBy(err), e.name, "%v", err)
		e.kind = kindOther
	}
	return nil
}

// readDir reads an image layout directory: an OCI image layout, a skopeo
// dir: layout or an extracted docker save. Everything is opened
// through an os.Root, so no name in the layout can reach outside it; a
// symlink is recorded as in a tar, and never followed on disk.
func readDir(ctx context.Context, dir string, opts *Options) (*catalog, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	cat := newCatalog(opts)
	var (
		jobs  []blobJob
		total int64
	)
	n := 0
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %q: %v", ErrMalformed, name, err)
		}
		if name == "." {
			return nil
		}
		if n++; n > opts.Limits.MaxEntries {
			return fmt.Errorf("%w: more than %d files (the max-entries limit)", ErrLimit, opts.Limits.MaxEntries)
		}
		e := &entry{name: name}
		switch t := d.Type(); {
		case t.IsDir():
			e.kind = kindDir
		case t&fs.ModeSymlink != 0:
			// Recorded as a tar records it: its target is resolved in the
			// catalog, never by the file system. An extracted docker save
			// holds such links; an OCI layout may not (analysis.run).
			if err := dirSymlink(root, cat, e); err != nil {
				return err
			}
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			e.kind, e.size = kindFile, info.Size()
			jobs = append(jobs, blobJob{e: e})
			total += e.size
		default:
			e.kind = kindOther
		}
		cat.add(e)
		return nil
	})
	if err != nil {
		return cat, err
	}
	if err := layoutFiles(cat); err != nil {
		return cat, err
	}
	if opts.Progress != nil {
		opts.Progress.Total.Store(total)
	}
	err = hashAll(ctx, jobs, opts, func(j blobJob, pipeline bool) error {
		f, err := root.Open(j.e.name)
		if err != nil {
			return fmt.Errorf("open %q: %w", j.e.name, err)
		}
		defer f.Close()
		if err := hashEntry(ctx, cat, j.e, exactly(f, j.e.size, opts), opts, pipeline); err != nil {
			return entryReadError(j.e.name, err)
		}
		return nil
	})
	return cat.finish(err)
}
