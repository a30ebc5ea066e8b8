package tarball_test

// Tests against testdata/archives: real archives written by skopeo, umoci,
// pigz and zstd (or by hand to a documented producer layout), each with a
// <fixture>.expected.json whose values were computed with sha256sum, gzip,
// zstd and jq, never with tardigest. See testdata/archives/README.md.
//
// Every identifier here starts with "ar" so that this file can live beside
// the other tests of package tarball_test without clashing.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/tarball"
)

const (
	arDir = "../testdata/archives"
	// arMinFixtures guards against a checkout that lost fixtures: a glob
	// that matches nothing would otherwise pass.
	arMinFixtures = 10
	// arSourceImageID is the image ID of the source image every
	// single-image positive fixture holds (README: "The source image").
	arSourceImageID = "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0"
)

// arExpected mirrors the fields of <fixture>.expected.json that the tests
// compare. Pointers and nil slices tell JSON null or an absent field from
// an empty value.
type arExpected struct {
	Fixture         string           `json:"fixture"`
	Container       string           `json:"container"`
	Format          string           `json:"format"`
	Images          []arWantImage    `json:"images"`
	IndexDigests    []string         `json:"index_digests"`
	AbsentPlatforms []string         `json:"absent_platforms"`
	AbsentBlobs     []string         `json:"absent_blobs"`
	Unreferenced    []string         `json:"unreferenced_blobs"` // nil: not listed
	Expect          string           `json:"expect"`             // "", "mismatch" or "malformed"
	Broken          string           `json:"broken"`
	Mismatches      []arWantMismatch `json:"mismatches"`
}

type arWantImage struct {
	RepoTags       []string      `json:"repo_tags"`
	RefNames       []string      `json:"ref_names"`
	ImageID        string        `json:"image_id"`
	ManifestDigest *string       `json:"manifest_digest"`
	Platform       *string       `json:"platform"`
	Layers         []arWantLayer `json:"layers"`
}

type arWantLayer struct {
	Digest           string  `json:"digest"`
	Size             int64   `json:"size"`
	Compression      string  `json:"compression"`
	DiffID           *string `json:"diff_id"`           // null: does not decompress
	UncompressedSize *int64  `json:"uncompressed_size"` // null: likewise
}

type arWantMismatch struct {
	What    string `json:"what"` // diff_id, layer_digest or config
	Layer   *int   `json:"layer"`
	Claimed string `json:"claimed"`
	Actual  string `json:"actual"`
}

// arFixture is one fixture: the archive (file or directory) and its
// expected values.
type arFixture struct {
	name string // file name of the archive, as in the README
	path string
	dir  bool
	want arExpected
}

// arLoad reads every *.expected.json of testdata/archives and fails when
// there are fewer than arMinFixtures.
func arLoad(t *testing.T) []arFixture {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(arDir, "*.expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) < arMinFixtures {
		t.Fatalf("%s holds %d fixtures with an expected.json, want at least %d", arDir, len(matches), arMinFixtures)
	}
	var fixtures []arFixture
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		var want arExpected
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		name := strings.TrimSuffix(filepath.Base(m), ".expected.json")
		if want.Fixture != name {
			t.Fatalf("%s: fixture %q, want %q", m, want.Fixture, name)
		}
		p := filepath.Join(arDir, name)
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: the archive itself: %v", m, err)
		}
		fixtures = append(fixtures, arFixture{name: name, path: p, dir: info.IsDir(), want: want})
	}
	return fixtures
}

// arFixtureNamed returns the fixture called name.
func arFixtureNamed(t *testing.T, all []arFixture, name string) arFixture {
	t.Helper()
	for _, fx := range all {
		if fx.name == name {
			return fx
		}
	}
	t.Fatalf("fixture %s is missing from %s", name, arDir)
	return arFixture{}
}

func arOpen(t *testing.T, path string, opts tarball.Options) *tarball.Result {
	t.Helper()
	res, err := tarball.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return res
}

func TestArchives(t *testing.T) {
	for _, fx := range arLoad(t) {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			arCheck(t, fx)
		})
	}
}

func arCheck(t *testing.T, fx arFixture) {
	want := fx.want
	res, err := tarball.Open(context.Background(), fx.path, tarball.Options{})
	if want.Expect == "malformed" {
		arCheckMalformed(t, fx, res, err)
		return
	}
	if err != nil {
		t.Fatalf("Open: %v", err)
	}

	checkKinds(t, res)
	if got := string(res.Archive.Container); got != want.Container {
		t.Errorf("container = %q, want %q", got, want.Container)
	}
	if got := string(res.Archive.Format); got != want.Format {
		t.Errorf("format = %q, want %q", got, want.Format)
	}

	// Images, matched by image ID and stored layer digests.
	if len(res.Images) != len(want.Images) {
		t.Errorf("%d images, want %d", len(res.Images), len(want.Images))
	}
	byKey := map[string]int{}
	for i, img := range res.Images {
		var ds []string
		for _, l := range img.Layers {
			ds = append(ds, string(l.Digest))
		}
		byKey[arImageKey(string(img.ImageID), ds)] = i
	}
	matched := make([]int, len(want.Images)) // want index -> got index
	for wi, w := range want.Images {
		var ds []string
		for _, l := range w.Layers {
			ds = append(ds, l.Digest)
		}
		gi, ok := byKey[arImageKey(w.ImageID, ds)]
		if !ok {
			t.Errorf("images[%d]: no image with ID %s and layers %v", wi, w.ImageID, ds)
			matched[wi] = -1
			continue
		}
		matched[wi] = gi
		arCheckImage(t, fmt.Sprintf("images[%d]", wi), w, res.Images[gi])
	}

	// Index digests: those of every image, together.
	var gotIdx []string
	for _, img := range res.Images {
		for _, d := range img.IndexDigests {
			gotIdx = append(gotIdx, string(d))
		}
	}
	if !sameSet(gotIdx, want.IndexDigests) {
		t.Errorf("index digests = %v, want %v", gotIdx, want.IndexDigests)
	}

	// Absent platforms: an "absent" index node and an absent_platform
	// finding each.
	var absentPlatforms, absentDigests, absentWhere []string
	arWalkIndex(res.Index, func(n *tarball.IndexNode) {
		if n.Kind == "absent" {
			if n.Present {
				t.Errorf("index node %s: kind absent but present", n.Where)
			}
			absentPlatforms = append(absentPlatforms, n.Platform)
			absentDigests = append(absentDigests, string(n.Digest))
			absentWhere = append(absentWhere, n.Where)
		}
	})
	if !sameSet(absentPlatforms, want.AbsentPlatforms) || len(absentPlatforms) != len(want.AbsentPlatforms) {
		t.Errorf("absent index nodes have platforms %v, want %v", absentPlatforms, want.AbsentPlatforms)
	}
	if want.AbsentBlobs != nil {
		for _, d := range absentDigests {
			if !slices.Contains(want.AbsentBlobs, d) {
				t.Errorf("absent index node digest %s is not among absent_blobs %v", d, want.AbsentBlobs)
			}
		}
	}
	var absentFindings []string
	for _, f := range res.Findings {
		if f.Kind == "absent_platform" {
			absentFindings = append(absentFindings, f.Subject)
			if f.Severity == tarball.SeverityError {
				t.Errorf("absent_platform finding %s is an error; a platform left out of a save is normal", f.Subject)
			}
		}
	}
	if !sameSet(absentFindings, absentWhere) || len(absentFindings) != len(want.AbsentPlatforms) {
		t.Errorf("absent_platform findings about %v, want one per absent node %v (absent_platforms %v)", absentFindings, absentWhere, want.AbsentPlatforms)
	}

	if want.Unreferenced != nil {
		var got []string
		for _, b := range res.Unreferenced {
			got = append(got, string(b.Digest))
		}
		if !sameSet(got, want.Unreferenced) || len(got) != len(want.Unreferenced) {
			t.Errorf("unreferenced blobs = %v, want %v", got, want.Unreferenced)
		}
	}

	verdict := res.Err(-1)
	switch want.Expect {
	case "":
		if verdict != nil {
			t.Errorf("Err(-1) = %v, want nil for an untouched archive", verdict)
		}
	case "mismatch":
		if !errors.Is(verdict, tarball.ErrMismatch) {
			t.Fatalf("Err(-1) = %v, want an error matching ErrMismatch (%s)", verdict, want.Broken)
		}
		arCheckMismatches(t, want, res, matched)
	default:
		t.Fatalf("expected.json: unknown expect %q", want.Expect)
	}
}

func arCheckImage(t *testing.T, field string, w arWantImage, g *tarball.Image) {
	t.Helper()
	if string(g.ImageID) != w.ImageID {
		t.Errorf("%s image_id = %q, want %q", field, g.ImageID, w.ImageID)
	}
	wantManifest := ""
	if w.ManifestDigest != nil {
		wantManifest = *w.ManifestDigest
		if wantManifest == "" {
			t.Errorf("%s: expected.json manifest_digest is \"\", not null", field)
		}
	}
	if string(g.ManifestDigest) != wantManifest {
		t.Errorf("%s manifest_digest = %q, want %q", field, g.ManifestDigest, wantManifest)
	}
	if !sameSet(g.RepoTags, w.RepoTags) {
		t.Errorf("%s repo_tags = %q, want %q", field, g.RepoTags, w.RepoTags)
	}
	if !sameSet(g.RefNames, w.RefNames) {
		t.Errorf("%s ref_names = %q, want %q", field, g.RefNames, w.RefNames)
	}
	// Where no descriptor carries a platform, expected.json says null and
	// tardigest falls back to the config's; only descriptor platforms are
	// compared.
	if w.Platform != nil && g.Platform != *w.Platform {
		t.Errorf("%s platform = %q, want %q", field, g.Platform, *w.Platform)
	}
	if len(g.Layers) != len(w.Layers) {
		t.Errorf("%s: %d layers, want %d", field, len(g.Layers), len(w.Layers))
		return
	}
	for j, wl := range w.Layers {
		gl := g.Layers[j]
		lf := fmt.Sprintf("%s layers[%d] (%s)", field, j, gl.Path)
		if !gl.Present {
			t.Errorf("%s: not present", lf)
		}
		if string(gl.Digest) != wl.Digest {
			t.Errorf("%s digest = %q, want %q", lf, gl.Digest, wl.Digest)
		}
		if gl.Size != wl.Size {
			t.Errorf("%s size = %d, want %d", lf, gl.Size, wl.Size)
		}
		if string(gl.Compression) != wl.Compression {
			t.Errorf("%s compression = %q, want %q", lf, gl.Compression, wl.Compression)
		}
		wantDiffID := ""
		if wl.DiffID != nil {
			wantDiffID = *wl.DiffID
		}
		if string(gl.DiffID) != wantDiffID {
			t.Errorf("%s diff_id = %q, want %q", lf, gl.DiffID, wantDiffID)
		}
		// null (the stream does not decompress): no size can be claimed.
		var wantUSize int64
		if wl.UncompressedSize != nil {
			wantUSize = *wl.UncompressedSize
		}
		if gl.UncompressedSize != wantUSize {
			t.Errorf("%s uncompressed_size = %d, want %d", lf, gl.UncompressedSize, wantUSize)
		}
	}
}

// arCheckMismatches checks that each listed mismatch is an error finding
// of class mismatch, about the image and the entry concerned, with the
// claimed and actual digests; and that no error finding is about anything
// else.
func arCheckMismatches(t *testing.T, want arExpected, res *tarball.Result, matched []int) {
	t.Helper()
	if len(want.Mismatches) == 0 {
		t.Fatalf("expected.json: expect mismatch without mismatches")
	}
	if len(want.Images) != 1 || matched[0] < 0 {
		t.Fatalf("tampered fixtures hold one image; matched %v", matched)
	}
	img := matched[0]
	var subjects []string // positions the tampering concerns
	for _, m := range want.Mismatches {
		kind, subject := "digest_mismatch", "config"
		switch m.What {
		case "diff_id":
			kind = "diff_id_mismatch"
		case "layer_digest":
		case "config":
		default:
			t.Fatalf("expected.json: unknown mismatch %q", m.What)
		}
		if m.Layer != nil {
			subject = fmt.Sprintf("layer[%d]", *m.Layer)
		} else if m.What != "config" {
			t.Fatalf("expected.json: %s mismatch without a layer", m.What)
		}
		subjects = append(subjects, subject)
		found := false
		for _, f := range res.Findings {
			if f.Kind == kind && f.Severity == tarball.SeverityError && errors.Is(f.Err, tarball.ErrMismatch) &&
				f.Image != nil && *f.Image == img && arNames(f.Subject, subject) && f.Declared == m.Claimed && f.Computed == m.Actual {
				found = true
				// The joined verdict must carry the subject and both digests.
				msg := res.Err(-1).Error()
				for _, s := range []string{f.Subject, m.Claimed, m.Actual} {
					if !strings.Contains(msg, s) {
						t.Errorf("Err(-1) does not mention %q:\n%s", s, msg)
					}
				}
			}
		}
		if !found {
			t.Errorf("no %s error finding about image %d %s declaring %s, computing %s; findings:\n%s",
				kind, img, subject, m.Claimed, m.Actual, arFindings(res))
		}
	}
	for _, f := range res.Findings {
		if f.Severity != tarball.SeverityError {
			continue
		}
		ok := f.Image != nil && *f.Image == img && errors.Is(f.Err, tarball.ErrMismatch)
		if ok {
			ok = false
			for _, s := range subjects {
				ok = ok || arNames(f.Subject, s)
			}
		}
		if !ok {
			t.Errorf("error finding %s %q (%s) concerns none of %v of image %d", f.Kind, f.Subject, f.Message, subjects, img)
		}
	}
}

// arNames reports whether subject (such as "image[0] layer[2]" or
// "manifest.json[0] config") names the position pos ("layer[2]", "config").
func arNames(subject, pos string) bool {
	for _, w := range strings.Fields(subject) {
		if w == pos {
			return true
		}
	}
	return false
}

// arCheckMalformed checks a fixture that is no readable archive: Open
// fails with ErrMalformed (or the Result fails with it), naming the entry
// whose body is cut, found here with archive/tar.
func arCheckMalformed(t *testing.T, fx arFixture, res *tarball.Result, err error) {
	t.Helper()
	entry := arBrokenEntry(t, fx.path)
	if err != nil {
		if !errors.Is(err, tarball.ErrMalformed) {
			t.Errorf("Open: %v, want an error matching ErrMalformed", err)
		}
		if !strings.Contains(err.Error(), entry) {
			t.Errorf("Open: %v, does not name the broken entry %q", err, entry)
		}
		if res != nil {
			t.Errorf("Open returned both a Result and an error")
		}
		return
	}
	verdict := res.Err(-1)
	if !errors.Is(verdict, tarball.ErrMalformed) {
		t.Fatalf("Err(-1) = %v, want an error matching ErrMalformed (%s)", verdict, fx.want.Broken)
	}
	if !strings.Contains(verdict.Error(), entry) {
		t.Errorf("Err(-1) = %v, does not name the broken entry %q", verdict, entry)
	}
}

// arBrokenEntry returns the name of the first entry of a tar whose header
// or body cannot be read in full.
func arBrokenEntry(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	last := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s reads to its end with archive/tar; it is not broken", path)
		}
		if err != nil {
			if last == "" {
				t.Fatalf("%s: first header unreadable: %v", path, err)
			}
			return last
		}
		last = hdr.Name
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return hdr.Name
		}
	}
}

func TestSameImageEveryShape(t *testing.T) {
	all := arLoad(t)
	shapes := []string{
		"docker-archive.tar", "docker-archive.tar.gz", "docker-archive.tar.zst",
		"oci-gzip", "oci-zstd", "oci-archive.tar", "docker25.tar",
	}
	// Fixtures whose stored bytes are identical (README: how each was
	// made), with the first of each group as reference.
	sameBytes := [][]string{
		{"oci-gzip", "oci-archive.tar"},
		{"docker-archive.tar", "docker-archive.tar.gz", "docker-archive.tar.zst", "docker25.tar"},
	}
	results := map[string]*tarball.Result{}
	for _, name := range shapes {
		fx := arFixtureNamed(t, all, name)
		res := arOpen(t, fx.path, tarball.Options{})
		if err := res.Err(-1); err != nil {
			t.Errorf("%s: Err(-1) = %v, want nil", name, err)
		}
		if len(res.Images) != 1 {
			t.Fatalf("%s: %d images, want 1", name, len(res.Images))
		}
		results[name] = res
	}
	ref := results[shapes[0]].Images[0]
	refDiffIDs := arDiffIDs(ref)
	if ref.ImageID != arSourceImageID {
		t.Errorf("%s: image ID %s, want the source image's %s", shapes[0], ref.ImageID, arSourceImageID)
	}
	if len(refDiffIDs) != 3 || slices.Contains(refDiffIDs, "") {
		t.Fatalf("%s: diffIDs %q, want 3 computed ones", shapes[0], refDiffIDs)
	}
	for _, name := range shapes[1:] {
		img := results[name].Images[0]
		if img.ImageID != ref.ImageID {
			t.Errorf("%s: image ID %s, %s has %s", name, img.ImageID, shapes[0], ref.ImageID)
		}
		if got := arDiffIDs(img); !slices.Equal(got, refDiffIDs) {
			t.Errorf("%s: diffIDs %q, %s has %q", name, got, shapes[0], refDiffIDs)
		}
		for j, l := range img.Layers {
			if l.ConfigDiffID != l.DiffID {
				t.Errorf("%s layer[%d]: config diff_id %s, computed %s", name, j, l.ConfigDiffID, l.DiffID)
			}
		}
	}
	for _, group := range sameBytes {
		first := results[group[0]].Images[0]
		for _, name := range group[1:] {
			img := results[name].Images[0]
			if got, want := arDigests(img), arDigests(first); !slices.Equal(got, want) {
				t.Errorf("%s: layer digests %q, %s (same stored bytes) has %q", name, got, group[0], want)
			}
		}
	}
	// skopeo keeps umoci's manifest bytes when it copies to an OCI layout.
	if a, b := results["oci-gzip"].Images[0].ManifestDigest, results["oci-archive.tar"].Images[0].ManifestDigest; a == "" || a != b {
		t.Errorf("manifest digest: oci-gzip %q, oci-archive.tar %q, want the same", a, b)
	}

	arCheckStreams(t, all)
}

// arCheckStreams reads every archive file through a reader that can
// neither seek nor read at an offset, as stdin would be, and compares with
// Open of the file: the same Images, the same kinds of findings.
func arCheckStreams(t *testing.T, all []arFixture) {
	for _, fx := range all {
		if fx.dir {
			continue // a layout directory cannot come through a pipe
		}
		t.Run("stream/"+fx.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fromFile, fileErr := tarball.Open(ctx, fx.path, tarball.Options{})
			data, err := os.ReadFile(fx.path)
			if err != nil {
				t.Fatal(err)
			}
			fromStream, streamErr := tarball.Read(ctx, onlyReader{bytes.NewReader(data)}, tarball.Options{})
			if fileErr != nil || streamErr != nil {
				if fileErr == nil || streamErr == nil || arClass(fileErr) != arClass(streamErr) {
					t.Fatalf("Open error %v, Read error %v: want the same class", fileErr, streamErr)
				}
				return
			}
			if got, want := mustJSON(t, fromStream.Images), mustJSON(t, fromFile.Images); got != want {
				t.Errorf("Images read from a stream differ from the file's:\n\tfile:   %s\n\tstream: %s", want, got)
			}
			if got, want := findingKinds(fromStream), findingKinds(fromFile); !slices.Equal(got, want) {
				t.Errorf("finding kinds: file %v, stream %v", want, got)
			}
		})
	}
}

func TestWorkersAgree(t *testing.T) {
	for _, fx := range arLoad(t) {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			one, err1 := tarball.Open(ctx, fx.path, tarball.Options{Workers: 1})
			eight, err8 := tarball.Open(ctx, fx.path, tarball.Options{Workers: 8})
			if err1 != nil || err8 != nil {
				if err1 == nil || err8 == nil || err1.Error() != err8.Error() {
					t.Fatalf("Workers 1: error %v; Workers 8: error %v", err1, err8)
				}
				return
			}
			if a, b := mustJSON(t, one), mustJSON(t, eight); a != b {
				t.Errorf("Workers 1 and 8 disagree:\n\t1: %s\n\t8: %s", a, b)
			}
		})
	}
}

func arImageKey(imageID string, layerDigests []string) string {
	return imageID + " " + strings.Join(layerDigests, ",")
}

func arDiffIDs(img *tarball.Image) []string {
	var ds []string
	for _, l := range img.Layers {
		ds = append(ds, string(l.DiffID))
	}
	return ds
}

func arDigests(img *tarball.Image) []string {
	var ds []string
	for _, l := range img.Layers {
		ds = append(ds, string(l.Digest))
	}
	return ds
}

func arWalkIndex(nodes []*tarball.IndexNode, fn func(*tarball.IndexNode)) {
	for _, n := range nodes {
		fn(n)
		arWalkIndex(n.Children, fn)
	}
}

func arFindings(res *tarball.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		image := -1
		if f.Image != nil {
			image = *f.Image
		}
		fmt.Fprintf(&b, "\t%s %s %q image=%d: %s\n", f.Severity, f.Kind, f.Subject, image, f.Message)
	}
	return b.String()
}

func arClass(err error) error {
	for _, c := range []error{tarball.ErrMismatch, tarball.ErrMissing, tarball.ErrMalformed, tarball.ErrLimit, tarball.ErrUnsupported} {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}
