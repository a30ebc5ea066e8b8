package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tardigest/tardigest/compare"
	"github.com/tardigest/tardigest/tarball"
)

// DiffArchive names one archive of a comparison.
type DiffArchive struct {
	Source   string         `json:"source"`
	Format   tarball.Format `json:"format"`
	Producer string         `json:"producer,omitempty"`
	// Verified is false when the archive has error findings: run verify.
	Verified bool `json:"verified"`
}

// NewDiffArchive describes the archive res was read from, named src.
func NewDiffArchive(src string, res *tarball.Result) DiffArchive {
	return DiffArchive{Source: src, Format: res.Archive.Format, Producer: res.Archive.Producer, Verified: res.Err(-1) == nil}
}

// DiffDoc is what diff prints: the paired images of two archives
// compared, and the images left without a counterpart.
type DiffDoc struct {
	SchemaVersion int         `json:"schema_version"`
	A             DiffArchive `json:"a"`
	B             DiffArchive `json:"b"`
	// Equal is true when every image has a counterpart holding the same
	// image (the same image ID).
	Equal  bool                 `json:"equal"`
	Images []*compare.ImageDiff `json:"images"`
	OnlyA  []compare.ImageRef   `json:"only_a"`
	OnlyB  []compare.ImageRef   `json:"only_b"`
}

// ShipDoc is what diff --ship prints: the blobs NEW needs that no HAVE
// holds.
type ShipDoc struct {
	SchemaVersion int           `json:"schema_version"`
	New           DiffArchive   `json:"new"`
	Have          []DiffArchive `json:"have"`
	compare.Shipment
}

// Diff writes the comparison as text: a summary of each pair first, then
// its identities, config keys, layers and files.
func Diff(w io.Writer, doc *DiffDoc) error {
	ew := &errWriter{w: w}
	ew.printf("A: %s (%s)\n", doc.A.Source, archiveNote(doc.A))
	ew.printf("B: %s (%s)\n", doc.B.Source, archiveNote(doc.B))
	for _, d := range doc.Images {
		ew.printf("\n")
		diffSummary(ew, d)
		diffDetails(ew, d)
	}
	for _, r := range doc.OnlyA {
		ew.printf("\nonly in A: image %d %s\n", r.Index, refName(r))
	}
	for _, r := range doc.OnlyB {
		ew.printf("\nonly in B: image %d %s\n", r.Index, refName(r))
	}
	verdict := "the images differ"
	if doc.Equal {
		verdict = "the images are identical in content"
	}
	ew.printf("\n%s\n", verdict)
	ew.printf("(-o json for every detail)\n")
	return ew.err
}

func archiveNote(a DiffArchive) string {
	note := string(a.Format)
	if a.Producer != "" {
		note += ", " + a.Producer
	}
	if !a.Verified {
		note += ", FAILED verification: run verify"
	}
	return note
}

func refName(r compare.ImageRef) string {
	name := r.Name
	if name == "" {
		name = "<untagged>"
	}
	if r.Platform != "" {
		name += " " + r.Platform
	}
	return name + " " + ShortID(r.ImageID)
}

// diffSummary writes the lines that say what differs, in numbers.
func diffSummary(ew *errWriter, d *compare.ImageDiff) {
	ew.printf("A image %d %s\nB image %d %s\n", d.A.Index, refName(d.A), d.B.Index, refName(d.B))
	ew.printf("  paired by:   %s\n", strings.ReplaceAll(d.PairedBy, "_", " "))
	ls := d.Layers
	ew.printf("  layers:      %d shared (%s in B), %d new in B (%s), %d only in A (%s)\n",
		ls.Same+ls.Recompressed, HumanSize(ls.SharedBytes), ls.OnlyB, HumanSize(ls.NewBytes), ls.OnlyA, HumanSize(ls.RemovedBytes))
	if ls.Recompressed > 0 || ls.Moved > 0 {
		ew.printf("               %d shared layers stored differently (recompressed), %d at another position\n", ls.Recompressed, ls.Moved)
	}
	switch {
	case ls.FirstDiffer == 0:
		ew.printf("  first differing layer: 0 (the base layers differ)\n")
	case ls.FirstDiffer > 0:
		ew.printf("  first differing layer: %d (the %d below hold the same content on both sides)\n", ls.FirstDiffer, ls.FirstDiffer)
	default:
		ew.printf("  first differing layer: none (%d layers hold the same content in the same order)\n", ls.SharedPrefix)
	}
	switch f := d.Files; {
	case f == nil:
		ew.printf("  files:       not compared: %s\n", d.FilesError)
	default:
		ew.printf("  files:       %d added (%s), %d removed (%s), %d modified (%+d bytes), %d rewritten (content not compared)\n",
			f.Added, HumanSize(f.AddedBytes), f.Removed, HumanSize(f.RemovedBytes), f.Modified, f.ModifiedBytes, f.Rewritten)
	}
	if d.ConfigError != "" {
		ew.printf("  config:      not compared: %s\n", d.ConfigError)
	} else {
		ew.printf("  config:      %d keys changed\n", len(d.Config))
	}
}

// diffDetails writes the identities, config keys, layers and files.
func diffDetails(ew *errWriter, d *compare.ImageDiff) {
	ew.printf("\n")
	for _, id := range d.Identities {
		if id.Equal {
			ew.printf("  %-16s equal   %s\n", id.Name, id.A)
			continue
		}
		verdict := "differ"
		if id.A == "" || id.B == "" {
			verdict = "absent"
		}
		ew.printf("  %-16s %-7s A %s\n", id.Name, verdict, orNone(id.A.String()))
		ew.printf("  %-16s         B %s\n", "", orNone(id.B.String()))
		if id.Note != "" {
			ew.para("                           ", "                           ", "("+id.Note+")")
		}
	}
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	if len(d.Config) > 0 {
		fmt.Fprintf(tw, "\n  CONFIG KEY\tCHANGE\tA\tB\n")
		for _, c := range d.Config {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", Escape(c.Key), c.Change, orDash(truncate(Escape(c.A), 60)), orDash(truncate(Escape(c.B), 60)))
		}
		tw.Flush()
	}
	fmt.Fprintf(tw, "\n  B\tA\tSTATUS\tDIFF ID\tSTORED B\tSTORED A\tSIZE B\tSIZE A\n")
	for _, r := range d.Layers.Rows {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", layerIndex(r.B), layerIndex(r.A), strings.ReplaceAll(r.Status, "_", " "),
			ShortID(r.DiffID), layerStored(r.B), layerStored(r.A), layerSize(r.B), layerSize(r.A))
	}
	tw.Flush()
	if d.Files != nil {
		diffFiles(ew, d.Files)
	}
}

// diffFiles writes the changes by directory, then path by path.
func diffFiles(ew *errWriter, f *compare.Files) {
	if len(f.Changes) == 0 {
		return
	}
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\n  DIRECTORY\tADDED\tREMOVED\tMODIFIED\tREWRITTEN\tSIZE CHANGE\n")
	for _, dir := range f.Dirs {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%+d\n", Escape(dir.Dir), dir.Added, dir.Removed, dir.Modified, dir.Rewritten, dir.SizeDelta)
	}
	tw.Flush()
	fmt.Fprintf(tw, "\n  CHANGE\tPATH\tWHAT\n")
	for _, c := range f.Changes {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Change, Escape(c.Path), fileWhat(c))
	}
	tw.Flush()
	if f.Omitted > 0 {
		ew.printf("  (%d more changes not listed: raise --max-listed)\n", f.Omitted)
	}
}

// fileWhat says what changed in a path, values on both sides.
func fileWhat(c compare.FileChange) string {
	switch c.Change {
	case compare.Added:
		return describeFile(c.B)
	case compare.Removed:
		return describeFile(c.A)
	case compare.Rewritten:
		return fmt.Sprintf("same metadata, written again by layer %d of B (layer %d of A)", c.B.Layer, c.A.Layer)
	}
	var parts []string
	for _, w := range c.What {
		switch w {
		case "type":
			parts = append(parts, fmt.Sprintf("type %s -> %s", c.A.Type, c.B.Type))
		case "mode":
			parts = append(parts, fmt.Sprintf("mode %04o -> %04o", c.A.Mode, c.B.Mode))
		case "owner":
			parts = append(parts, fmt.Sprintf("owner %d:%d -> %d:%d", c.A.UID, c.A.GID, c.B.UID, c.B.GID))
		case "size":
			parts = append(parts, fmt.Sprintf("size %d -> %d", c.A.Size, c.B.Size))
		case "link":
			parts = append(parts, fmt.Sprintf("link %s -> %s", Escape(c.A.Link), Escape(c.B.Link)))
		case "content":
			parts = append(parts, fmt.Sprintf("content %s -> %s", ShortID(c.A.Digest), ShortID(c.B.Digest)))
		}
	}
	return strings.Join(parts, ", ")
}

func describeFile(fi *compare.FileInfo) string {
	s := fmt.Sprintf("%s %04o %d:%d", fi.Type, fi.Mode, fi.UID, fi.GID)
	if fi.Type == "file" || fi.Type == "hardlink" {
		s += fmt.Sprintf(" %d bytes", fi.Size)
	}
	if fi.Link != "" {
		s += " -> " + Escape(fi.Link)
	}
	return s
}

func layerIndex(s *compare.LayerSide) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprint(s.Index)
}

func layerStored(s *compare.LayerSide) string {
	if s == nil {
		return "-"
	}
	return ShortID(s.Digest) + " " + string(s.Compression)
}

func layerSize(s *compare.LayerSide) string {
	if s == nil {
		return "-"
	}
	return HumanSize(s.Size)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Ship writes the blobs to carry: the totals first, then each blob.
func Ship(w io.Writer, doc *ShipDoc) error {
	ew := &errWriter{w: w}
	ew.printf("NEW: %s (%s)\n", doc.New.Source, archiveNote(doc.New))
	for _, h := range doc.Have {
		ew.printf("HAVE: %s (%s)\n", h.Source, archiveNote(h))
	}
	s := doc.Shipment
	ew.printf("\nNEW holds %d blobs, %s (%d bytes)\n", len(s.Blobs), HumanSize(s.Bytes), s.Bytes)
	ew.printf("to carry, exact blobs:    %d blobs, %s (%d bytes): for an OCI layout, skopeo copy, a registry\n",
		len(s.Missing), HumanSize(s.MissingBytes), s.MissingBytes)
	ew.printf("to carry, content only:   %d blobs, %s (%d bytes): for docker load, containerd import\n",
		len(s.Missing)-len(s.ByContent), HumanSize(s.ContentMissingBytes), s.ContentMissingBytes)
	ew.printf("present by content only:  %d layers, %s: a HAVE holds their diffID in another compression\n", len(s.ByContent), HumanSize(s.ByContentBytes))
	if len(s.Rebuildable) > 0 {
		ew.printf("  of which rebuildable:   %d layers, %s: NEW stores them uncompressed, decompressing HAVE's copy gives them\n",
			len(s.Rebuildable), HumanSize(s.RebuildableBytes))
	}
	if len(s.Absent) > 0 {
		ew.printf("NEW itself lacks %d blobs its images refer to: they cannot be carried from it\n", len(s.Absent))
	}
	byContent := map[string]bool{}
	for _, b := range s.ByContent {
		byContent[b.Digest.String()] = true
	}
	if len(s.Missing) > 0 {
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "\n  DIGEST\tKIND\tBYTES\tHAVE BY CONTENT\n")
		for _, b := range s.Missing {
			have := "no"
			if byContent[b.Digest.String()] {
				have = "yes"
			}
			if b.Kind != compare.BlobLayer {
				have = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", b.Digest, b.Kind, b.Size, have)
		}
		tw.Flush()
	}
	return ew.err
}
