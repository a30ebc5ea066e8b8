package tree

import "io"

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
	// layer's facts are truncated and a limit finding says so.
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
}

func (o Options) withDefaults() Options {
	o.Limits = o.Limits.withDefaults()
	if o.TopFiles <= 0 {
		o.TopFiles = DefaultTopFiles
	}
	return o
}
