package tarball

import (
	"errors"
	"fmt"
	"strings"
)

// MaxLinkHops bounds how many symlinks are followed to resolve one name,
// those followed inside link targets included.
const MaxLinkHops = 16

// resolution is where a name leads in the archive as extracted, and how
// many symlinks were followed on the way.
type resolution struct {
	e    *entry
	hops int
	via  string // the first link followed, as the archive names its target
	err  error
	busy bool // being resolved: meeting it again is a loop
}

// errTooManyHops is the class-less cause of a resolution cut short by
// the hop budget of its caller; resolveSymlink does not remember it.
var errTooManyHops = errors.New("too many links")

// lookup returns the regular file name leads to in the archive as
// extraction leaves it, with via the first link followed, if any. Every
// component is resolved as a file system resolves it: a symlink,
// wherever it stands in the name, is replaced by its target read from
// the link's own directory, and ".." leaves the directory the walk has
// reached, not the one the string names. A name that leads nowhere is
// ErrMissing; a directory, a link loop, too many links or a link read
// differently by docker and by containerd or skopeo is ErrMalformed.
func (c *catalog) lookup(name string) (*entry, string, error) {
	r, err := c.resolve(c.root, name, true, MaxLinkHops)
	switch {
	case err == nil:
	case errors.Is(err, ErrMissing) && r.via != "":
		return nil, r.via, fmt.Errorf("%w: %q links to %q, which is not in the archive", ErrMissing, name, r.via)
	case errors.Is(err, ErrMissing):
		return nil, "", fmt.Errorf("%w: %q is not in the archive", ErrMissing, name)
	default:
		return nil, r.via, fmt.Errorf("%q: %w", name, err)
	}
	switch r.e.kind {
	case kindFile:
		return r.e, r.via, nil
	case kindDir:
		return nil, r.via, fmt.Errorf("%w: %q is a directory, not a file", ErrMalformed, r.e.name)
	case kindSparse:
		return nil, r.via, fmt.Errorf("%w: %q is a sparse file, which tardigest refuses to read", ErrUnsupported, r.e.name)
	}
	return nil, r.via, fmt.Errorf("%w: %q is not a regular file", ErrMalformed, r.e.name)
}

// resolve walks p from the directory dir one component at a time,
// following symlinks (the last component only when final is set) and hard
// links, spending at most budget symlinks. It never leaves the archive.
func (c *catalog) resolve(dir *entry, p string, final bool, budget int) (resolution, error) {
	var r resolution
	cur := dir
	mustBeDir := strings.HasSuffix(p, "/")
	for p != "" {
		var comp string
		comp, p, _ = strings.Cut(p, "/")
		switch comp {
		case "", ".":
			continue
		case "..":
			if cur.parent == nil {
				return r, fmt.Errorf("%w: a link leads out of the archive", ErrMalformed)
			}
			cur = cur.parent
			continue
		}
		next := c.children[childKey{cur, comp}]
		if next == nil {
			return r, fmt.Errorf("%w: %q is not in the archive", ErrMissing, joinName(cur, comp))
		}
		if next.kind == kindSymlink && (p != "" || final || mustBeDir) {
			t, err := c.resolveSymlink(next, budget-r.hops-1)
			if err != nil {
				return r, err
			}
			r.hops += t.hops + 1
			if r.via == "" {
				r.via = next.link
			}
			next = t.e
		}
		if next.kind == kindHardlink {
			next = next.target
		}
		if (p != "" || mustBeDir) && next.kind != kindDir {
			return r, fmt.Errorf("%w: %q is not a directory", ErrMissing, next.name)
		}
		cur = next
	}
	r.e = cur
	return r, nil
}

func joinName(dir *entry, comp string) string {
	if dir.name == "" {
		return comp
	}
	return dir.name + "/" + comp
}

// resolveSymlink resolves the target of the symlink s, at most budget
// further symlinks deep, and remembers the answer unless the budget of
// a caller cut it short. The target must also name the same file when
// it is joined to the link's directory as a string, as containerd's
// importer and skopeo read links: when a component before ".." is itself
// a link, docker load and they would read different files.
func (c *catalog) resolveSymlink(s *entry, budget int) (resolution, error) {
	if budget < 0 {
		return resolution{}, fmt.Errorf("%w: link loop or more than %d links (%w)", ErrMalformed, MaxLinkHops, errTooManyHops)
	}
	if r := s.resolved; r != nil {
		if r.busy {
			return resolution{}, fmt.Errorf("%w: %q: link loop or more than %d links", ErrMalformed, s.name, MaxLinkHops)
		}
		if r.hops > budget {
			return resolution{}, fmt.Errorf("%w: link loop or more than %d links (%w)", ErrMalformed, MaxLinkHops, errTooManyHops)
		}
		return *r, r.err
	}
	s.resolved = &resolution{busy: true}
	r, err := c.resolve(s.parent, s.raw, true, budget)
	if err == nil {
		err = c.sameAsString(s, r.e)
	}
	if err != nil && errors.Is(err, errTooManyHops) && budget < MaxLinkHops {
		s.resolved = nil // another path, with more budget, may resolve it
		return r, err
	}
	r.err = err
	s.resolved = &r
	return r, err
}

// sameAsString checks that the symlink s, whose target the file system
// resolves to e, names e too when read as containerd's importer and
// skopeo read links: the target joined to the link's directory as a
// string, a link there read the same way, a hard link as its file. A
// name that does not exist, a directory or a long chain makes those
// readers fail loudly, which is no disagreement; another file is.
func (c *catalog) sameAsString(s, e *entry) error {
	l := c.entries[s.link]
	for hops := 0; l != nil && l.kind == kindSymlink; hops++ {
		if hops == MaxLinkHops {
			return nil
		}
		l = c.entries[l.link]
	}
	if l != nil && l.kind == kindHardlink {
		l = l.target
	}
	if l == nil || l.kind == kindDir || l == e {
		return nil
	}
	return &kindError{kind: kindAmbiguousLink, err: fmt.Errorf("%w: symlink %q -> %q: docker load follows it through the file system to %q; containerd and skopeo join the names to %q",
		ErrMalformed, s.name, s.raw, e.name, l.name)}
}

// kindError is an error that says which Kind of finding it makes.
type kindError struct {
	kind Kind
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }
