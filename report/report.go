package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
}

// Verdict is the one-line outcome of a run.
type Verdict struct {
	// Status is "verified", "failed" or "inspected".
	Status   string `json:"status"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
	Message  string `json:"message"`
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
	Findings      []tarball.Finding    `json:"findings"`
	// Expectations answer each --expect digest.
	Expectations []tarball.Expectation `json:"expectations,omitempty"`
	// Proof is the chain built from --against files.
	Proof *tarball.Proof `json:"proof,omitempty"`
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
		Findings:      []tarball.Finding{},
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
	for _, f := range res.Findings {
		if opts.Image >= 0 && f.Image != nil && *f.Image != opts.Image {
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

// registryLine is the registry verdict in the image header: the reason,
// then the digest or what to do without one.
func registryLine(reg tarball.Registry) string {
	if reg.Digest != "" {
		return reg.Reason + ": " + reg.Digest.String()
	}
	return reg.Reason + ": use --against"
}

func verdict(doc *Document, command string) (string, string) {
	e, w := doc.Verdict.Errors, doc.Verdict.Warnings
	switch {
	case command != "verify":
		if e > 0 {
			return "inspected", fmt.Sprintf("%s, %s; run verify to fail on them", plural(e, "error"), plural(w, "warning"))
		}
		return "inspected", fmt.Sprintf("no errors, %s", plural(w, "warning"))
	case e > 0:
		return "failed", fmt.Sprintf("FAILED: %s, %s", plural(e, "error"), plural(w, "warning"))
	}
	return "verified", fmt.Sprintf("verified: every claim checked matched (%s)", plural(w, "warning"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// JSON writes doc as indented JSON followed by one newline.
func JSON(w io.Writer, doc *Document) error { return JSONValue(w, doc) }

// Text writes doc as a human-readable report: per image a header and a
// layer table, then the findings and one verdict line.
func Text(w io.Writer, doc *Document) error {
	ew := &errWriter{w: w}
	a := doc.Archive
	ew.printf("archive  %s\n", doc.Source)
	ew.printf("format   %s (%s)\n", a.Format, a.Container)
	if a.Producer != "" {
		ew.printf("producer %s\n", a.Producer)
	}
	if doc.SelectedImage != nil {
		ew.printf("image    %d, selected with --image\n", *doc.SelectedImage)
	} else {
		ew.printf("images   %d\n", len(doc.Images))
	}
	for k, img := range doc.Images {
		i := k
		if doc.SelectedImage != nil {
			i = *doc.SelectedImage
		}
		ew.printf("\n")
		writeImage(ew, i, img)
	}
	absent := absentPlatforms(doc.Index)
	if len(absent) > 0 {
		ew.printf("\nabsent platforms (left out when the archive was written): %s\n", strings.Join(absent, ", "))
	}
	if n := len(doc.Unreferenced); n > 0 {
		ew.printf("\nunreferenced blobs\n")
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  DIGEST\tSIZE\tKIND\n")
		for _, b := range doc.Unreferenced {
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", b.Digest, b.Size, b.Kind)
		}
		tw.Flush()
	}
	for _, e := range doc.Expectations {
		ew.printf("\nexpect %s\n", e.Digest)
		for _, m := range e.Messages {
			ew.printf("  %s\n", m)
		}
		if u := e.Unprovable; u != nil {
			ew.printf("  the registry digest of %s is %s; %s\n", u.Name, u.Registry.Reason, captureHint)
		}
	}
	if p := doc.Proof; p != nil {
		ew.printf("\nproof (--against)\n")
		for _, l := range p.Links {
			ew.printf("  %-13s %s: %s%s\n", l.Status, l.Step, l.Message, linkHint[l.Hint])
		}
		if p.Proven {
			ew.printf("  chain proven: the registry digest leads to exactly this image's config and layers\n")
		} else {
			ew.printf("  chain NOT proven\n")
		}
	}
	if len(doc.Findings) > 0 {
		ew.printf("\nfindings\n")
		for _, f := range doc.Findings {
			ew.printf("  %-7s %s: %s\n", f.Severity, Escape(f.Subject), Escape(f.Message))
		}
	}
	ew.printf("\n%s\n", doc.Verdict.Message)
	ew.printf("(--output json for every digest in full)\n")
	return ew.err
}

// linkHint words, for the command line, what a link of a proof lacks.
var linkHint = map[tarball.LinkHint]string{
	tarball.HintRegistryDigest:   "; pass --expect with the registry's digest to prove it",
	tarball.HintCapturedManifest: "; capture it where the registry is and pass it with --against",
	tarball.HintPlatform:         " (choose one with --platform)",
}

// captureHint says what to do when the archive cannot hold a registry
// digest.
const captureHint = "a compressed layer digest cannot be recomputed from content, so neither can the manifest digest: " +
	"capture the manifest where the registry is (crane manifest, skopeo inspect --raw, regctl manifest get --format raw-body) and pass it with --against"

func writeImage(ew *errWriter, i int, img *tarball.Image) {
	name := img.Name()
	if name == "" {
		name = "<untagged>"
	}
	ew.printf("image %d: %s\n", i, name)
	for _, t := range img.RepoTags[min(1, len(img.RepoTags)):] {
		ew.printf("  also tagged  %s\n", t)
	}
	if img.Platform != "" {
		ew.printf("  platform     %s\n", img.Platform)
	}
	if img.ImageID != "" {
		ew.printf("  image ID     %s  (classic store: sha256 of the config bytes, %s)\n", img.ImageID, img.ConfigPath)
	} else {
		ew.printf("  image ID     n/a: the archive holds no config\n")
	}
	if img.ContainerdImageID != "" {
		ew.printf("  containerd   %s  (image ID on the containerd store, Engine 29+: the digest index.json names)\n", img.ContainerdImageID)
	} else {
		ew.printf("  containerd   n/a: no index.json entry leads to this image\n")
	}
	switch img.ManifestOrigin {
	case tarball.OriginalManifest:
		ew.printf("  manifest     %s  (stored as written by the registry or builder)\n", img.ManifestDigest)
	case tarball.ProducerManifest:
		ew.printf("  manifest     %s  (written by the archive's producer over uncompressed layers: not the registry's)\n", img.ManifestDigest)
	default:
		ew.printf("  manifest     none stored\n")
	}
	for _, d := range img.IndexDigests {
		ew.printf("  index        %s\n", d)
	}
	ew.printf("  registry     %s\n", registryLine(img.Registry))
	if img.Created != "" {
		ew.printf("  created      %s\n", img.Created)
	}
	if img.Artifact {
		ew.printf("  artifact     yes (config %s): diffIDs not checked\n", img.ConfigMediaType)
	} else {
		writeContent(ew, img)
	}
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  #\tDIGEST\tSIZE\tCOMPRESSION\tDIFF ID\tUNCOMPRESSED\tCREATED BY\n")
	for j, l := range img.Layers {
		if !l.Present {
			fmt.Fprintf(tw, "  %d\t%s\t-\tabsent\t%s\t-\t%s\n", j, short(l.ClaimedDigest.String()), short(l.ConfigDiffID.String()), createdBy(l.CreatedBy))
			continue
		}
		fmt.Fprintf(tw, "  %d\t%s\t%d\t%s\t%s\t%d\t%s\n", j, short(l.Digest.String()), l.Size, l.Compression, short(l.DiffID.String()), l.UncompressedSize, createdBy(l.CreatedBy))
	}
	tw.Flush()
}

func absentPlatforms(nodes []*tarball.IndexNode) []string {
	var out []string
	for _, n := range nodes {
		if n.Kind == tarball.NodeAbsent {
			p := n.Platform
			if p == "" {
				p = n.Digest.String()
			}
			out = append(out, p)
		}
		out = append(out, absentPlatforms(n.Children)...)
	}
	return out
}

// short cuts a digest to algorithm and 12 hex digits, as docker does.
func short(d string) string {
	if d == "" {
		return "-"
	}
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

func createdBy(s string) string {
	return truncate(strings.Join(strings.Fields(s), " "), 60)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

// JSONValue writes any value as indented JSON followed by one newline,
// for the table commands' --output json.
func JSONValue(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
