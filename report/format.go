package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
)

// templateFuncs are the functions a --format template may call, as in
// docker's: json prints a value as compact JSON without escaping <, >
// and &, as docker's does.
var templateFuncs = template.FuncMap{
	"json":  jsonString,
	"join":  strings.Join,
	"split": strings.Split,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// jsonString is a template's json: the data read exact (escapeActions
// leaves json's arguments alone), and what JSON leaves raw (bidi
// controls) written as JSON escapes, which read back the same.
func jsonString(v any) (string, error) {
	b, err := marshalJSON(v)
	return Escape(string(b)), err
}

// parseTemplate parses a --format template with templateFuncs, and makes
// every archive string it prints come out escaped (escapeActions).
func parseTemplate(text string) (*template.Template, error) {
	t, err := template.New("format").Funcs(templateFuncs).Funcs(template.FuncMap{
		escapeDataFunc:   escapeData,
		escapeOutputFunc: escapeOutput,
	}).Parse(text)
	if err != nil {
		return nil, &TemplateError{Err: err}
	}
	escapeActions(t)
	return t, nil
}

// marshalJSON is json.Marshal without escaping <, > and &.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Template executes a Go template over a whole document (inspect and
// verify's --format), with templateFuncs, and ends the output with a
// newline.
func Template(w io.Writer, text string, data any) error {
	t, err := parseTemplate(text)
	if err != nil {
		return err
	}
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

// ImagesTemplate writes the images rows through a docker images --format
// template: run once per row with docker's fields ({{.ID}},
// {{.Repository}}, {{.Tag}}, {{.Digest}}, {{.CreatedSince}},
// {{.CreatedAt}}, {{.Size}}, and {{.Platform}}); "table TEMPLATE" adds a
// header and aligns the columns, "table" alone is the default table,
// "json" is {{json .}}: one JSON object per row.
func ImagesTemplate(w io.Writer, format string, rows []ImageRow, opts TableOptions) error {
	return eachRow(w, format, imageHeader, rows, func(r ImageRow) any { return imageFields{r, opts} },
		func() error { return Images(w, rows, opts) })
}

// HistoryTemplate writes the history rows through a docker history
// --format template, as ImagesTemplate does, with docker's fields
// ({{.ID}}, {{.CreatedSince}}, {{.CreatedAt}}, {{.CreatedBy}},
// {{.Size}}, {{.Comment}}) and the layer's {{.DiffID}}.
func HistoryTemplate(w io.Writer, format string, rows []HistoryRow, opts TableOptions) error {
	return eachRow(w, format, historyHeader, rows, func(r HistoryRow) any { return historyFields{r, opts} },
		func() error { return History(w, rows, opts) })
}

// eachRow runs format over the fields of each row, or writes the
// default table for "table" alone.
func eachRow[R any](w io.Writer, format string, header map[string]string, rows []R, fields func(R) any, table func() error) error {
	if strings.TrimSpace(format) == "table" {
		return table()
	}
	values := make([]any, len(rows))
	for i, r := range rows {
		values[i] = fields(r)
	}
	return rowTemplate(w, format, header, values)
}

// rowTemplate runs format once per row as docker does: the "table"
// prefix or the "json" keyword, then \t and \n in the text as a tab and
// a newline; each row's output ends with a newline, and a table gets a
// header (the template run over the column names) and aligned columns.
func rowTemplate(w io.Writer, format string, header map[string]string, rows []any) error {
	text := format
	isTable := strings.HasPrefix(text, "table")
	switch {
	case isTable:
		text = text[len("table"):]
	case text == "json":
		text = "{{json .}}"
	}
	text = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(strings.Trim(text, " "))
	t, err := parseTemplate(text)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	for _, r := range rows {
		if err := t.Execute(&body, r); err != nil {
			return &TemplateError{Err: err}
		}
		body.WriteByte('\n')
	}
	if !isTable {
		_, err := body.WriteTo(w)
		return err
	}
	tw := tabwriter.NewWriter(&trimWriter{w: w}, 10, 1, 3, ' ', 0)
	// In the header every function returns its argument, so that
	// {{upper .Tag}} heads its column TAG.
	headerFuncs := template.FuncMap{}
	for name := range templateFuncs {
		headerFuncs[name] = func(v ...any) string { return fmt.Sprint(v[0]) }
	}
	if err := t.Funcs(headerFuncs).Execute(tw, header); err != nil {
		return &TemplateError{Err: err}
	}
	fmt.Fprintln(tw)
	if _, err := body.WriteTo(tw); err != nil {
		return err
	}
	return tw.Flush()
}

// Column names of docker's templates.
var (
	imageHeader = map[string]string{
		"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
		"CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE", "Platform": "PLATFORM",
		"Attached": "ATTACHED",
	}
	historyHeader = map[string]string{
		"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
		"Size": "SIZE", "Comment": "COMMENT", "DiffID": "DIFF ID",
	}
)

// imageFields are the fields of an images row in a template, valued as
// docker images prints them.
type imageFields struct {
	r    ImageRow
	opts TableOptions
}

// ID is the image ID, 12 hex digits unless --no-trunc.
func (f imageFields) ID() string         { return shortID(f.r.ImageID, f.opts.NoTrunc) }
func (f imageFields) Repository() string { return f.r.Repository }
func (f imageFields) Tag() string        { return f.r.Tag }
func (f imageFields) Platform() string   { return f.r.Platform }

// Digest is the registry digest, or <none>.
func (f imageFields) Digest() string {
	if f.r.Digest == "" {
		return "<none>"
	}
	return f.r.Digest.String()
}
func (f imageFields) CreatedSince() string { return since(f.r.Created, f.opts.Now) }

// CreatedAt is the creation time as docker images prints it, in UTC.
func (f imageFields) CreatedAt() string {
	t, err := time.Parse(time.RFC3339Nano, f.r.Created)
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 -0700 MST")
}
func (f imageFields) Size() string { return HumanSize(f.r.Size) }

// Attached counts what is attached to the image ("sig 2, att 1"), "-"
// for nothing.
func (f imageFields) Attached() string { return f.r.Attached.Short() }

// MarshalJSON is {{json .}}: every field, by docker's names, and
// Attached when anything is.
func (f imageFields) MarshalJSON() ([]byte, error) {
	m := map[string]string{
		"ID": f.ID(), "Repository": f.Repository(), "Tag": f.Tag(), "Digest": f.Digest(),
		"CreatedSince": f.CreatedSince(), "CreatedAt": f.CreatedAt(), "Size": f.Size(), "Platform": f.Platform(),
	}
	if f.r.Attached != nil {
		m["Attached"] = f.Attached()
	}
	return marshalJSON(m)
}

// historyFields are the fields of a history row in a template, valued
// as docker history prints them.
type historyFields struct {
	r    HistoryRow
	opts TableOptions
}

// ID is the image ID on the top row, <missing> below.
func (f historyFields) ID() string           { return historyImage(f.r.ImageID, f.opts.NoTrunc) }
func (f historyFields) CreatedSince() string { return since(f.r.Created, f.opts.Now) }

// CreatedAt is the creation time in RFC 3339, in UTC.
func (f historyFields) CreatedAt() string {
	t, err := time.Parse(time.RFC3339Nano, f.r.Created)
	if err != nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// CreatedBy is the command, cut to 45 characters unless --no-trunc.
func (f historyFields) CreatedBy() string {
	by := strings.ReplaceAll(f.r.CreatedBy, "\t", " ")
	if !f.opts.NoTrunc {
		by = truncate(by, 45)
	}
	return by
}
func (f historyFields) Size() string    { return HumanSize(f.r.UncompressedSize) }
func (f historyFields) Comment() string { return f.r.Comment }

// DiffID is the diffID of the layer the entry made (12 hex digits unless
// --no-trunc), "" when it made none.
func (f historyFields) DiffID() string {
	if f.r.DiffID == "" {
		return ""
	}
	return shortID(f.r.DiffID, f.opts.NoTrunc)
}

// MarshalJSON is {{json .}}: every field, by docker's names.
func (f historyFields) MarshalJSON() ([]byte, error) {
	return marshalJSON(map[string]string{
		"ID": f.ID(), "CreatedSince": f.CreatedSince(), "CreatedAt": f.CreatedAt(), "CreatedBy": f.CreatedBy(),
		"Size": f.Size(), "Comment": f.Comment(), "DiffID": f.DiffID(),
	})
}
