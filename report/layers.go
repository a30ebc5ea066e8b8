package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/tarball"
)

// LayerRow is one line of the layers table: what one layer of an image
// holds and what it did to the layers below, base first, numbered as
// everywhere else in tardigest (inspect's #, ls --layer N, findings'
// layer[N]).
type LayerRow struct {
	Layer     int           `json:"layer"`
	CreatedBy string        `json:"created_by,omitempty"`
	DiffID    digest.Digest `json:"diff_id,omitempty"`
	// Known is false when the layer's tar was not read (absent, does not
	// decompress); the counts below are then 0.
	Known bool `json:"known"`
	// Size is the bytes of regular files the layer stores; Files counts
	// its entries of every type.
	Size    int64 `json:"size"`
	Entries int   `json:"entries"`
	// Added, Changed and Removed count non-directory paths: new, written
	// over a lower layer's, deleted. Whiteouts counts whiteout and
	// opaque entries. Absent when the image's layers were not all read.
	Added     *int `json:"added,omitempty"`
	Changed   *int `json:"changed,omitempty"`
	Removed   *int `json:"removed,omitempty"`
	Whiteouts int  `json:"whiteouts"`
	// Reclaimable is the bytes the layer stores that the image never
	// shows (overwritten or deleted later): what squashing saves of it.
	Reclaimable *int64 `json:"reclaimable,omitempty"`
	// Flagged counts setuid, setgid, world-writable files and files with
	// capabilities or other extended attributes.
	Flagged int `json:"flagged"`
}

// LayerRows lists img's layers, base first.
func LayerRows(img *tarball.Image) []LayerRow {
	rows := []LayerRow{}
	for j, l := range img.Layers {
		r := LayerRow{Layer: j, CreatedBy: l.CreatedBy, DiffID: l.DiffID}
		if c := l.Content; c != nil {
			r.Known = true
			r.Size, r.Entries, r.Flagged = c.Size, c.Entries, c.FlaggedFiles
			r.Whiteouts = c.Whiteouts + c.OpaqueDirs
			if ch := c.Changes; ch != nil {
				r.Added, r.Changed, r.Removed, r.Reclaimable = &ch.Added, &ch.Changed, &ch.Removed, &ch.Reclaimable
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// Layers writes the layers table, base first.
func Layers(w io.Writer, rows []LayerRow, opts TableOptions) error {
	if opts.Quiet {
		ew := &errWriter{w: w}
		for _, r := range rows {
			ew.printf("%s\n", shortID(r.DiffID, opts.NoTrunc))
		}
		return ew.err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCREATED BY\tDIFF ID\tSIZE\tENTRIES\tADDED\tCHANGED\tREMOVED\tWHITEOUTS\tRECLAIMABLE\tFLAGGED")
	for _, r := range rows {
		by := strings.Join(strings.Fields(r.CreatedBy), " ")
		if !opts.NoTrunc {
			by = truncate(by, 45)
		}
		diff := "-"
		if r.DiffID != "" {
			diff = shortID(r.DiffID, opts.NoTrunc)
		}
		if !r.Known {
			fmt.Fprintf(tw, "%d\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\n", r.Layer, Escape(by), diff)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\t%d\n", r.Layer, Escape(by), diff, HumanSize(r.Size), r.Entries,
			optInt(r.Added), optInt(r.Changed), optInt(r.Removed), r.Whiteouts, optSize(r.Reclaimable), r.Flagged)
	}
	return tw.Flush()
}

func optInt(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

func optSize(p *int64) string {
	if p == nil {
		return "-"
	}
	return HumanSize(*p)
}
