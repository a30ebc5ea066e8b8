package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/tardigest/tardigest/tarball"
)

// SchemaVersion is the version of the JSON document; it changes only when
// a key changes meaning or disappears.
const SchemaVersion = 1

// Options select what a report shows.
type Options struct {
	// Command is "inspect" or "verify"; it words the verdict.
	Command string
	// Image is the index of the one image to show, or -1 for all.
	Image int
	// Source names the archive as the user gave it.
	Source string
	// Verbose explains, in the text report, what each identity is.
	Verbose bool
}

// Verdict is the one-line outcome of a run.
type Verdict struct {
	// Status is "verified", "failed", "unverifiable" (verify: the archive
	// claims no digest, so nothing could be checked), "inspected", or
	// "unreadable" (see Unreadable).
	Status   string `json:"status"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
	Message  string `json:"message"`
	// ExitCode is the exit code of the run, set by the program that
	// prints the document: the verdict for a script that reads only the
	// JSON.
	ExitCode int `json:"exit_code"`
}

// Unreadable is the JSON document of a run whose archive could not be
// read at all, so that a script asking for JSON always gets one
// document: its verdict is "unreadable", Error says why.
type Unreadable struct {
	SchemaVersion int     `json:"schema_version"`
	Command       string  `json:"command"`
	Source        string  `json:"source"`
	Verdict       Verdict `json:"verdict"`
	Error         string  `json:"error"`
}

// NewUnreadable is the document of a run of command on source that
// failed with err and exits with exitCode.
func NewUnreadable(command, source string, err error, exitCode int) *Unreadable {
	return &Unreadable{
		SchemaVersion: SchemaVersion, Command: command, Source: source, Error: err.Error(),
		Verdict: Verdict{Status: "unreadable", Errors: 1, Message: "UNREADABLE: " + err.Error(), ExitCode: exitCode},
	}
}

// Document is the JSON report.
type Document struct {
	SchemaVersion int    `json:"schema_version"`
	Command       string `json:"command"`
	Source        string `json:"source"`
	// SelectedImage is the position in the archive of the one image shown
	// when --image chose it.
	SelectedImage *int                 `json:"selected_image,omitempty"`
	Archive       tarball.Archive      `json:"archive"`
	Verdict       Verdict              `json:"verdict"`
	Images        []*tarball.Image     `json:"images"`
	Index         []*tarball.IndexNode `json:"index"`
	Unreferenced  []tarball.Blob       `json:"unreferenced_blobs"`
	// Attachments are every attachment of the archive, whichever image
	// is shown: Image.SignedBy and the text report refer to them by
	// position.
	Attachments []*tarball.Attachment `json:"attachments"`
	// Key names the key signatures were verified with, if one was given.
	Key      string            `json:"key,omitempty"`
	Findings []tarball.Finding `json:"findings"`
	// Expectations answer each --expect digest.
	Expectations []tarball.Expectation `json:"expectations,omitempty"`
	// Proof is the chain built from --against files.
	Proof *tarball.Proof `json:"proof,omitempty"`

	// verbose is Options.Verbose, for Text.
	verbose bool
	// unverifiable is set when nothing shown claims a digest.
	unverifiable bool
	// attached is what Text shows of the attachments; failedImages the
	// images with an error finding, once Text asks.
	attached     attachedView
	failedImages map[int]bool
}

// Build assembles the Document for res under opts, keeping only the
// selected image and the findings that concern it.
func Build(res *tarball.Result, opts Options) *Document {
	doc := &Document{
		SchemaVersion: SchemaVersion,
		Command:       opts.Command,
		Source:        opts.Source,
		Archive:       res.Archive,
		Images:        res.Images,
		Index:         res.Index,
		Unreferenced:  res.Unreferenced,
		Attachments:   res.Attachments,
		Key:           res.Key,
		Findings:      []tarball.Finding{},
		verbose:       opts.Verbose,
		unverifiable:  res.Unverifiable(opts.Image),
		attached:      newAttachedView(res),
	}
	if opts.Image >= 0 && opts.Image < len(res.Images) {
		doc.Images = []*tarball.Image{res.Images[opts.Image]}
		doc.SelectedImage = &opts.Image
	}
	if doc.Images == nil {
		doc.Images = []*tarball.Image{}
	}
	if doc.Index == nil {
		doc.Index = []*tarball.IndexNode{}
	}
	if doc.Unreferenced == nil {
		doc.Unreferenced = []tarball.Blob{}
	}
	if doc.Attachments == nil {
		doc.Attachments = []*tarball.Attachment{}
	}
	scope := res.Scope(opts.Image)
	for _, f := range res.Findings {
		if opts.Image >= 0 && f.Image != nil && !scope[*f.Image] {
			continue
		}
		doc.Findings = append(doc.Findings, f)
		switch f.Severity {
		case tarball.SeverityError:
			doc.Verdict.Errors++
		case tarball.SeverityWarning:
			doc.Verdict.Warnings++
		}
	}
	doc.Verdict.Status, doc.Verdict.Message = verdict(doc, opts.Command)
	return doc
}

// AddProof records the answers to --expect and --against, counts their
// failures into the verdict, and reports whether they all held: the chain
// when there is one, else every expectation.
func (doc *Document) AddProof(exp []tarball.Expectation, proof *tarball.Proof) bool {
	doc.Expectations, doc.Proof = exp, proof
	failed := 0
	if proof != nil {
		if !proof.Proven {
			failed++
		}
	} else {
		for _, e := range exp {
			if !e.Verified {
				failed++
			}
		}
	}
	doc.Verdict.Errors += failed
	doc.Verdict.Status, doc.Verdict.Message = verdict(doc, doc.Command)
	return failed == 0
}

func verdict(doc *Document, command string) (string, string) {
	e, w := doc.Verdict.Errors, doc.Verdict.Warnings
	switch {
	case command != "verify":
		if e > 0 {
			return "inspected", fmt.Sprintf("%s, %s; run verify to fail on them", plural(e, "error"), plural(w, "warning"))
		}
		return "inspected", fmt.Sprintf("no errors, %s%s", plural(w, "warning"), artifactNote(doc.unattached()))
	case e > 0:
		return "failed", fmt.Sprintf("FAILED: %s, %s", plural(e, "error"), plural(w, "warning"))
	case doc.unverifiable:
		return "unverifiable", fmt.Sprintf("NOT VERIFIED: the archive claims no digest (no config, no manifest), so nothing could be checked; "+
			"the digests above are computed, not verified (%s)", plural(w, "warning"))
	}
	msg := fmt.Sprintf("verified: every claim checked matched (%s)%s", plural(w, "warning"), artifactNote(doc.unattached()))
	if doc.Key != "" && doc.allSigned() {
		msg += "; signed by " + keyName(doc.Key)
	}
	return "verified", msg
}

// artifactNote says, after a verdict, which of the images shown are not
// images at all: the digests and sizes of their blobs were checked, not
// what the blobs hold, and the verdict must not claim more. Attachments
// (signatures, referrers) are left out: their lines under their image
// say what they are and what was checked.
func artifactNote(images []*tarball.Image) string {
	n := 0
	for _, img := range images {
		if img.Artifact {
			n++
		}
	}
	switch {
	case n == 0:
		return ""
	case n == len(images):
		return fmt.Sprintf("; %s not an image: only the digests and sizes of %s blobs were checked, not what they hold", isAre(n, "artifact"), itsTheir(n))
	}
	return fmt.Sprintf("; %s not an image: only the digests and sizes of %s blobs were checked", isAre(n, "artifact"), itsTheir(n))
}

func isAre(n int, word string) string {
	if n == 1 {
		return "1 " + word + " is"
	}
	return fmt.Sprintf("%d %ss are", n, word)
}

func itsTheir(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// JSON writes doc as indented JSON followed by one newline. The images
// are encoded one at a time into w, so the output of an archive with many
// images is never held in memory whole: inspect -o json needs no more
// memory than verify.
func JSON(w io.Writer, doc *Document) error {
	shell := *doc
	shell.Images = []*tarball.Image{}
	var head bytes.Buffer
	if err := JSONValue(&head, &shell); err != nil {
		return err
	}
	b := head.Bytes()
	// The first line that opens the images key at the top level: no
	// string before it can hold it, as encoded quotes are escaped.
	key := []byte("\n  \"images\": []")
	i := bytes.Index(b, key)
	if i < 0 || len(doc.Images) == 0 {
		_, err := w.Write(b)
		return err
	}
	ew := &errWriter{w: w}
	ew.Write(b[:i+len(key)-1])
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	enc.SetIndent("    ", "  ")
	enc.SetEscapeHTML(false)
	for k, img := range doc.Images {
		sep := ",\n    "
		if k == 0 {
			sep = "\n    "
		}
		ew.Write([]byte(sep))
		one.Reset()
		if err := enc.Encode(img); err != nil {
			return err
		}
		ew.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
	}
	ew.Write([]byte("\n  ]"))
	ew.Write(b[i+len(key):])
	return ew.err
}

// JSONValue writes any value as indented JSON followed by one newline,
// for the table commands' --output json.
func JSONValue(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
