package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer/tree"
	"github.com/tardigest/tardigest/tarball"
)

func at(i int) *int { return &i }

// twoImages is a result with an error about image 1, a warning about
// the archive and an info finding about image 0.
func twoImages() *tarball.Result {
	return &tarball.Result{
		Archive: tarball.Archive{Container: tarball.ContainerTar, Format: tarball.FormatDockerArchive},
		Images: []*tarball.Image{
			{Sources: []string{"manifest.json[0]"}, RepoTags: []string{"a:1"}, ImageID: digest.FromString("a"), Registry: tarball.Registry{Status: tarball.RegistryNotStored, Reason: "not stored in this archive (written by x)"}},
			{Sources: []string{"manifest.json[1]"}, RepoTags: []string{"b:1"}, ImageID: digest.FromString("b"), Registry: tarball.Registry{Status: tarball.RegistryNotStored, Reason: "not stored in this archive (written by x)"}},
		},
		Findings: []tarball.Finding{
			{Severity: tarball.SeverityError, Class: "mismatch", Kind: "diff_id_mismatch", Subject: "image[1] layer[0]", Image: at(1), Message: "m", Err: tarball.ErrMismatch},
			{Severity: tarball.SeverityWarning, Class: "info", Kind: "missing_oci_layout", Subject: "oci-layout", Message: "m"},
			{Severity: tarball.SeverityInfo, Class: "info", Kind: "lowercase_keys", Subject: "manifest.json", Image: at(0), Message: "m"},
		},
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name                 string
		opts                 Options
		wantImages           int
		wantFindings         int
		wantErrors, wantWarn int
		wantStatus, wantMsg  string
	}{
		{"inspect all", Options{Command: "inspect", Image: -1}, 2, 3, 1, 1, "inspected", "1 error, 1 warning; run verify to fail on them"},
		{"verify all", Options{Command: "verify", Image: -1}, 2, 3, 1, 1, "failed", "FAILED: 1 error, 1 warning"},
		{"verify image 0: the other image's error is left out", Options{Command: "verify", Image: 0}, 1, 2, 0, 1, "verified", "verified: every claim checked matched (1 warning)"},
		{"verify image 1", Options{Command: "verify", Image: 1}, 1, 2, 1, 1, "failed", "FAILED: 1 error, 1 warning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := Build(twoImages(), tt.opts)
			v := doc.Verdict
			if len(doc.Images) != tt.wantImages || len(doc.Findings) != tt.wantFindings || v.Errors != tt.wantErrors || v.Warnings != tt.wantWarn || v.Status != tt.wantStatus || v.Message != tt.wantMsg {
				t.Errorf("%d images, %d findings, verdict %+v; want %d, %d, %d errors, %d warnings, %s %q",
					len(doc.Images), len(doc.Findings), v, tt.wantImages, tt.wantFindings, tt.wantErrors, tt.wantWarn, tt.wantStatus, tt.wantMsg)
			}
			if (doc.SelectedImage != nil) != (tt.opts.Image >= 0) {
				t.Errorf("selected image %v with Options.Image %d", doc.SelectedImage, tt.opts.Image)
			}
		})
	}
	// Nothing is null in the JSON document, even for an empty result.
	var b bytes.Buffer
	if err := JSON(&b, Build(&tarball.Result{}, Options{Command: "inspect", Image: -1})); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "null") || !strings.HasSuffix(b.String(), "}\n") {
		t.Errorf("empty document:\n%s", b.String())
	}
}

func TestAddProof(t *testing.T) {
	verified := tarball.Expectation{Verified: true}
	notVerified := tarball.Expectation{}
	tests := []struct {
		name       string
		exp        []tarball.Expectation
		proof      *tarball.Proof
		want       bool
		wantErrors int
	}{
		{"every expectation verified", []tarball.Expectation{verified, verified}, nil, true, 0},
		{"one expectation failed", []tarball.Expectation{verified, notVerified}, nil, false, 1},
		{"two failed", []tarball.Expectation{notVerified, notVerified}, nil, false, 2},
		{"the proof decides over expectations", []tarball.Expectation{notVerified}, &tarball.Proof{Proven: true}, true, 0},
		{"a broken proof", []tarball.Expectation{verified}, &tarball.Proof{}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := Build(&tarball.Result{}, Options{Command: "verify", Image: -1})
			got := doc.AddProof(tt.exp, tt.proof)
			if got != tt.want || doc.Verdict.Errors != tt.wantErrors {
				t.Errorf("AddProof = %v with %d errors; want %v, %d", got, doc.Verdict.Errors, tt.want, tt.wantErrors)
			}
			if wantStatus := map[bool]string{true: "verified", false: "failed"}[tt.want]; doc.Verdict.Status != wantStatus {
				t.Errorf("status %s, want %s", doc.Verdict.Status, wantStatus)
			}
		})
	}
}

// TestTextImageHeader checks the registry line and that every line of
// an image header stays under the width: notes go beside a digest when
// they fit, under it when not, and explanations only with Verbose.
func TestTextImageHeader(t *testing.T) {
	d := digest.FromString("index")
	long := "not stored in this archive (its manifest was written by docker save (Docker 25-28, classic image store) over uncompressed layers)"
	img := func(reg tarball.Registry, origin tarball.ManifestOrigin) *tarball.Image {
		return &tarball.Image{RepoTags: []string{"a:1"}, ImageID: digest.FromString("config"), ConfigPath: "blobs/sha256/" + digest.FromString("config").Encoded(),
			ManifestDigest: d, ManifestOrigin: origin, Registry: reg}
	}
	tests := []struct {
		name    string
		img     *tarball.Image
		verbose bool
		want    []string
		notWant []string
	}{
		{"verified", img(tarball.Registry{Status: tarball.RegistryVerified, Digest: d, Reason: "stored and verified"}, tarball.OriginalManifest), false,
			[]string{"  registry     " + d.String() + " (verified)\n", "  manifest     " + d.String() + " (as pushed)\n"}, []string{"classic store"}},
		{"not stored", img(tarball.Registry{Status: tarball.RegistryProducerManifest, Reason: long}, tarball.ProducerManifest), false,
			[]string{"  registry     not stored in this archive", "uncompressed layers): use --against\n", "               the producer's own, not the registry's\n"}, nil},
		{"verbose", img(tarball.Registry{Status: tarball.RegistryVerified, Digest: d, Reason: "stored and verified"}, tarball.OriginalManifest), true,
			[]string{"               the image ID of the classic store (docker images, docker load): sha256 of the config\n               bytes, blobs/sha256/", "               stored and verified\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &tarball.Result{Images: []*tarball.Image{tt.img}}
			var b bytes.Buffer
			if err := Text(&b, Build(res, Options{Command: "inspect", Image: -1, Verbose: tt.verbose})); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("text lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("text has %q:\n%s", w, out)
				}
			}
			for _, line := range strings.Split(out, "\n") {
				if len(line) > textWidth && strings.Contains(line, " ") {
					t.Errorf("line of %d characters: %q", len(line), line)
				}
			}
		})
	}
}

// TestTextWordsHints checks that the report, not the library, names the
// flags a proof lacks.
func TestTextWordsHints(t *testing.T) {
	doc := Build(&tarball.Result{}, Options{Command: "verify", Image: -1})
	doc.AddProof([]tarball.Expectation{{
		Digest:     digest.FromString("x"),
		Messages:   []string{"no object in this archive has digest x"},
		Unprovable: &tarball.Unprovable{Name: "a:1", Registry: tarball.Registry{Reason: "not stored in this archive (written by x)"}},
	}}, &tarball.Proof{Links: []tarball.Link{
		{Step: "registry digest", Status: tarball.LinkUnchecked, Message: "no registry digest given", Hint: tarball.HintRegistryDigest},
		{Step: "index -> platform manifest", Status: tarball.LinkBroken, Message: "no manifest for platform", Hint: tarball.HintPlatform},
		{Step: "index -> platform manifest", Status: tarball.LinkBroken, Message: "neither captured nor stored", Hint: tarball.HintCapturedManifest},
	}})
	var b bytes.Buffer
	if err := Text(&b, doc); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(b.String()), " ") // unwrapped
	for _, want := range []string{
		"the registry digest of a:1 is not stored in this archive (written by x); a compressed layer digest",
		"no registry digest given; pass --expect with the registry's digest to prove it",
		"no manifest for platform (choose one with --platform)",
		"neither captured nor stored; capture it where the registry is and pass it with --against",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	var j bytes.Buffer
	if err := JSON(&j, doc); err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(j.Bytes(), &v); err != nil || strings.Contains(j.String(), "--") {
		t.Errorf("the JSON names no flag and parses (%v):\n%s", err, j.String())
	}
}

// TestVerdictSaysArtifact: an archive whose images are artifacts
// verifies, and its verdict says what was not checked.
func TestVerdictSaysArtifact(t *testing.T) {
	res := twoImages()
	res.Findings = nil
	res.Images[0].Artifact = true
	tests := []struct {
		image int
		want  string
	}{
		{0, "verified: every claim checked matched (0 warnings); 1 artifact is not an image: only the digests and sizes of its blobs were checked, not what they hold"},
		{1, "verified: every claim checked matched (0 warnings)"},
		{-1, "verified: every claim checked matched (0 warnings); 1 artifact is not an image: only the digests and sizes of its blobs were checked"},
	}
	for _, tt := range tests {
		if got := Build(res, Options{Command: "verify", Image: tt.image}).Verdict.Message; got != tt.want {
			t.Errorf("image %d: verdict %q, want %q", tt.image, got, tt.want)
		}
	}
}

// TestJSONStreamsImages: the document written image by image is byte for
// byte the one encoding/json writes whole.
func TestJSONStreamsImages(t *testing.T) {
	for _, res := range []*tarball.Result{twoImages(), evilResult(), {}} {
		doc := Build(res, Options{Command: "inspect", Image: -1, Source: `a "images": [] b`})
		var got, want bytes.Buffer
		if err := JSON(&got, doc); err != nil {
			t.Fatal(err)
		}
		if err := JSONValue(&want, doc); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("streamed JSON differs:\n%s\nwant:\n%s", got.String(), want.String())
		}
	}
}

// TestTextEscapesArchiveNames: names taken from layers (finding subjects
// and messages, listed paths, wasted paths) reach the terminal escaped, so
// a name cannot clear the screen or fake a line of the report.
func TestTextEscapesArchiveNames(t *testing.T) {
	const evil = "usr/\x1b[2J\rverified: every claim checked matched\n"
	res := twoImages()
	res.Findings = []tarball.Finding{{Severity: tarball.SeverityInfo, Class: "info", Kind: "symlink_escapes_root",
		Subject: "image[0] layer[1] " + evil, Message: "symlink target " + evil}}
	var out bytes.Buffer
	if err := Text(&out, Build(res, Options{Command: "inspect", Image: -1})); err != nil {
		t.Fatal(err)
	}
	rows := []FileRow{{Path: evil, Type: tree.TypeSymlink, Link: evil}, {Path: evil, Type: tree.TypeFile}}
	walk := func(yield func(FileRow) error) error {
		for _, r := range rows {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := Files(&out, walk); err != nil {
		t.Fatal(err)
	}
	img := &tarball.Image{Content: &tarball.ImageContent{Waste: tree.Waste{Paths: []tree.WastedPath{{Path: evil, Layers: []int{0}}}}}}
	if err := Waste(&out, BuildWaste(img, 0, "x", nil), 0); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(out.Bytes(), "\x1b\r") || bytes.Contains(out.Bytes(), []byte("\nverified")) {
		t.Errorf("raw control characters in the output:\n%q", out.String())
	}
	if !bytes.Contains(out.Bytes(), []byte(`usr/\x1b[2J\rverified`)) {
		t.Errorf("the name is not shown escaped:\n%q", out.String())
	}
}
