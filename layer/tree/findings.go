package tree

import "slices"

// Kind identifies a finding; the strings are stable and appear in JSON,
// in the same snake_case vocabulary as the other kinds tardigest reports.
type Kind string

// Severity says how bad a finding is.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// The kinds of finding, with the severity each always has. See the
// package documentation for what each means and which ones verify should
// fail on.
const (
	// Findings of one layer, from its tar stream alone.
	KindInvalidTar     Kind = "invalid_tar"
	KindLimit          Kind = "content_limit_exceeded"
	KindAbsoluteName   Kind = "absolute_name"
	KindNameEscapes    Kind = "name_escapes_root"
	KindUncleanName    Kind = "unclean_name"
	KindBadName        Kind = "bad_name"
	KindUnsupported    Kind = "unsupported_type"
	KindSparse         Kind = "layer_sparse_entry"
	KindDuplicate      Kind = "duplicate_name"
	KindWhiteoutBad    Kind = "whiteout_invalid"
	KindWhiteoutOdd    Kind = "whiteout_odd"
	KindWhiteoutSame   Kind = "whiteout_same_layer"
	KindSymlinkEscapes Kind = "symlink_escapes_root"
	KindNoEndMarker    Kind = "layer_no_end_marker"
	KindTrailingData   Kind = "trailing_data"
	// Findings of a layer in its image, known only when merging.
	KindHardlinkMissing Kind = "hardlink_target_missing"
	KindHardlinkDir     Kind = "hardlink_to_directory"
	KindParentNotDir    Kind = "layer_parent_not_directory"
	KindThroughSymlink  Kind = "written_through_symlink"
	KindWhiteoutNothing Kind = "whiteout_no_target"
)

// severities gives each kind its one severity.
var severities = map[Kind]Severity{
	KindInvalidTar:      Error,
	KindLimit:           Error,
	KindAbsoluteName:    Warning,
	KindNameEscapes:     Error,
	KindUncleanName:     Info,
	KindBadName:         Error,
	KindUnsupported:     Error,
	KindSparse:          Warning,
	KindDuplicate:       Warning,
	KindWhiteoutBad:     Error,
	KindWhiteoutOdd:     Warning,
	KindWhiteoutSame:    Warning,
	KindSymlinkEscapes:  Info,
	KindNoEndMarker:     Info,
	KindTrailingData:    Info,
	KindHardlinkMissing: Error,
	KindHardlinkDir:     Error,
	KindParentNotDir:    Error,
	KindThroughSymlink:  Info,
	KindWhiteoutNothing: Info,
}

// SeverityOf returns the severity of a kind.
func SeverityOf(k Kind) Severity { return severities[k] }

// Kinds returns every kind of finding, sorted by name.
func Kinds() []Kind {
	out := make([]Kind, 0, len(severities))
	for k := range severities {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Finding is one thing worth telling about a layer. Path is the entry's
// name as cleaned (relative, no leading slash) or, for a name that could
// not be cleaned, as written; it may hold any byte, so a printer must
// escape it.
type Finding struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	// Layer is the index of the layer in its image (base first); -1 for
	// a finding of a layer on its own, before merging.
	Layer   int    `json:"layer"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// findingList keeps at most max findings of each kind and counts the rest.
type findingList struct {
	list    []Finding
	perKind map[Kind]int
	omitted int
	max     int
}

func (f *findingList) add(layer int, k Kind, path, msg string) {
	if f.perKind == nil {
		f.perKind = map[Kind]int{}
	}
	if f.perKind[k] >= f.max {
		f.omitted++
		return
	}
	f.perKind[k]++
	f.list = append(f.list, Finding{Kind: k, Severity: severities[k], Layer: layer, Path: path, Message: msg})
}
