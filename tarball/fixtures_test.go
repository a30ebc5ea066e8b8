package tarball_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/tarball"
)

// The one fixture harness. Two corpora of real archives, each archive
// with an expected.json in one format (shared/fixtures/README.md), whose
// values were computed with sha256sum, gzip, zstd and jq, never with
// tardigest:
//
//   - realFixtures: the shared corpus of archives made by other projects,
//     checked out beside this repository (as CI does), one directory per
//     fixture;
//   - testdata/archives: this repository's own fixtures, written by
//     skopeo, umoci, pigz and zstd or by hand to a producer's layout
//     (testdata/archives/README.md), with <fixture>.expected.json beside
//     each.
//
// Some expected.json files carry more than the shared format: the checks
// of those extensions (mismatches, absent_platforms, absent_blobs,
// index_digests, truncated_at, an image's platform) run where present.

// realFixtures is where CI checks out the shared corpus of archives made
// by other tools, beside this repository (see fixtures/README.md there).
const realFixtures = "../../shared/fixtures/real"

// ownFixtures holds this repository's fixtures and their expected.json.
const ownFixtures = "../testdata/archives"

// ownMinFixtures guards against a checkout that lost fixtures: a glob that
// matches nothing would otherwise pass.
const ownMinFixtures = 10

// expectedFile mirrors the parts of a fixture's expected.json that the
// tests compare. A JSON null decodes to the zero value, which is also
// what tardigest reports for "does not exist"; nil slices tell an absent
// extension from an empty one.
type expectedFile struct {
	Fixture         string            `json:"fixture"`
	Payload         string            `json:"payload"`
	Container       string            `json:"container"`
	Format          string            `json:"format"`
	IndexJSONDigest string            `json:"index_json_digest"`
	OCIIndex        []expectedNode    `json:"oci_index"`
	Unreferenced    []expectedBlob    `json:"unreferenced_blobs"`
	Images          []expectedImage   `json:"images"`
	Consistent      bool              `json:"consistent"`
	Problems        []expectedProblem `json:"problems"`

	// Extensions, checked where present.
	// IndexDigests are the digests of every image index above any image.
	IndexDigests []string `json:"index_digests"`
	// AbsentPlatforms are the platforms a nested index lists whose
	// manifest is not stored; AbsentBlobs their digests.
	AbsentPlatforms []string `json:"absent_platforms"`
	AbsentBlobs     []string `json:"absent_blobs"`
	// Mismatches are the false claims of a tampered fixture, each with
	// the claimed and the actual digest; no other error may be reported.
	Mismatches []expectedMismatch `json:"mismatches"`
	// TruncatedAt is set for an archive cut short: Open must fail naming
	// the entry whose body is cut.
	TruncatedAt *int64 `json:"truncated_at"`
}

// expectedMismatch is a false claim of a tampered fixture.
type expectedMismatch struct {
	What    string `json:"what"` // diff_id, layer_digest or config
	Layer   *int   `json:"layer"`
	Claimed string `json:"claimed"`
	Actual  string `json:"actual"`
}

type expectedNode struct {
	Where    string         `json:"where"`
	Digest   string         `json:"digest"`
	Present  bool           `json:"present"`
	Kind     string         `json:"kind"` // "" (null) for an absent blob
	Children []expectedNode `json:"children"`
}

type expectedBlob struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
}

type expectedImage struct {
	Sources        []string          `json:"sources"`
	Platform       *tarball.Platform `json:"platform"`
	ImageID        string            `json:"image_id"`
	ManifestDigest string            `json:"manifest_digest"`
	RepoTags       []string          `json:"repo_tags"`
	RefNames       []string          `json:"ref_names"`
	DiffIDs        []string          `json:"diff_ids"`
	V1Chain        []string          `json:"v1_chain"`
	Layers         []expectedLayer   `json:"layers"`
	Problems       []expectedProblem `json:"problems"`
}

type expectedLayer struct {
	Path             string `json:"path"`
	Present          bool   `json:"present"`
	StoredDigest     string `json:"stored_digest"`
	StoredSize       int64  `json:"stored_size"`
	Compression      string `json:"compression"`
	DiffID           string `json:"diff_id"`
	UncompressedSize int64  `json:"uncompressed_size"`
}

type expectedProblem struct {
	Severity string `json:"severity"`
	Kind     string `json:"kind"`
	Where    string `json:"where"`
}

// ourKind maps a problem kind of expected.json to the finding kind
// tardigest emits for it, where the names differ. Kinds absent from the
// map have the same name on both sides. openError marks problems that make
// tarball.Open fail instead of producing a finding.
const openError = "(Open returns an error)"

var ourKind = map[string]string{
	// Expected as a warning only; tardigest reports it as info.
	"missing_blob_partial_index": "absent_platform",
	// A payload that is no tar, or a tar without entries, cannot be read:
	// walkTar returns ErrMalformed and there is no Result.
	"not_a_tar":    openError,
	"not_an_image": openError,
}

func mapKind(theirs string) string {
	if k, ok := ourKind[theirs]; ok {
		return k
	}
	return theirs
}

// fixture is one archive of either corpus.
type fixture struct {
	name    string
	payload string // path of the archive file or layout directory
	own     bool   // from testdata/archives
	want    expectedFile
}

// loadFixtures reads every fixture of both corpora. It skips the shared
// corpus when it is not checked out, except in CI, which always has it.
func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	return append(loadOwnFixtures(t), loadRealFixtures(t)...)
}

// loadOwnFixtures reads testdata/archives/*.expected.json.
func loadOwnFixtures(t *testing.T) []fixture {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(ownFixtures, "*.expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) < ownMinFixtures {
		t.Fatalf("%s holds %d fixtures with an expected.json, want at least %d", ownFixtures, len(matches), ownMinFixtures)
	}
	var fixtures []fixture
	for _, m := range matches {
		name := strings.TrimSuffix(filepath.Base(m), ".expected.json")
		want := readExpected(t, m)
		if want.Fixture != name || want.Payload != name {
			t.Fatalf("%s: fixture %q, payload %q; want %q", m, want.Fixture, want.Payload, name)
		}
		fixtures = append(fixtures, fixture{name: name, payload: filepath.Join(ownFixtures, name), own: true, want: want})
	}
	return fixtures
}

// loadRealFixtures reads the shared corpus, one directory per fixture.
func loadRealFixtures(t *testing.T) []fixture {
	t.Helper()
	dirs, err := os.ReadDir(realFixtures)
	if errors.Is(err, os.ErrNotExist) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI must check out the shared fixtures beside the repository", realFixtures)
		}
		t.Logf("%s is missing: check out the shared fixtures beside the repository to test against them", realFixtures)
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var fixtures []fixture
	for _, d := range dirs {
		path := filepath.Join(realFixtures, d.Name(), "expected.json")
		if _, err := os.Stat(path); !d.IsDir() || errors.Is(err, os.ErrNotExist) {
			continue // LICENSES and the like
		}
		want := readExpected(t, path)
		if want.Payload == "" || strings.ContainsAny(want.Payload, `/\`) {
			t.Fatalf("%s: bad payload %q", path, want.Payload)
		}
		fixtures = append(fixtures, fixture{name: d.Name(), payload: filepath.Join(realFixtures, d.Name(), want.Payload), want: want})
	}
	if len(fixtures) == 0 {
		t.Fatalf("%s has no fixture with an expected.json", realFixtures)
	}
	return fixtures
}

func readExpected(t *testing.T, path string) expectedFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want expectedFile
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return want
}

// fixtureNamed returns the fixture called name.
func fixtureNamed(t *testing.T, all []fixture, name string) fixture {
	t.Helper()
	for _, fx := range all {
		if fx.name == name {
			return fx
		}
	}
	t.Fatalf("fixture %s is missing", name)
	return fixture{}
}

func TestFixtures(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			checkFixture(t, fx)
		})
	}
}

func checkFixture(t *testing.T, fx fixture) {
	want := fx.want
	errorf := func(field string, w, g any) {
		t.Helper()
		t.Errorf("%s: %s: want %v, got %v", fx.name, field, w, g)
	}

	wantErrors := wantErrorKinds(want)
	res, err := tarball.Open(context.Background(), fx.payload, tarball.Options{})
	if want.TruncatedAt != nil {
		checkTruncated(t, fx, res, err)
		return
	}
	if err != nil {
		if slices.Contains(wantErrors, openError) && errors.Is(err, tarball.ErrMalformed) && !want.Consistent {
			return // the payload is no image archive at all; nothing else to compare
		}
		t.Fatalf("%s: Open: %v (expected problems: %v)", fx.name, err, wantErrors)
	}

	checkKinds(t, res)
	if string(res.Archive.Container) != want.Container {
		errorf("container", want.Container, res.Archive.Container)
	}
	if string(res.Archive.Format) != want.Format {
		errorf("format", want.Format, res.Archive.Format)
	}
	if string(res.Archive.IndexJSONDigest) != want.IndexJSONDigest {
		errorf("index_json_digest", q(want.IndexJSONDigest), q(string(res.Archive.IndexJSONDigest)))
	}

	compareImages(t, fx.name, want.Images, res.Images, errorf)
	compareIndex(fx.name, "oci_index", want.OCIIndex, res.Index, errorf)

	var wantBlobs, gotBlobs []string
	for _, b := range want.Unreferenced {
		wantBlobs = append(wantBlobs, b.Path+" "+b.Digest)
	}
	for _, b := range res.Unreferenced {
		gotBlobs = append(gotBlobs, b.Path+" "+string(b.Digest))
	}
	if !sameSet(wantBlobs, gotBlobs) {
		errorf("unreferenced_blobs", wantBlobs, gotBlobs)
	}

	// The verdict, and every expected error problem.
	var gotErrors []string
	for _, f := range res.Findings {
		if f.Severity == tarball.SeverityError {
			gotErrors = append(gotErrors, f.Kind)
		}
	}
	sort.Strings(gotErrors)
	if got := res.Err(-1) == nil; got != want.Consistent {
		errorf("consistent", want.Consistent, fmt.Sprintf("%v\n\twant error kinds %v\n\tgot  error kinds %v", got, wantErrors, gotErrors))
	}
	var lacking []string
	for _, k := range wantErrors {
		if !slices.Contains(gotErrors, k) {
			lacking = append(lacking, k)
		}
	}
	if len(lacking) > 0 {
		errorf("problems", fmt.Sprintf("error findings of kinds %v", lacking),
			fmt.Sprintf("none\n\twant error kinds %v\n\tgot  error kinds %v", wantErrors, gotErrors))
	}
	checkExtensions(t, fx, res)
}

// wantErrorKinds returns, sorted and in tardigest's names, the kinds of
// every expected problem of severity error, archive-level and per image.
func wantErrorKinds(want expectedFile) []string {
	var kinds []string
	add := func(ps []expectedProblem) {
		for _, p := range ps {
			if p.Severity == "error" {
				kinds = append(kinds, mapKind(p.Kind))
			}
		}
	}
	add(want.Problems)
	for _, img := range want.Images {
		add(img.Problems)
		for _, l := range img.Layers {
			// A stream that fails gzip -t / zstd -t is a corrupt_compression
			// finding, not a different compression.
			if strings.HasSuffix(l.Compression, "(corrupt)") {
				kinds = append(kinds, "corrupt_compression")
			}
		}
	}
	sort.Strings(kinds)
	return kinds
}

// imageKey identifies an image across both sides: its image ID and its
// ordered stored layer digests, or its v1 chain when there is no config.
func imageKey(imageID string, v1Chain, layerDigests []string) string {
	return imageID + " v1=" + strings.Join(v1Chain, ",") + " layers=" + strings.Join(layerDigests, ",")
}

func compareImages(t *testing.T, name string, want []expectedImage, got []*tarball.Image, errorf func(string, any, any)) {
	t.Helper()
	if len(got) != len(want) {
		errorf("image count", len(want), len(got))
	}
	ours := map[string]*tarball.Image{}
	for i, img := range got {
		var digests []string
		for _, l := range img.Layers {
			digests = append(digests, string(l.Digest))
		}
		k := imageKey(string(img.ImageID), img.V1Chain, digests)
		if _, dup := ours[k]; dup {
			errorf(fmt.Sprintf("images[%d]", i), "distinct images (duplicates are merged)", "a second image "+k)
		}
		ours[k] = img
	}
	for i, w := range want {
		var digests []string
		for _, l := range w.Layers {
			digests = append(digests, l.StoredDigest)
		}
		k := imageKey(w.ImageID, w.V1Chain, digests)
		g, ok := ours[k]
		field := fmt.Sprintf("images[%d] (%s)", i, strings.Join(w.Sources, ", "))
		if !ok {
			errorf(field, k, fmt.Sprintf("no image with that image ID and layers; ours are %v", slices.Sorted(maps.Keys(ours))))
			continue
		}
		compareImage(field, w, g, errorf)
	}
}

func compareImage(field string, w expectedImage, g *tarball.Image, errorf func(string, any, any)) {
	if string(g.ImageID) != w.ImageID {
		errorf(field+" image_id", q(w.ImageID), q(string(g.ImageID)))
	}
	if string(g.ManifestDigest) != w.ManifestDigest {
		errorf(field+" manifest_digest", q(w.ManifestDigest), q(string(g.ManifestDigest)))
	}
	if !sameSet(w.RepoTags, g.RepoTags) {
		errorf(field+" repo_tags", w.RepoTags, g.RepoTags)
	}
	if !sameSet(w.RefNames, g.RefNames) {
		errorf(field+" ref_names", w.RefNames, g.RefNames)
	}
	// Only a descriptor's platform is expected; without one tardigest
	// falls back to the config's, which expected.json leaves null.
	if w.Platform != nil && g.Platform != w.Platform.String() {
		errorf(field+" platform", q(w.Platform.String()), q(g.Platform))
	}
	if !slices.Equal(w.V1Chain, g.V1Chain) {
		errorf(field+" v1_chain", w.V1Chain, g.V1Chain)
	}
	if len(g.Layers) != len(w.Layers) {
		errorf(field+" layer count", len(w.Layers), len(g.Layers))
		return
	}
	for j, wl := range w.Layers {
		gl := g.Layers[j]
		lf := fmt.Sprintf("%s layers[%d] (%s)", field, j, wl.Path)
		compression := strings.TrimSuffix(wl.Compression, "(corrupt)")
		for _, c := range []struct {
			name      string
			want, got any
		}{
			{"present", wl.Present, gl.Present},
			{"stored_digest", q(wl.StoredDigest), q(string(gl.Digest))},
			{"stored_size", wl.StoredSize, gl.Size},
			{"compression", q(compression), q(string(gl.Compression))},
			{"diff_id", q(wl.DiffID), q(string(gl.DiffID))},
			{"uncompressed_size", wl.UncompressedSize, gl.UncompressedSize},
		} {
			if c.want != c.got {
				errorf(lf+" "+c.name, c.want, c.got)
			}
		}
		if j < len(w.DiffIDs) && string(gl.ConfigDiffID) != w.DiffIDs[j] {
			errorf(fmt.Sprintf("%s diff_ids[%d]", field, j), q(w.DiffIDs[j]), q(string(gl.ConfigDiffID)))
		}
	}
}

// compareIndex compares the descriptor trees reachable from index.json,
// node by node in order.
func compareIndex(name, field string, want []expectedNode, got []*tarball.IndexNode, errorf func(string, any, any)) {
	if len(got) != len(want) {
		errorf(field+" node count", len(want), len(got))
		return
	}
	for i, w := range want {
		g := got[i]
		f := fmt.Sprintf("%s %q", field, w.Where)
		if string(g.Digest) != w.Digest {
			errorf(f+" digest", q(w.Digest), q(string(g.Digest)))
		}
		if g.Present != w.Present {
			errorf(f+" present", w.Present, g.Present)
		}
		// expected.json has no kind for an absent blob; tardigest says
		// "absent" under a nested index and "" at the top.
		gotKind := g.Kind
		if gotKind == "absent" && !g.Present {
			gotKind = ""
		}
		if string(gotKind) != w.Kind {
			errorf(f+" kind", q(w.Kind), q(string(g.Kind)))
		}
		if g.RepeatOf != "" {
			// tardigest walks a digest repeated in one index once; the
			// children hang under the first node, which is compared.
			continue
		}
		compareIndex(name, f, w.Children, g.Children, errorf)
	}
}

// onlyReader hides every method but Read, as a pipe would.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func findingKinds(res *tarball.Result) []string {
	var kinds []string
	for _, f := range res.Findings {
		kinds = append(kinds, string(f.Severity)+":"+f.Kind)
	}
	sort.Strings(kinds)
	return kinds
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameSet reports whether a and b hold the same strings, ignoring order
// and repeats; nil and empty are the same.
func sameSet(a, b []string) bool {
	set := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	return reflect.DeepEqual(set(a), set(b))
}

// q quotes a value so that an empty one is visible in a message.
func q(s string) string { return fmt.Sprintf("%q", s) }
