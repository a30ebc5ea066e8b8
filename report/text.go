package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tardigest/tardigest/tarball"
)

// textWidth is the width the text report keeps its lines under: a
// line wraps at a space before it. A word longer than the width (a path)
// is never cut.
const textWidth = 99

// Text writes doc as a human-readable report: per image a header and a
// layer table, then the answers to --expect and --against, the findings
// and one verdict line. Lines wrap before textWidth; with
// Options.Verbose, each identity is explained under it.
func Text(w io.Writer, doc *Document) error {
	// Buffered: the tables write cell by cell, and an archive of
	// thousands of images would otherwise cost a write call per cell.
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := text(&errWriter{w: bw}, doc); err != nil {
		return err
	}
	return bw.Flush()
}

func text(ew *errWriter, doc *Document) error {
	a := doc.Archive
	ew.printf("archive  %s\n", doc.Source)
	ew.printf("format   %s (%s)\n", a.Format, a.Container)
	if a.Producer != "" {
		ew.printf("producer %s\n", a.Producer)
	}
	if doc.SelectedImage != nil {
		ew.printf("image    %d, selected with --image or --platform\n", *doc.SelectedImage)
	} else if n := len(doc.attached.under); n > 0 {
		ew.printf("images   %d, with %s shown under their image\n", len(doc.Images)-n, plural(n, "attachment"))
	} else {
		ew.printf("images   %d\n", len(doc.Images))
	}
	for k, img := range doc.Images {
		i := k
		if doc.SelectedImage != nil {
			i = *doc.SelectedImage
		} else if doc.attached.under[i] {
			continue
		}
		ew.printf("\n")
		writeImage(ew, i, img, doc.verbose)
		writeOwnLink(ew, doc.attached, i)
		writeAttached(ew, doc, i, img)
	}
	if absent := absentPlatforms(doc.Index); len(absent) > 0 {
		ew.printf("\n")
		ew.para("", "  ", "absent platforms (left out when the archive was written): "+strings.Join(absent, ", "))
	}
	writeUnreferenced(ew, doc.Unreferenced)
	writeExpectations(ew, doc.Expectations)
	if doc.Proof != nil {
		writeProof(ew, doc.Proof)
	}
	if len(doc.Findings) > 0 {
		ew.printf("\nfindings\n")
		for _, f := range doc.Findings {
			ew.para(fmt.Sprintf("  %-7s ", f.Severity), strings.Repeat(" ", 10), Escape(f.Subject)+": "+Escape(f.Message))
		}
	}
	ew.printf("\n")
	ew.para("", "  ", doc.Verdict.Message)
	ew.printf("(--verbose explains each identity; --output json for every digest in full)\n")
	return ew.err
}

func writeUnreferenced(ew *errWriter, blobs []tarball.Blob) {
	if len(blobs) == 0 {
		return
	}
	ew.printf("\nunreferenced blobs\n")
	tw := tabwriter.NewWriter(&trimWriter{w: ew}, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  DIGEST\tSIZE\tKIND\n")
	for _, b := range blobs {
		fprintf(tw, "  %s\t%d\t%s\n", b.Digest, b.Size, b.Kind)
	}
	tw.Flush()
}

func writeExpectations(ew *errWriter, exps []tarball.Expectation) {
	for _, e := range exps {
		ew.printf("\nexpect %s\n", e.Digest)
		for _, m := range e.Messages {
			ew.para("  ", "    ", m)
		}
		if u := e.Unprovable; u != nil {
			ew.para("  ", "    ", fmt.Sprintf("the registry digest of %s is %s; %s", u.Name, u.Registry.Reason, captureHint))
		}
	}
}

func writeProof(ew *errWriter, p *tarball.Proof) {
	ew.printf("\nproof (--against)\n")
	for _, l := range p.Links {
		ew.para(fmt.Sprintf("  %-13s ", l.Status), strings.Repeat(" ", 16), l.Step+": "+l.Message+linkHint[l.Hint])
	}
	ew.para("  ", "    ", proofConclusion(p))
}

// proofConclusion says in one sentence what the proof proved: from the
// registry digest when one was expected, else from the captured file's
// bytes only.
func proofConclusion(p *tarball.Proof) string {
	switch {
	case !p.Proven:
		return "chain NOT proven"
	case p.Expected:
		return fmt.Sprintf("chain proven: the registry digest %s leads to exactly the config and layers of image %d, %s", p.FromDigest, *p.Image, p.ImageName)
	}
	return fmt.Sprintf("chain proven from %s (whose sha256 is %s) to the config and layers of image %d, %s; "+
		"whether the registry knows the image by that digest is not checked: --expect compares it with a digest you trust",
		p.From, p.FromDigest, *p.Image, p.ImageName)
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

// writeImage writes the header and the layer table of image i: each
// identity on a line of its own, a short note beside it, and with
// verbose what it is under it.
func writeImage(ew *errWriter, i int, img *tarball.Image, verbose bool) {
	name := img.Name()
	if name == "" {
		name = "<untagged>"
	}
	ew.para("", "  ", fmt.Sprintf("image %d: %s", i, name))
	f := func(label, value, note, explain string) {
		ew.field(label, value, note)
		if verbose && explain != "" {
			ew.para(fieldIndent, fieldIndent, explain)
		}
	}
	for _, t := range img.RepoTags[min(1, len(img.RepoTags)):] {
		f("also tagged", t, "", "")
	}
	if img.Platform != "" {
		f("platform", img.Platform, "", "")
	}
	if img.ImageID != "" {
		f("image ID", img.ImageID.String(), "", "the image ID of the classic store (docker images, docker load): sha256 of the config bytes, "+img.ConfigPath)
	} else {
		f("image ID", "n/a: the archive holds no config", "", "")
	}
	if img.ContainerdImageID != "" {
		f("containerd", img.ContainerdImageID.String(), "", "the digest index.json names: the image ID of the containerd store (Docker Engine 29+)")
	} else {
		f("containerd", "n/a: no index.json entry leads to this image", "", "")
	}
	switch img.ManifestOrigin {
	case tarball.OriginalManifest:
		f("manifest", img.ManifestDigest.String(), "as pushed", "the stored manifest, as written by the registry or builder")
	case tarball.ProducerManifest:
		f("manifest", img.ManifestDigest.String(), "the producer's own, not the registry's", "written by the archive's producer over uncompressed layers: no registry knows it")
	default:
		f("manifest", "none stored", "", "")
	}
	for _, d := range img.IndexDigests {
		f("index", d.String(), "", "")
	}
	writeRegistry(f, img.Registry)
	if img.Created != "" {
		f("created", img.Created, "", "")
	}
	if img.Artifact {
		f("artifact", "not an image (config "+img.ConfigMediaType+"): its blobs' digests and sizes are checked, not what they hold", "", "")
	} else {
		writeContent(f, img)
	}
	writeLayers(ew, img.Layers)
}

// writeRegistry writes the registry verdict: the digest and its status
// when the archive holds it, else why not.
func writeRegistry(f func(label, value, note, explain string), reg tarball.Registry) {
	switch {
	case reg.Status == tarball.RegistryVerified:
		f("registry", reg.Digest.String(), "verified", reg.Reason)
	case reg.Digest != "":
		f("registry", reg.Digest.String(), reg.Reason, "")
	default:
		f("registry", reg.Reason+": use --against", "", "")
	}
}

// writeLayers writes the layer table: digests cut to 12 hex digits as
// docker prints them, commands cut to keep the line short.
func writeLayers(ew *errWriter, layers []tarball.Layer) {
	tw := tabwriter.NewWriter(&trimWriter{w: ew}, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  #\tDIGEST\tSIZE\tCOMPRESSION\tDIFF ID\tUNCOMPRESSED\tCREATED BY\n")
	for j, l := range layers {
		if !l.Present {
			fprintf(tw, "  %d\t%s\t-\tabsent\t%s\t-\t%s\n", j, short(l.ClaimedDigest.String()), short(l.ConfigDiffID.String()), createdBy(l.CreatedBy))
			continue
		}
		fprintf(tw, "  %d\t%s\t%d\t%s\t%s\t%d\t%s\n", j, short(l.Digest.String()), l.Size, l.Compression, short(l.DiffID.String()), l.UncompressedSize, createdBy(l.CreatedBy))
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

// short cuts a digest to 12 hex digits, as docker prints IDs.
func short(d string) string {
	if d == "" {
		return "-"
	}
	_, hex, found := strings.Cut(d, ":")
	if !found {
		hex = d
	}
	if len(hex) > 12 {
		return hex[:12]
	}
	return hex
}

// createdBy is a history command on one line, cut so that a layer row
// stays under the width.
func createdBy(s string) string {
	return truncate(strings.Join(strings.Fields(s), " "), 30)
}

// fieldIndent indents the value of an image header line, and every line
// under it.
const fieldIndent = "               "

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

// printf prints with a format of ours; every string argument, which may
// come from the archive, is escaped (see Escape).
func (e *errWriter) printf(format string, args ...any) { fprintf(e, format, args...) }

// field writes one line of an image header: the label, the value, and
// the note in parentheses beside it when the line stays under the width,
// else wrapped on the lines under it.
func (e *errWriter) field(label, value, note string) {
	line := fmt.Sprintf("  %-12s %s", label, value)
	switch {
	case note == "":
		e.para("", fieldIndent, line)
	case len(line)+len(note)+3 <= textWidth:
		e.printf("%s (%s)\n", line, note)
	default:
		e.para("", fieldIndent, line)
		e.para(fieldIndent, fieldIndent, note)
	}
}

// para writes text wrapped at spaces before textWidth: the first line
// starts with first, the others with rest.
func (e *errWriter) para(first, rest, text string) {
	for i, line := range wrap(text, textWidth-len(first), textWidth-len(rest)) {
		prefix := rest
		if i == 0 {
			prefix = first
		}
		e.printf("%s%s\n", prefix, line)
	}
}

// wrap breaks text at spaces into lines of at most firstWidth, then
// width, characters; a longer word has a line of its own.
func wrap(text string, firstWidth, width int) []string {
	var lines []string
	line, limit := "", firstWidth
	for i, word := range strings.Split(text, " ") {
		switch {
		case i == 0:
			line = word
		case len(line)+1+len(word) <= limit:
			line += " " + word
		default:
			lines = append(lines, line)
			line, limit = word, width
		}
	}
	return append(lines, line)
}
