package tarball

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/tardigest/tardigest/layer"
)

// entryKind is what a name in the archive is.
type entryKind int

const (
	kindFile entryKind = iota
	kindSymlink
	kindHardlink
	kindDir
	kindOther // devices, fifos: never a blob
)

// entry is one name of the archive, hashed as it was read. Roles (layer,
// config, manifest) are assigned later, from the metadata.
type entry struct {
	name string // cleaned, relative to the archive root
	kind entryKind
	link string // symlink or hard link target, cleaned, relative to the root
	size int64  // from the tar header or the file system
	blob layer.Result
	data []byte // the bytes, kept for small documents that look like JSON
}

// catalog is every entry of an archive by cleaned name.
type catalog struct {
	entries  map[string]*entry
	order    []string // first-seen order
	findings []Finding
	// mu guards retained and overflow: workers keep documents at once.
	mu        sync.Mutex
	retained  int64 // bytes kept in entry.data
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
		err = fmt.Errorf("%w: JSON documents exceed %d bytes in all (the max-metadata-bytes limit)", ErrLimit, c.maxRetain)
	}
	return c, err
}

func newCatalog(opts *Options) *catalog {
	return &catalog{entries: map[string]*entry{}, maxRetain: opts.Limits.MaxMetadataBytes}
}

// problem records a finding of kind k about an entry of the archive.
func (c *catalog) problem(k Kind, subject string, format string, args ...any) {
	c.findings = append(c.findings, newFinding(k, subject, -1, format, args...))
}

// add records e unless its name is taken; a repeated name is an error,
// because tools disagree on which copy wins.
func (c *catalog) add(e *entry) bool {
	if _, dup := c.entries[e.name]; dup {
		c.problem(kindDuplicateEntry, e.name, "entry %q appears more than once; tools disagree on which copy wins", e.name)
		return false
	}
	c.entries[e.name] = e
	c.order = append(c.order, e.name)
	return true
}

// cleanName turns a tar entry name into a name relative to the archive
// root. "./" prefixes are normal (GNU tar writes them) and are removed;
// absolute names, ".." and names that are not clean are refused rather than
// fixed. It returns "" for the root itself.
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
		return "", fmt.Errorf("%w: entry %q: absolute name", ErrMalformed, raw)
	case strings.ContainsRune(name, 0) || strings.Contains(name, "\\"):
		return "", fmt.Errorf("%w: entry %q: invalid character in name", ErrMalformed, raw)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", fmt.Errorf("%w: entry %q: name leaves the archive", ErrMalformed, raw)
		}
	}
	if path.Clean(name) != name {
		return "", fmt.Errorf("%w: entry %q: name is not clean", ErrMalformed, raw)
	}
	return name, nil
}

// resolveLink turns a symlink target into a name relative to the root,
// refusing targets that leave the archive.
func resolveLink(from, target string, symlink bool) (string, error) {
	if target == "" {
		return "", fmt.Errorf("%w: entry %q: empty link target", ErrMalformed, from)
	}
	if strings.HasPrefix(target, "/") {
		return "", fmt.Errorf("%w: entry %q: link to absolute path %q", ErrMalformed, from, target)
	}
	joined := target
	if symlink {
		joined = path.Join(path.Dir(from), target)
	} else {
		for strings.HasPrefix(joined, "./") {
			joined = joined[2:]
		}
		joined = path.Clean(joined)
	}
	if joined == ".." || strings.HasPrefix(joined, "../") {
		return "", fmt.Errorf("%w: entry %q: link target %q leaves the archive", ErrMalformed, from, target)
	}
	return joined, nil
}

// MaxLinkHops bounds how many links are followed to reach one entry.
const MaxLinkHops = 16

// lookup returns the regular entry name refers to, following links inside
// the archive only, with a hop limit and cycle detection. via is the first
// link followed, if any.
func (c *catalog) lookup(name string) (e *entry, via string, err error) {
	seen := map[string]bool{}
	cur := name
	for hops := 0; ; hops++ {
		e, ok := c.entries[cur]
		if !ok {
			if cur != name {
				return nil, via, fmt.Errorf("%w: %q links to %q, which is not in the archive", ErrMissing, name, cur)
			}
			return nil, "", fmt.Errorf("%w: %q is not in the archive", ErrMissing, name)
		}
		switch e.kind {
		case kindFile:
			return e, via, nil
		case kindSymlink, kindHardlink:
			if hops >= MaxLinkHops || seen[cur] {
				return nil, via, fmt.Errorf("%w: %q: link loop or more than %d links", ErrMalformed, name, MaxLinkHops)
			}
			seen[cur] = true
			if via == "" {
				via = e.link
			}
			cur = e.link
		case kindDir:
			return nil, via, fmt.Errorf("%w: %q is a directory, not a file", ErrMalformed, cur)
		default:
			return nil, via, fmt.Errorf("%w: %q is not a regular file", ErrMalformed, cur)
		}
	}
}

// keepable reports whether a small entry looks like a JSON document the
// analysis may need to parse: an object, an array, or null (a manifest.json
// of null must be reported as such, not as "not JSON").
func keepable(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[') || string(b) == "null"
}

// keep reports whether n more bytes of documents fit the metadata
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
