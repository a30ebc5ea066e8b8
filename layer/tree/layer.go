package tree

import (
	"github.com/opencontainers/go-digest"
)

// Type is the type of an entry or a path, as shown in listings and JSON.
type Type string

// Types.
const (
	TypeFile     Type = "file"
	TypeDir      Type = "dir"
	TypeSymlink  Type = "symlink"
	TypeHardlink Type = "hardlink"
	TypeChar     Type = "char"
	TypeBlock    Type = "block"
	TypeFIFO     Type = "fifo"
	TypeWhiteout Type = "whiteout"
	TypeOpaque   Type = "opaque"
	TypeOther    Type = "other" // a type docker and containerd refuse to extract
)

// kind is Type in one byte, as stored per entry.
type kind uint8

const (
	kFile kind = iota
	kDir
	kSymlink
	kHardlink
	kChar
	kBlock
	kFIFO
	kWhiteout
	kOpaque
	kOther
)

var kindTypes = [...]Type{TypeFile, TypeDir, TypeSymlink, TypeHardlink, TypeChar, TypeBlock, TypeFIFO, TypeWhiteout, TypeOpaque, TypeOther}

// Layer is what one walk of a layer tar found: its facts and findings,
// and a compact record of its entries for Merge. It is immutable once
// Finish returned it, so one Layer may be merged into several images,
// concurrently.
type Layer struct {
	Facts    Facts     `json:"facts"`
	Findings []Finding `json:"findings"`
	// OmittedFindings counts findings left out past Limits.MaxListed of
	// one kind.
	OmittedFindings int `json:"omitted_findings,omitempty"`

	names    *names
	nodeFlag []uint8 // per name node: nPresent, nWritten, ...
	entries  chunked[entry]
	digests  [][32]byte        // per regular file when hashing, by entry.aux-1
	captured map[uint32][]byte // entry index → body, for Options.Capture
	hashed   bool
}

// entry is one tar entry, 40 bytes. For links aux is the arena offset of
// the target; for regular files with digests, aux-1 indexes digests.
type entry struct {
	size  int64 // as declared in the header (dive counts it for every type)
	mtime int64 // seconds
	node  uint32
	mode  uint32 // the header's mode, truncated to 32 bits as fs.FileMode is
	uid   uint32
	gid   uint32
	aux   uint32
	kind  kind
	flags uint8
}

// Entry flags.
const (
	eXattr      = 1 << iota // has extended attributes other than capabilities
	eCapability             // has security.capability
	eSkip                   // not applied when merging (see its finding)
	eSparse                 // sparse file: size is the expanded size
)

// Name node flags.
const (
	nPresent  = 1 << iota // in the layer's own tree: an entry or the parent of one
	nWritten              // an entry (not a whiteout) has this exact path
	nWhiteout             // a whiteout in this layer names this path
	nDropped              // under an AUFS meta name (.wh..wh.*): dive drops it
)

// Facts are the counts and notable files of one layer. Counts are of
// entries, so a name written twice counts twice (see duplicate-name).
type Facts struct {
	Entries    int   `json:"entries"`
	Files      int   `json:"files"`
	Dirs       int   `json:"dirs"`
	Symlinks   int   `json:"symlinks"`
	Hardlinks  int   `json:"hardlinks"`
	Devices    int   `json:"devices"`
	FIFOs      int   `json:"fifos"`
	Other      int   `json:"other"`
	Whiteouts  int   `json:"whiteouts"`
	OpaqueDirs int   `json:"opaque_dirs"`
	Size       int64 `json:"size"` // bytes of regular files added
	// TarSize is the length of the uncompressed stream walked.
	TarSize int64  `json:"tar_size"`
	Largest []File `json:"largest"`
	// Setuid and Setgid count regular files with those bits;
	// WorldWritable counts files (not symlinks) writable by others and
	// directories writable by others without the sticky bit;
	// Capabilities counts entries with a security.capability extended
	// attribute and Xattrs those with any other.
	Setuid        int `json:"setuid"`
	Setgid        int `json:"setgid"`
	WorldWritable int `json:"world_writable"`
	Capabilities  int `json:"capabilities"`
	Xattrs        int `json:"xattrs"`
	// FlaggedFiles counts entries with at least one of those reasons;
	// Flagged lists them (at most Limits.MaxListed).
	FlaggedFiles int       `json:"flagged_files"`
	Flagged      []Flagged `json:"flagged"`
	// Truncated says the walk stopped at a limit or an invalid header:
	// the facts cover only the entries before it.
	Truncated bool `json:"truncated,omitempty"`
}

// File names a regular file and its size.
type File struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// Flagged is an entry an analyst wants to see: Reasons among "setuid",
// "setgid", "world_writable", "capability", "xattr".
type Flagged struct {
	Path    string   `json:"path"`
	Type    Type     `json:"type"`
	Mode    uint32   `json:"mode"`
	Reasons []string `json:"reasons"`
}

// Entry describes one entry of a layer or one path of a merged
// filesystem, for listings.
type Entry struct {
	Path     string `json:"path"`
	Type     Type   `json:"type"`
	Mode     uint32 `json:"mode"` // permission, setuid, setgid and sticky bits
	UID      uint32 `json:"uid"`
	GID      uint32 `json:"gid"`
	Size     int64  `json:"size"`
	ModTime  int64  `json:"mtime"` // Unix seconds
	Linkname string `json:"link,omitempty"`
	// Digest is the sha256 of a regular file's body, when the layer was
	// walked with HashFiles.
	Digest digest.Digest `json:"digest,omitempty"`
	// Sparse marks a sparse file: Size is its expanded size, and its
	// body is not given to Options.Body.
	Sparse bool `json:"sparse,omitempty"`
	// Layer and Index say which entry wrote the path: the layer's index
	// in the image and the entry's index in the layer (-1 for a
	// directory that only exists because something was put in it).
	Layer int `json:"layer"`
	Index int `json:"index"`
	// ContentLayer and ContentIndex say which entry holds the bytes: for
	// a hard link, the regular file it links to; otherwise Layer and
	// Index. ContentPath is that entry's path in its layer.
	ContentLayer int    `json:"content_layer"`
	ContentIndex int    `json:"content_index"`
	ContentPath  string `json:"content_path,omitempty"`
}

// Entries lists the layer's own entries in tar order, whiteouts included
// (by their .wh. names). Layer and ContentLayer are -1: a layer does not
// know its place in an image.
func (l *Layer) Entries() []Entry {
	out := make([]Entry, 0, l.entries.len())
	l.Walk(func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out
}

// Walk calls fn with the entries Entries returns, in tar order, one at a
// time, and stops at fn's first error, which it returns.
func (l *Layer) Walk(fn func(Entry) error) error {
	for i := 0; i < l.entries.len(); i++ {
		e := l.entryInfo(i, -1)
		e.ContentPath = e.Path
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// entryInfo describes entry i as written in the layer.
func (l *Layer) entryInfo(i, layer int) Entry {
	e := l.entries.at(int(i))
	out := Entry{
		Path: l.names.path(e.node), Type: kindTypes[e.kind], Mode: e.mode & 07777,
		UID: e.uid, GID: e.gid, Size: e.size, ModTime: e.mtime,
		Layer: layer, Index: i, ContentLayer: layer, ContentIndex: i, Sparse: e.flags&eSparse != 0,
	}
	switch e.kind {
	case kSymlink, kHardlink:
		out.Linkname = string(l.names.arena.str(e.aux))
	case kFile:
		if e.aux > 0 && int(e.aux) <= len(l.digests) {
			d := l.digests[e.aux-1]
			out.Digest = digest.NewDigestFromBytes(digest.SHA256, d[:])
		}
	}
	return out
}
