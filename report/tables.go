package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/tarball"
)

// ImageRow is one line of the images table: one per tag, as docker
// images prints them.
type ImageRow struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	// ImageID is the classic image ID, the config digest.
	ImageID digest.Digest `json:"image_id"`
	// Digest is the stored manifest (or index) digest that can be the
	// registry's, or "" with DigestNote saying why there is none.
	Digest     digest.Digest `json:"digest,omitempty"`
	DigestNote string        `json:"digest_note,omitempty"`
	Created    string        `json:"created"`
	// Size is the sum of the layers' uncompressed sizes, as docker images
	// shows it.
	Size     int64  `json:"size"`
	Platform string `json:"platform"`
	// Image is the position of the image in the archive.
	Image int `json:"image"`
	// Attached counts what is attached to the image: signatures,
	// attestations, SBOMs, referrers.
	Attached *AttachedSummary `json:"attached,omitempty"`
	// AttachedTo is set on the row of an image that is itself an
	// attachment: the position of the image it is about. The images
	// table leaves such rows out unless --image names them.
	AttachedTo *int `json:"attached_to,omitempty"`
}

// ImageRows lists the images of res, one row per tag (one row for an
// untagged image).
func ImageRows(res *tarball.Result) []ImageRow {
	rows := []ImageRow{}
	v := newAttachedView(res)
	under := map[int]int{}
	for i, list := range v.about {
		for _, n := range list {
			if p := v.all[n].Image; p != nil {
				under[*p] = i
			}
		}
	}
	for i, img := range res.Images {
		base := ImageRow{ImageID: img.ImageID, Created: img.Created, Platform: img.Platform, Image: i, Attached: summarize(v.all, v.about[i])}
		if root, ok := under[i]; ok {
			base.AttachedTo = &root
		}
		for _, l := range img.Layers {
			base.Size += l.UncompressedSize
		}
		if base.Digest = img.Registry.Digest; base.Digest == "" {
			base.DigestNote = img.Registry.Reason
		}
		names := repoTags(img)
		if len(names) == 0 {
			names = [][2]string{{"<none>", "<none>"}}
		}
		for _, n := range names {
			r := base
			r.Repository, r.Tag = n[0], n[1]
			rows = append(rows, r)
		}
	}
	return rows
}

// repoTags returns the repository and tag of each name an image is known
// by: its RepoTags, else its containerd names, else its ref names.
func repoTags(img *tarball.Image) [][2]string {
	var out [][2]string
	switch {
	case len(img.RepoTags) > 0:
		for _, n := range img.RepoTags {
			out = append(out, splitReference(n))
		}
	case len(img.ContainerdNames) > 0:
		for _, n := range img.ContainerdNames {
			out = append(out, splitReference(n))
		}
	default:
		for _, n := range img.RefNames {
			// A ref name is a full reference (skopeo, podman) or a bare
			// tag (the OCI image spec's own example).
			if ref, ok := tarball.ParseRefName(n); ok && ref.Repository == "" {
				out = append(out, [2]string{"<none>", ref.Tag})
			} else {
				out = append(out, splitReference(n))
			}
		}
	}
	return out
}

// splitReference splits an image reference into repository and tag as
// docker images shows them: the repository's familiar name, the tag "latest" when neither tag nor digest
// is written, <none> for a digest alone. A name that is not a reference
// is shown whole as the tag of repository <none>.
func splitReference(name string) [2]string {
	ref, err := tarball.ParseReference(name)
	switch {
	case err != nil:
		return [2]string{"<none>", name}
	case ref.Tag != "":
		return [2]string{ref.FamiliarName(), ref.Tag}
	case ref.Digest != "":
		return [2]string{ref.FamiliarName(), "<none>"}
	}
	return [2]string{ref.FamiliarName(), "latest"}
}

// TableOptions are docker's table flags.
type TableOptions struct {
	Digests bool // images: add the DIGEST column
	NoTrunc bool // full digests and commands
	Quiet   bool // IDs only
	// Now is the time CREATED is relative to.
	Now time.Time
}

// Images writes rows as docker images does.
func Images(w io.Writer, rows []ImageRow, opts TableOptions) error {
	if opts.Quiet {
		seen := map[digest.Digest]bool{}
		ew := &errWriter{w: w}
		for _, r := range rows {
			if !seen[r.ImageID] {
				seen[r.ImageID] = true
				ew.printf("%s\n", shortID(r.ImageID, opts.NoTrunc))
			}
		}
		return ew.err
	}
	tw := tabwriter.NewWriter(&trimWriter{w: w}, 0, 4, 3, ' ', 0)
	platforms := manyPlatforms(rows)
	head := "REPOSITORY\tTAG\t"
	if opts.Digests {
		head += "DIGEST\t"
	}
	if platforms {
		head += "PLATFORM\t"
	}
	attached := slices.ContainsFunc(rows, func(r ImageRow) bool { return r.Attached != nil })
	tail := ""
	if attached {
		tail = "\tATTACHED"
	}
	fmt.Fprintln(tw, head+"IMAGE ID\tCREATED\tSIZE"+tail)
	for _, r := range rows {
		line := Escape(r.Repository) + "\t" + Escape(r.Tag) + "\t"
		if opts.Digests {
			d := "<none>"
			if r.Digest != "" {
				d = r.Digest.String()
			}
			line += d + "\t"
		}
		if platforms {
			line += Escape(cmp.Or(r.Platform, "-")) + "\t"
		}
		end := ""
		if attached {
			end = "\t" + r.Attached.Short()
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s%s\n", line, Escape(shortID(r.ImageID, opts.NoTrunc)), since(r.Created, opts.Now), HumanSize(r.Size), end)
	}
	return tw.Flush()
}

// manyPlatforms reports whether the rows are of more than one platform:
// the images table then shows a PLATFORM column.
func manyPlatforms(rows []ImageRow) bool {
	for _, r := range rows {
		if r.Platform != rows[0].Platform {
			return true
		}
	}
	return false
}

// HistoryRow is one line of the history table, newest first as docker
// history prints it.
type HistoryRow struct {
	// ImageID is the image ID on the top row, and absent below: docker
	// history prints <missing> there for a pulled image, and so does
	// the table.
	ImageID   digest.Digest `json:"image_id,omitempty"`
	Created   string        `json:"created"`
	CreatedBy string        `json:"created_by"`
	Comment   string        `json:"comment"`
	// EmptyLayer marks entries that made no layer.
	EmptyLayer bool `json:"empty_layer"`
	// Layer is the position of the layer the entry made, absent when it
	// made none; DiffID, Digest and the sizes are those of that layer.
	Layer            *int          `json:"layer,omitempty"`
	DiffID           digest.Digest `json:"diff_id,omitempty"`
	Digest           digest.Digest `json:"digest,omitempty"`
	Size             int64         `json:"size"`
	UncompressedSize int64         `json:"uncompressed_size"`
}

// HistoryRows lists img's history newest first, each non-empty entry tied
// to its layer.
func HistoryRows(img *tarball.Image) []HistoryRow {
	rows := []HistoryRow{}
	for k := len(img.History) - 1; k >= 0; k-- {
		h := img.History[k]
		r := HistoryRow{Created: h.Created, CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer, Layer: h.Layer}
		if h.Layer != nil && *h.Layer < len(img.Layers) {
			l := img.Layers[*h.Layer]
			r.DiffID, r.Digest, r.Size, r.UncompressedSize = l.DiffID, l.Digest, l.Size, l.UncompressedSize
		}
		rows = append(rows, r)
	}
	if len(rows) > 0 {
		rows[0].ImageID = img.ImageID
	}
	return rows
}

// History writes rows as docker history does, with the layer's diffID.
func History(w io.Writer, rows []HistoryRow, opts TableOptions) error {
	if opts.Quiet {
		ew := &errWriter{w: w}
		for _, r := range rows {
			ew.printf("%s\n", historyImage(r.ImageID, opts.NoTrunc))
		}
		return ew.err
	}
	tw := tabwriter.NewWriter(&trimWriter{w: w}, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tCREATED\tCREATED BY\tSIZE\tDIFF ID\tCOMMENT")
	for _, r := range rows {
		by := strings.Join(strings.Fields(r.CreatedBy), " ")
		if !opts.NoTrunc {
			by = truncate(by, 45)
		}
		diff := "-"
		if r.DiffID != "" {
			diff = shortID(r.DiffID, opts.NoTrunc)
		}
		fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", historyImage(r.ImageID, opts.NoTrunc), since(r.Created, opts.Now), by, HumanSize(r.UncompressedSize), diff, r.Comment)
	}
	return tw.Flush()
}

// historyImage is the IMAGE column of a history row: the image ID on the
// top row, <missing> below, as docker history prints a pulled image.
func historyImage(d digest.Digest, noTrunc bool) string {
	if d == "" {
		return "<missing>"
	}
	return shortID(d, noTrunc)
}

// ShortID is a digest as docker prints an image ID: its first 12 hex
// digits, <none> when there is none.
func ShortID(d digest.Digest) string { return shortID(d, false) }

// shortID prints a digest as docker prints image IDs: 12 hex digits, or
// in full with --no-trunc.
func shortID(d digest.Digest, noTrunc bool) string {
	if d == "" {
		return "<none>"
	}
	if noTrunc {
		return d.String()
	}
	if err := d.Validate(); err != nil {
		return d.String()
	}
	enc := d.Encoded()
	if len(enc) > 12 {
		enc = enc[:12]
	}
	return enc
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// HumanSize formats n bytes as docker does: decimal units, three
// significant digits.
func HumanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// since formats an RFC 3339 time as docker's "N units ago".
func since(created string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, created)
	if err != nil || t.IsZero() {
		return "N/A" // as docker shows an image created at the zero time
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "Less than a minute ago"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " ago"
	case d < 14*24*time.Hour:
		return plural(int(d.Hours()/24), "day") + " ago"
	case d < 60*24*time.Hour:
		return plural(int(d.Hours()/24/7), "week") + " ago"
	case d < 2*365*24*time.Hour:
		return plural(int(d.Hours()/24/30), "month") + " ago"
	}
	return plural(int(d.Hours()/24/365), "year") + " ago"
}

// trimWriter drops the blanks at the end of each line, which tabwriter
// leaves after an empty last column: a table copied into a document
// stays the same when an editor strips them.
type trimWriter struct {
	w       io.Writer
	pending []byte // blanks not yet known to end a line
}

func (t *trimWriter) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p)+len(t.pending))
	for _, c := range p {
		switch c {
		case ' ':
			t.pending = append(t.pending, c)
			continue
		case '\n':
			t.pending = t.pending[:0]
		default:
			out = append(out, t.pending...)
			t.pending = t.pending[:0]
		}
		out = append(out, c)
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
