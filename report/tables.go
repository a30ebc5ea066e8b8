package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
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
}

// ImageRows lists the images of res, one row per tag (one row for an
// untagged image).
func ImageRows(res *tarball.Result) []ImageRow {
	rows := []ImageRow{}
	for i, img := range res.Images {
		base := ImageRow{ImageID: img.ImageID, Created: img.Created, Platform: img.Platform, Image: i}
		for _, l := range img.Layers {
			base.Size += l.UncompressedSize
		}
		if base.Digest = img.Registry.Digest; base.Digest == "" {
			base.DigestNote = img.Registry.Reason
		}
		names := tagNames(img)
		if len(names) == 0 {
			base.Repository, base.Tag = "<none>", "<none>"
			rows = append(rows, base)
		}
		for _, n := range names {
			r := base
			r.Repository, r.Tag = splitTag(n)
			rows = append(rows, r)
		}
	}
	return rows
}

// tagNames returns the names an image is known by: RepoTags, else
// containerd names, else ref names.
func tagNames(img *tarball.Image) []string {
	switch {
	case len(img.RepoTags) > 0:
		return img.RepoTags
	case len(img.ContainerdNames) > 0:
		return img.ContainerdNames
	}
	var out []string
	for _, r := range img.RefNames {
		out = append(out, ":"+r) // a ref name is a tag without a repository
	}
	return out
}

func splitTag(name string) (string, string) {
	i := strings.LastIndex(name, ":")
	if i < 0 || i < strings.LastIndex(name, "/") {
		return name, "latest"
	}
	repo := name[:i]
	if repo == "" {
		repo = "<none>"
	}
	return repo, name[i+1:]
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
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	head := "REPOSITORY\tTAG\t"
	if opts.Digests {
		head += "DIGEST\t"
	}
	fmt.Fprintln(tw, head+"IMAGE ID\tCREATED\tSIZE")
	for _, r := range rows {
		line := Escape(r.Repository) + "\t" + Escape(r.Tag) + "\t"
		if opts.Digests {
			d := "<none>"
			if r.Digest != "" {
				d = r.Digest.String()
			}
			line += d + "\t"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\n", line, Escape(shortID(r.ImageID, opts.NoTrunc)), since(r.Created, opts.Now), HumanSize(r.Size))
	}
	return tw.Flush()
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
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
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
	if err != nil || created == "" {
		return "N/A"
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

// Template executes a Go template (docker's --format) over data, with a
// json function, and ends the output with a newline.
func Template(w io.Writer, text string, data any) error {
	t, err := template.New("format").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return Escape(string(b)), err // JSON escapes for what JSON leaves raw
		},
		"join":           strings.Join,
		"upper":          strings.ToUpper,
		"lower":          strings.ToLower,
		escapeDataFunc:   escapeData,
		escapeOutputFunc: escapeOutput,
	}).Parse(text)
	if err != nil {
		return &TemplateError{Err: err}
	}
	escapeActions(t)
	var sb strings.Builder
	if err := t.Execute(&sb, data); err != nil {
		return &TemplateError{Err: err}
	}
	out := sb.String()
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	_, err = io.WriteString(w, out)
	return err
}

// TemplateError is a --format template that does not parse or run.
type TemplateError struct{ Err error }

func (e *TemplateError) Error() string { return "--format: " + e.Err.Error() }
func (e *TemplateError) Unwrap() error { return e.Err }
