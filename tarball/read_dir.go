package tarball

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"

	"github.com/tardigest/tardigest/layer"
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
	e.kind, e.raw = kindSymlink, target
	if e.link, err = resolveLink(e.name, target, true); err != nil {
		cat.problem(kindBadLink.causedBy(err), e.name, "%v", err)
		e.kind, e.raw = kindOther, ""
	}
	return nil
}

// readDir reads an image layout directory: an OCI image layout, a skopeo
// dir: layout or an extracted docker save. Everything is opened
// through an os.Root, so no name in the layout can reach outside it; a
// symlink is recorded as in a tar, and never followed on disk. Every
// name is stat'ed before any byte is read: a document the layout is
// known by over max-json-bytes ends the read unread, a file that is not
// regular (a fifo would block a read forever) is never opened, a sparse
// file whose holes would be most of its bytes is refused unread, and a
// file with several names (hard links) is hashed once.
func readDir(ctx context.Context, dir string, opts *Options) (*catalog, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	cat := newCatalog(opts)
	files, err := walkDir(ctx, root, opts.Limits.MaxEntries)
	if err != nil {
		return cat, err
	}
	if err := checkLayoutDocuments(files, opts); err != nil {
		return cat, fmt.Errorf("%s: %w", dir, err)
	}
	jobs, total, err := dirJobs(root, cat, files, opts)
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
		if err := hashDirEntry(ctx, root, cat, j, opts, pipeline); err != nil {
			return entryReadError(j.e.name, err)
		}
		return nil
	})
	for _, j := range jobs {
		for _, alias := range j.aliases {
			alias.blob, alias.data = j.e.blob, j.e.data
		}
	}
	return cat.finish(err)
}

// dirFile is one name of a layout directory, as lstat saw it.
type dirFile struct {
	name string
	info fs.FileInfo
}

// walkDir lists every name under root, parents before children and in
// name order, reading each directory in batches so that no more than
// maxEntries names are ever held.
func walkDir(ctx context.Context, root *os.Root, maxEntries int) ([]dirFile, error) {
	var files []dirFile
	queue := []string{"."}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := queue[0]
		queue = queue[1:]
		f, err := root.Open(d)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrMalformed, d, err)
		}
		start := len(files)
		for {
			batch, err := f.ReadDir(1024)
			for _, de := range batch {
				if len(files) >= maxEntries {
					f.Close()
					return nil, fmt.Errorf("%w: more than %d files (the max-entries limit)", ErrLimit, maxEntries)
				}
				info, ierr := de.Info()
				if ierr != nil {
					f.Close()
					return nil, fmt.Errorf("%w: %q: %v", ErrMalformed, path.Join(d, de.Name()), ierr)
				}
				files = append(files, dirFile{name: path.Join(d, de.Name()), info: info})
			}
			if err == io.EOF || len(batch) == 0 && err == nil {
				break
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%w: %q: %v", ErrMalformed, d, err)
			}
		}
		f.Close()
		added := files[start:]
		sort.Slice(added, func(i, j int) bool { return added[i].name < added[j].name })
		for _, x := range added {
			if x.info.IsDir() {
				queue = append(queue, x.name)
			}
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, nil
}

// checkLayoutDocuments refuses, before any byte of the layout is read,
// a document the layout is known by (index.json, oci-layout,
// manifest.json, repositories) over max-json-bytes. One that is no
// regular file is never opened, and the analysis says so.
func checkLayoutDocuments(files []dirFile, opts *Options) error {
	for _, f := range files {
		switch f.name {
		case "index.json", "oci-layout", "manifest.json", "repositories":
		default:
			continue
		}
		if f.info.Mode().IsRegular() && f.info.Size() > opts.Limits.MaxJSONBytes {
			return fmt.Errorf("%w: %q is %d bytes, over the %d-byte cap for a JSON document (the max-json-bytes limit); nothing was read", ErrLimit, f.name, f.info.Size(), opts.Limits.MaxJSONBytes)
		}
	}
	return nil
}

// dirJobs records every file in cat and returns the regular files to
// hash, one job per file however many names it has, and their bytes.
func dirJobs(root *os.Root, cat *catalog, files []dirFile, opts *Options) ([]blobJob, int64, error) {
	var (
		jobs   []blobJob
		total  int64
		byFile = map[fileID]int{}
	)
	for _, f := range files {
		if !cat.keep(int64(len(f.name))) {
			return nil, 0, fmt.Errorf("%w: file names exceed %d bytes with the JSON documents (the max-metadata-bytes limit)", ErrLimit, cat.maxRetain)
		}
		e := &entry{name: f.name}
		mode := f.info.Mode()
		switch {
		case mode.IsDir():
			e.kind = kindDir
		case mode&fs.ModeSymlink != 0:
			// Recorded as a tar records it: its target is resolved in the
			// catalog, never by the file system. An extracted docker save
			// holds such links; an OCI layout may not (analysis.run).
			if err := dirSymlink(root, cat, e); err != nil {
				return nil, 0, err
			}
		case mode.IsRegular():
			e.kind, e.size = kindFile, f.info.Size()
			if err := sparseFile(f.info, opts.Limits.Layer); err != nil {
				e.kind = kindSparse
				cat.problem(kindLimitExceeded, f.name, "%q: %v; not read", f.name, err)
			}
		default:
			e.kind = kindOther // fifos, devices, sockets: never opened
		}
		if _, err := cat.add(e); err != nil {
			return nil, 0, err
		}
		if e.kind != kindFile {
			continue
		}
		id, ok := identity(f.info)
		if i, seen := byFile[id]; ok && seen {
			jobs[i].aliases = append(jobs[i].aliases, e)
			continue
		}
		if ok {
			byFile[id] = len(jobs)
		}
		jobs = append(jobs, blobJob{e: e, info: f.info})
		total += e.size
	}
	return jobs, total, nil
}

// sparseFile refuses a file most of whose bytes are holes: reading it
// would hash zeros the disk does not hold, as a bomb expands. It is held
// to the expansion ratio of a compressed layer: the size against the
// bytes allocated, once past layer.RatioFloorBytes.
func sparseFile(info fs.FileInfo, lim layer.Limits) error {
	allocated, ok := allocatedBytes(info)
	size := info.Size()
	if !ok || size <= layer.RatioFloorBytes || allocated >= size {
		return nil
	}
	ratio := lim.MaxExpansionRatio
	if ratio <= 0 {
		ratio = layer.DefaultMaxExpansionRatio
	}
	if size/ratio > allocated {
		return fmt.Errorf("%w: a sparse file of %d bytes with %d on disk expands more than %d times (the max-expansion-ratio limit)", ErrLimit, size, allocated, ratio)
	}
	return nil
}

// hashDirEntry opens a file of the layout without blocking on a fifo put
// in its place, checks that it is the file the walk saw, and hashes
// exactly its size.
func hashDirEntry(ctx context.Context, root *os.Root, cat *catalog, j blobJob, opts *Options, pipeline bool) error {
	// os.Root follows a symlink inside the root, so the file opened is
	// checked to be the one the walk saw; O_NONBLOCK keeps a fifo put in
	// its place from blocking the open.
	f, err := root.OpenFile(j.e.name, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return fmt.Errorf("open %q: %w", j.e.name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() || !os.SameFile(info, j.info) || info.Size() != j.info.Size() {
		return fmt.Errorf("%w: %q changed while the layout was read", ErrMalformed, j.e.name)
	}
	r := &sizedReader{r: exactly(f, j.e.size, opts), left: j.e.size}
	return hashEntry(ctx, cat, j.e, r, opts, pipeline)
}

// sizedReader reads exactly left bytes and refuses a file that grew.
type sizedReader struct {
	r    io.Reader
	left int64
}

func (s *sizedReader) Read(p []byte) (int, error) {
	if s.left <= 0 {
		var one [1]byte
		if n, _ := s.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w: the file grew while it was read", ErrMalformed)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	if errors.Is(err, io.EOF) && s.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
