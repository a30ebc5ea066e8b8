package tree

import (
	"io"
	"sync/atomic"
)

// Defaults for Limits. A real layer stays far below them: the largest
// images seen hold about 500,000 files, and a merged filesystem costs
// about 100 bytes a path, so the default MaxFiles bounds one image's
// index to roughly 200 MiB.
const (
	DefaultMaxEntries      = 2_000_000
	DefaultMaxPathBytes    = 4096 // Linux PATH_MAX: longer names cannot be extracted
	DefaultMaxNameBytes    = 128 << 20
	DefaultMaxCaptureBytes = 64 << 10
	DefaultMaxListed       = 100
	DefaultTopFiles        = 10
	DefaultMaxFiles        = 2_000_000
	// MaxSymlinkHops is the number of symbolic links followed while
	// resolving one path, as Linux's MAXSYMLINKS.
	MaxSymlinkHops = 40
)

// OSReleasePaths are the files every Walker captures, so that the image's
// OS can be told after merging without a second read.
var OSReleasePaths = []string{"etc/os-release", "usr/lib/os-release"}

// Limits bound what one hostile layer or image can cost. Zero fields take
// the defaults above.
type Limits struct {
	// MaxEntries caps the entries recorded for one layer; past it the
	// layer's facts are truncated and a limit finding says so. Tools
	// that read archives call this limit max-files, as for MaxFiles.
	MaxEntries int
	// MaxPathBytes caps one entry's name and link target; a longer one
	// is a bad-name finding and the entry is not recorded.
	MaxPathBytes int
	// MaxNameBytes caps the bytes of distinct path components and link
	// targets stored for one layer.
	MaxNameBytes int
	// MaxCaptureBytes caps each captured file body (Options.Capture and
	// OSReleasePaths); a longer body is kept truncated.
	MaxCaptureBytes int
	// MaxListed caps each list of a result: findings of one kind,
	// flagged files, wasted and inefficient paths.
	MaxListed int
	// MaxFiles caps the paths of one merged filesystem (Merge); past it
	// the image's facts are truncated and a limit finding says so.
	MaxFiles int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxEntries, DefaultMaxEntries)
	def(&l.MaxPathBytes, DefaultMaxPathBytes)
	def(&l.MaxNameBytes, DefaultMaxNameBytes)
	def(&l.MaxCaptureBytes, DefaultMaxCaptureBytes)
	def(&l.MaxListed, DefaultMaxListed)
	def(&l.MaxFiles, DefaultMaxFiles)
	return l
}

// Options tune a Walker. The zero value records facts and findings with
// the default limits, hashes nothing and captures only OSReleasePaths.
type Options struct {
	// HashFiles computes the sha256 of every regular file's body (the
	// file's Digest), at about the cost of hashing the layer once more.
	HashFiles bool
	// Capture lists clean relative paths ("etc/passwd") whose bodies are
	// kept, up to Limits.MaxCaptureBytes each; the last entry of a path
	// wins.
	Capture []string
	// Body, if set, is asked for a writer for each regular file's body,
	// by the entry's index in the layer (Entry.Index); the bytes are
	// written to it as they stream by. It lets cat read one file of a
	// layer without buffering it.
	Body func(index int) io.Writer
	// TopFiles is how many of the largest files Facts lists.
	TopFiles int
	// Limits bound memory.
	Limits Limits
	// Budget, if not nil, is shared with the Walkers of the other layers
	// of the same archive, so that the layers together stay within it.
	Budget *Budget
}

// Budget bounds what the layers of one archive cost together, where
// Limits bounds each layer: every Walker sharing it charges the entries
// it records and the bytes of names it stores. It is safe for concurrent
// use. A Walker that finds it spent stops recording, with a
// content_limit_exceeded finding, as for its own Limits.
type Budget struct {
	maxEntries, maxNameBytes int64
	entries, nameBytes       atomic.Int64
}

// NewBudget returns a Budget of maxEntries entries and maxNameBytes bytes
// of names.
func NewBudget(maxEntries, maxNameBytes int64) *Budget {
	return &Budget{maxEntries: maxEntries, maxNameBytes: maxNameBytes}
}

// Spent returns the entries and name bytes charged so far.
func (b *Budget) Spent() (entries, nameBytes int64) {
	return b.entries.Load(), b.nameBytes.Load()
}

// takeEntry charges one entry; false when the budget has none left.
func (b *Budget) takeEntry() bool {
	return b == nil || b.entries.Add(1) <= b.maxEntries
}

// takeNames charges n bytes of names; false when they do not fit.
func (b *Budget) takeNames(n int) bool {
	return b == nil || b.nameBytes.Add(int64(n)) <= b.maxNameBytes
}

func (o Options) withDefaults() Options {
	o.Limits = o.Limits.withDefaults()
	if o.TopFiles <= 0 {
		o.TopFiles = DefaultTopFiles
	}
	return o
}
