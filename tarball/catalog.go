package tarball

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/layer/tree"
)

// entryKind is what a name in the archive is.
type entryKind int

const (
	kindFile entryKind = iota
	kindSymlink
	kindHardlink
	kindDir
	kindOther  // devices, fifos: never a blob
	kindSparse // a sparse tar entry or file: refused, never read
)

// entry is one name of the archive, hashed as it was read. Roles (layer,
// config, manifest) are assigned later, from the metadata.
type entry struct {
	name string // cleaned, relative to the archive root
	kind entryKind
	// link is, for a symlink, its target joined to the link's directory
	// as a string (what containerd and skopeo read); for a hard link, the
	// cleaned name of the member it links to.
	link string
	raw  string // a symlink's target as written
	// target is the earlier member a hard link names: the same file.
	target *entry
	parent *entry // the directory holding the entry
	// implicit marks a directory no entry names, made (as extraction
	// makes it) for a member under it; members, a directory holding
	// at least one member.
	implicit, members bool
	size              int64 // from the tar header or the file system
	blob              layer.Result
	data              []byte      // the bytes, kept for small documents that look like JSON
	resolved          *resolution // a symlink's target, once resolved
	// content is what the bytes of its diffID hold, read as a layer tar;
	// nil when layer contents are not read.
	content *tree.Layer
}

// childKey names an entry by its directory and last name component, so
// a walk costs one map lookup per component, not one per prefix.
type childKey struct {
	dir  *entry
	name string
}

// catalog is every entry of an archive, as an extraction of it would
// leave them: entries are applied in tar order, each directory of a
// name is a directory at that point of the tar, and hard links name
// members that came before them.
type catalog struct {
	entries  map[string]*entry // by cleaned name, implicit directories too
	children map[childKey]*entry
	root     *entry
	order    []string // the names of the archive's entries, first-seen order
	// implicitDirs counts the directories extraction would make, against
	// Limits.MaxEntries like the entries themselves.
	implicitDirs, maxDirs int
	findings              []Finding
	// mu guards retained and overflow: workers keep documents at once.
	mu        sync.Mutex
	retained  int64 // bytes kept in entry.data, names and link targets
	maxRetain int64 // Limits.MaxMetadataBytes
	// overflow is set when a document could not be kept within
	// Limits.MaxMetadataBytes. Which one that is depends on the order
	// blobs finish in, so it ends the read as a whole, deterministically.
	overflow bool
}

// finish ends a catalog read: the error of the read, or else the
// metadata budget's.
func (c *catalog) finish(err error) (*catalog, error) {
	if err == nil && c.overflow {
		err = fmt.Errorf("%w: JSON documents, entry names and link targets exceed %d bytes in all (the max-metadata-bytes limit)", ErrLimit, c.maxRetain)
	}
	return c, err
}

func newCatalog(opts *Options) *catalog {
	root := &entry{kind: kindDir}
	return &catalog{
		entries: map[string]*entry{}, children: map[childKey]*entry{}, root: root,
		maxDirs: opts.Limits.MaxEntries, maxRetain: opts.Limits.MaxMetadataBytes,
	}
}

// problem records a finding of kind k about an entry of the archive.
func (c *catalog) problem(k Kind, subject string, format string, args ...any) {
	c.findings = append(c.findings, newFinding(k, clip(subject), -1, format, args...))
}

// Longest names extraction can write: Linux's PATH_MAX and NAME_MAX.
// docker load extracts the archive to disk, so a longer name or link
// target makes it fail; tardigest refuses it too.
const (
	maxNameBytes      = 4095
	maxComponentBytes = 255
)

// add applies e to the catalog as extraction would, and reports whether
// it was kept (its body is then hashed). An entry under a symlink or a
// file, one that replaces a directory holding members, a hard link to
// no earlier member and a repeated name are refused with a finding. The
// error is a limit, which ends the read. The readers count names against
// the metadata budget before they make entries of them.
func (c *catalog) add(e *entry) (bool, error) {
	dir, err := c.parentOf(e.name)
	if err != nil || dir == nil {
		return false, err
	}
	base := e.name[strings.LastIndexByte(e.name, '/')+1:]
	if old := c.children[childKey{dir, base}]; old != nil {
		return c.replace(old, e), nil
	}
	if e.kind == kindHardlink {
		t, err := c.hardlinkTarget(e)
		if err != nil {
			c.problem(kindBadHardlink, e.name, "%v", err)
			return false, nil
		}
		e.target = t
	}
	e.parent = dir
	dir.members = true
	c.children[childKey{dir, base}] = e
	c.entries[e.name] = e
	c.order = append(c.order, e.name)
	return true, nil
}

// parentOf returns the directory that holds name, making the missing
// directories above it as extraction does. It returns nil after a
// finding when a directory of the name is, at this point of the tar, a
// symlink, a file or anything else: extraction would write through the
// link, or fail.
func (c *catalog) parentOf(name string) (*entry, error) {
	cur := c.root
	for i := strings.IndexByte(name, '/'); i >= 0; i = nextSlash(name, i) {
		prefix := name[:i]
		comp := prefix[strings.LastIndexByte(prefix, '/')+1:]
		next := c.children[childKey{cur, comp}]
		if next == nil {
			if c.implicitDirs++; c.implicitDirs > c.maxDirs {
				return nil, fmt.Errorf("%w: entries under more than %d directories no entry names (the max-entries limit)", ErrLimit, c.maxDirs)
			}
			next = &entry{name: prefix, kind: kindDir, implicit: true, parent: cur}
			c.children[childKey{cur, comp}] = next
			c.entries[prefix] = next
			cur.members = true
		} else if next.kind != kindDir {
			c.problem(kindParentNotDir, name, "entry %q is under %q, which is %s at that point of the archive: extraction would write through it or fail", clip(name), clip(prefix), describe(next))
			return nil, nil
		}
		cur = next
	}
	return cur, nil
}

func nextSlash(name string, i int) int {
	j := strings.IndexByte(name[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// describe says what an entry is, for messages.
func describe(e *entry) string {
	switch e.kind {
	case kindSymlink:
		return fmt.Sprintf("a symlink to %q", e.raw)
	case kindHardlink:
		return fmt.Sprintf("a hard link to %q", e.link)
	case kindFile:
		return "a regular file"
	case kindDir:
		return "a directory"
	case kindSparse:
		return "a sparse file"
	}
	return "not a regular file (a device, fifo or refused link)"
}

// replace applies e over old, an entry of the same name. Only a
// directory over a directory merges, as in extraction. A name repeated
// otherwise is an error, because tools disagree on which copy wins; an
// entry over a directory that holds members most of all: docker load
// removes the directory with everything in it, containerd keeps every
// name it read.
func (c *catalog) replace(old, e *entry) bool {
	switch {
	case old.kind == kindDir && e.kind == kindDir && old.implicit:
		old.implicit = false
		c.order = append(c.order, old.name)
		return true
	case old.kind == kindDir && e.kind != kindDir && old.members:
		c.problem(kindReplacesDir, e.name, "entry %q replaces a directory that holds members: docker load removes the directory and its members, containerd keeps every name it read", clip(e.name))
		return false
	}
	c.problem(kindDuplicateEntry, e.name, "entry %q appears more than once; tools disagree on which copy wins", clip(e.name))
	return false
}

// hardlinkTarget returns the earlier member a hard link names. Tar
// links only to what was extracted before (a forward or self link
// cannot be made), to no directory, and a link to a symlink would be a
// symlink read from another directory: all refused.
func (c *catalog) hardlinkTarget(e *entry) (*entry, error) {
	t, err := c.resolve(c.root, e.link, false, MaxLinkHops)
	if err != nil {
		return nil, fmt.Errorf("hard link %q to %q: %w", clip(e.name), clip(e.link), err)
	}
	switch t.e.kind {
	case kindDir:
		return nil, fmt.Errorf("%w: hard link %q to %q: a directory cannot be hard-linked", ErrMalformed, clip(e.name), clip(e.link))
	case kindSymlink:
		return nil, fmt.Errorf("%w: hard link %q to the symlink %q: extraction would make a symlink read from another directory", ErrMalformed, clip(e.name), clip(e.link))
	}
	return t.e, nil
}

// cleanName turns a tar entry name into a name relative to the archive
// root. "./" prefixes are normal (GNU tar writes them) and are removed;
// absolute names, ".." and names that are not clean are refused rather than
// fixed, and so are names extraction could not write. It returns "" for
// the root itself.
func cleanName(raw string) (string, error) {
	name := raw
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	name = strings.TrimSuffix(name, "/")
	switch {
	case name == "" || name == ".":
		return "", nil
	case strings.HasPrefix(name, "/"):
		return "", fmt.Errorf("%w: entry %q: absolute name", ErrMalformed, clip(raw))
	case strings.ContainsRune(name, 0) || strings.Contains(name, "\\"):
		return "", fmt.Errorf("%w: entry %q: invalid character in name", ErrMalformed, clip(raw))
	case len(name) > maxNameBytes:
		return "", fmt.Errorf("%w: entry %q: name longer than %d bytes, which extraction cannot write", ErrMalformed, clip(raw), maxNameBytes)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: entry %q: name leaves the archive", ErrMalformed, clip(raw))
		}
		if len(el) > maxComponentBytes {
			return "", fmt.Errorf("%w: entry %q: a name component longer than %d bytes, which extraction cannot write", ErrMalformed, clip(raw), maxComponentBytes)
		}
	}
	if path.Clean(name) != name {
		return "", fmt.Errorf("%w: entry %q: name is not clean", ErrMalformed, clip(raw))
	}
	return name, nil
}

// resolveLink checks a link target and returns the name it gives as a
// string: a symlink's target joined to the link's directory (refused when
// that leaves the archive, as docker's extraction refuses it), a hard
// link's target cleaned of "./" (refused unless clean: docker cleans it
// first, GNU tar does not).
func resolveLink(from, target string, symlink bool) (string, error) {
	switch {
	case target == "":
		return "", fmt.Errorf("%w: entry %q: empty link target", ErrMalformed, clip(from))
	case strings.HasPrefix(target, "/"):
		return "", fmt.Errorf("%w: entry %q: link to absolute path %q", ErrMalformed, clip(from), clip(target))
	case len(target) > maxNameBytes || strings.ContainsRune(target, 0):
		return "", fmt.Errorf("%w: entry %q: link target longer than %d bytes or holding a NUL", ErrMalformed, clip(from), maxNameBytes)
	}
	if !symlink {
		name, err := cleanName(target)
		if err != nil || name == "" {
			return "", fmt.Errorf("%w: entry %q: hard link target %q is not a clean name inside the archive", ErrMalformed, clip(from), clip(target))
		}
		return name, nil
	}
	joined := path.Join(path.Dir(from), target)
	if joined == ".." || strings.HasPrefix(joined, "../") {
		return "", fmt.Errorf("%w: entry %q: link target %q leaves the archive", ErrMalformed, clip(from), clip(target))
	}
	return joined, nil
}

// keepable reports whether a small entry looks like a JSON document the
// analysis may need to parse: an object, an array, or null (a manifest.json
// of null must be reported as such, not as "not JSON").
func keepable(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[') || string(b) == "null"
}

// keep reports whether n more bytes of metadata fit the metadata
// budget, and counts them when they do; it is safe for concurrent use.
func (c *catalog) keep(n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.retained+n > c.maxRetain {
		c.overflow = true
		return false
	}
	c.retained += n
	return true
}
