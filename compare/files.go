package compare

import (
	"context"
	"errors"
	"iter"
	"path"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer/tree"
)

// Rewritten is a file written again, with the same metadata, where one
// copy sits in a layer both sides share: its content is not compared,
// since that would mean reading a shared layer.
const Rewritten = "rewritten"

// Files is the difference between two merged filesystems.
type Files struct {
	// Counts of changed paths (directories included), over the whole
	// filesystem or the paths selected by Options.Paths.
	Added     int `json:"added"`
	Removed   int `json:"removed"`
	Modified  int `json:"modified"`
	Rewritten int `json:"rewritten"`
	// AddedBytes and RemovedBytes are the sizes of regular files added
	// and removed; ModifiedBytes is the net change in size of the
	// modified ones (B minus A).
	AddedBytes    int64 `json:"added_bytes"`
	RemovedBytes  int64 `json:"removed_bytes"`
	ModifiedBytes int64 `json:"modified_bytes"`
	// Changes lists the changed paths in path order, at most
	// Options.MaxListed of each kind; Omitted counts those left out.
	Changes []FileChange `json:"changes"`
	Omitted int          `json:"omitted"`
	// Dirs sums the changes by directory (two levels deep), most changes
	// first.
	Dirs []DirSummary `json:"dirs"`
	// Hashed lists the layers read again to compare file contents.
	Hashed []HashedLayer `json:"hashed"`
}

// FileChange is one path that differs.
type FileChange struct {
	Path   string `json:"path"`
	Change string `json:"change"`
	// What lists what differs in a modified path: type, mode, owner,
	// size, link, content.
	What []string  `json:"what,omitempty"`
	A    *FileInfo `json:"a,omitempty"`
	B    *FileInfo `json:"b,omitempty"`
}

// FileInfo is a path as one side's merged filesystem holds it.
type FileInfo struct {
	Type tree.Type `json:"type"`
	Mode uint32    `json:"mode"`
	UID  uint32    `json:"uid"`
	GID  uint32    `json:"gid"`
	Size int64     `json:"size"`
	Link string    `json:"link,omitempty"`
	// Digest is the sha256 of a regular file's bytes, when they were
	// hashed to compare them.
	Digest digest.Digest `json:"digest,omitempty"`
	// Layer is the layer that wrote the path, base first.
	Layer int `json:"layer"`
}

// DirSummary counts the changes under one directory.
type DirSummary struct {
	Dir       string `json:"dir"`
	Added     int    `json:"added"`
	Removed   int    `json:"removed"`
	Modified  int    `json:"modified"`
	Rewritten int    `json:"rewritten"`
	// SizeDelta is the change in bytes of regular files (B minus A).
	SizeDelta int64 `json:"size_delta"`
}

// HashedLayer is a layer read again to hash the files the comparison
// needed, and how many.
type HashedLayer struct {
	Side  string `json:"side"`
	Layer int    `json:"layer"`
	Files int    `json:"files"`
}

// pendingChange is a path whose two versions differ only if their
// contents do: it waits for them to be hashed.
type pendingChange struct {
	change FileChange
	a, b   tree.Entry
}

// diffFiles compares the merged filesystems of a and b.
func diffFiles(ctx context.Context, a, b Side, ls Layers, opts Options) (*Files, error) {
	fa, err := a.Result.Filesystem(a.Image)
	if err != nil {
		return nil, errors.New("A: " + err.Error())
	}
	fb, err := b.Result.Filesystem(b.Image)
	if err != nil {
		return nil, errors.New("B: " + err.Error())
	}
	c := newComparer(a, b, opts)
	if err := c.walk(fa, fb); err != nil {
		return nil, err
	}
	hashed, err := c.hash(ctx)
	if err != nil {
		return nil, err
	}
	f := c.sum.files()
	f.Hashed = hashed
	return f, nil
}

// entries yields the paths of a merged filesystem, each directory
// followed by its contents, names sorted: the order of pathCompare.
func entries(fs *tree.Image) iter.Seq[tree.Entry] {
	stop := errors.New("stop")
	return func(yield func(tree.Entry) bool) {
		fs.Walk("/", true, func(e tree.Entry) error {
			if !yield(e) {
				return stop
			}
			return nil
		})
	}
}

// pathCompare orders paths component by component, as Walk lists them.
func pathCompare(x, y string) int {
	for {
		cx, restX, moreX := strings.Cut(x, "/")
		cy, restY, moreY := strings.Cut(y, "/")
		if c := strings.Compare(cx, cy); c != 0 {
			return c
		}
		switch {
		case !moreX && !moreY:
			return 0
		case !moreX:
			return -1
		case !moreY:
			return 1
		}
		x, y = restX, restY
	}
}

// walk goes through both filesystems at once, in path order, and keeps
// every path that differs or may.
func (c *comparer) walk(fa, fb *tree.Image) error {
	nextA, stopA := iter.Pull(entries(fa))
	defer stopA()
	nextB, stopB := iter.Pull(entries(fb))
	defer stopB()
	ea, okA := nextA()
	eb, okB := nextB()
	for okA || okB {
		order := 0
		switch {
		case !okA:
			order = 1
		case !okB:
			order = -1
		default:
			order = pathCompare(ea.Path, eb.Path)
		}
		switch {
		case order < 0:
			c.add(FileChange{Path: ea.Path, Change: Removed, A: info(ea)})
			ea, okA = nextA()
		case order > 0:
			c.add(FileChange{Path: eb.Path, Change: Added, B: info(eb)})
			eb, okB = nextB()
		default:
			c.compare(ea, eb)
			ea, okA = nextA()
			eb, okB = nextB()
		}
	}
	return nil
}

func info(e tree.Entry) *FileInfo {
	return &FileInfo{Type: e.Type, Mode: e.Mode, UID: e.UID, GID: e.GID, Size: e.Size, Link: e.Linkname, Digest: e.Digest, Layer: e.Layer}
}

// regular reports whether a path holds a regular file's bytes.
func regular(e tree.Entry) bool { return e.Type == tree.TypeFile || e.Type == tree.TypeHardlink }

// metadataChanges lists what differs between two versions of a path,
// contents aside.
func metadataChanges(a, b tree.Entry) []string {
	var what []string
	if a.Type != b.Type {
		what = append(what, "type")
	}
	if a.Mode != b.Mode {
		what = append(what, "mode")
	}
	if a.UID != b.UID || a.GID != b.GID {
		what = append(what, "owner")
	}
	if regular(a) && regular(b) && a.Size != b.Size {
		what = append(what, "size")
	}
	if a.Linkname != b.Linkname {
		what = append(what, "link")
	}
	return what
}

// selected reports whether p is one of the paths the caller asked for.
func selected(p string, filters []string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		f = strings.Trim(path.Clean("/"+f), "/")
		if strings.ContainsAny(f, "*?[") {
			if ok, _ := path.Match(f, p); ok {
				return true
			}
			continue
		}
		if f == "" || p == f || strings.HasPrefix(p, f+"/") {
			return true
		}
	}
	return false
}

// summary counts changes as they are found, sums them by directory and
// keeps at most max of each kind for the listing, so that memory does
// not grow with the number of changes.
type summary struct {
	f      *Files
	dirs   map[string]*DirSummary
	listed map[string]int
	max    int
}

func newSummary(max int) *summary {
	if max <= 0 {
		max = DefaultMaxListed
	}
	return &summary{f: &Files{Changes: []FileChange{}, Dirs: []DirSummary{}}, dirs: map[string]*DirSummary{}, listed: map[string]int{}, max: max}
}

// add counts one change and lists it while its kind has room.
func (s *summary) add(ch FileChange) {
	f := s.f
	d := s.dirs[summaryDir(ch.Path)]
	if d == nil {
		d = &DirSummary{Dir: summaryDir(ch.Path)}
		s.dirs[d.Dir] = d
	}
	delta := sizeOf(ch.B) - sizeOf(ch.A)
	d.SizeDelta += delta
	switch ch.Change {
	case Added:
		f.Added++
		d.Added++
		f.AddedBytes += delta
	case Removed:
		f.Removed++
		d.Removed++
		f.RemovedBytes -= delta
	case Modified:
		f.Modified++
		d.Modified++
		f.ModifiedBytes += delta
	case Rewritten:
		f.Rewritten++
		d.Rewritten++
	}
	if s.listed[ch.Change] >= s.max {
		f.Omitted++
		return
	}
	s.listed[ch.Change]++
	f.Changes = append(f.Changes, ch)
}

// files is the summary: changes in path order, directories with the
// most changes first, at most max of them.
func (s *summary) files() *Files {
	f := s.f
	slices.SortStableFunc(f.Changes, func(x, y FileChange) int { return pathCompare(x.Path, y.Path) })
	for _, d := range s.dirs {
		f.Dirs = append(f.Dirs, *d)
	}
	slices.SortFunc(f.Dirs, func(x, y DirSummary) int {
		if n, m := x.Added+x.Removed+x.Modified+x.Rewritten, y.Added+y.Removed+y.Modified+y.Rewritten; n != m {
			return m - n
		}
		return strings.Compare(x.Dir, y.Dir)
	})
	if len(f.Dirs) > s.max {
		f.Dirs = f.Dirs[:s.max]
	}
	return f
}

// sizeOf is the size of a regular file, 0 for anything else or nothing.
func sizeOf(fi *FileInfo) int64 {
	if fi == nil || (fi.Type != tree.TypeFile && fi.Type != tree.TypeHardlink) {
		return 0
	}
	return fi.Size
}

// summaryDir is the directory a change is summed under: its parent, cut
// to two levels ("usr/lib" for "usr/lib/x/libc.so"), "/" at the top.
func summaryDir(p string) string {
	dir := path.Dir(p)
	if dir == "." || dir == "/" {
		return "/"
	}
	parts := strings.SplitN(strings.TrimPrefix(dir, "/"), "/", 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, "/")
}
