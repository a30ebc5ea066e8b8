package tarball_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/tarball"
)

// checkExtensions checks what some expected.json files say beyond the
// shared format.
func checkExtensions(t *testing.T, fx fixture, res *tarball.Result) {
	t.Helper()
	want := fx.want
	if want.IndexDigests != nil {
		var got []string
		for _, img := range res.Images {
			for _, d := range img.IndexDigests {
				got = append(got, string(d))
			}
		}
		if !sameSet(got, want.IndexDigests) {
			t.Errorf("index digests = %v, want %v", got, want.IndexDigests)
		}
	}
	if want.AbsentPlatforms != nil {
		checkAbsent(t, want, res)
	}
	if want.Mismatches != nil {
		checkMismatches(t, want, res)
	}
}

// checkAbsent checks that each platform left out of a nested index is an
// absent index node and an absent_platform finding, and not an error.
func checkAbsent(t *testing.T, want expectedFile, res *tarball.Result) {
	t.Helper()
	var platforms, digests, where []string
	walkNodes(res.Index, func(n *tarball.IndexNode) {
		if n.Kind != tarball.NodeAbsent {
			return
		}
		if n.Present {
			t.Errorf("index node %s: kind absent but present", n.Where)
		}
		platforms = append(platforms, n.Platform)
		digests = append(digests, string(n.Digest))
		where = append(where, n.Where)
	})
	if !sameSet(platforms, want.AbsentPlatforms) || len(platforms) != len(want.AbsentPlatforms) {
		t.Errorf("absent index nodes have platforms %v, want %v", platforms, want.AbsentPlatforms)
	}
	for _, d := range digests {
		if want.AbsentBlobs != nil && !slices.Contains(want.AbsentBlobs, d) {
			t.Errorf("absent index node digest %s is not among absent_blobs %v", d, want.AbsentBlobs)
		}
	}
	var findings []string
	for _, f := range res.Findings {
		if f.Kind != "absent_platform" {
			continue
		}
		findings = append(findings, f.Subject)
		if f.Severity == tarball.SeverityError {
			t.Errorf("absent_platform finding %s is an error; a platform left out of a save is normal", f.Subject)
		}
	}
	if !sameSet(findings, where) || len(findings) != len(want.AbsentPlatforms) {
		t.Errorf("absent_platform findings about %v, want one per absent node %v", findings, where)
	}
}

// checkMismatches checks that each listed mismatch is an error finding
// of class mismatch, about the one image and the entry concerned, with
// the claimed and actual digests; and that no error finding is about
// anything else.
func checkMismatches(t *testing.T, want expectedFile, res *tarball.Result) {
	t.Helper()
	if len(res.Images) != 1 || !errors.Is(res.Err(-1), tarball.ErrMismatch) {
		t.Fatalf("a tampered fixture holds one image and fails with ErrMismatch; %d images, Err(-1) = %v", len(res.Images), res.Err(-1))
	}
	var subjects []string // positions the tampering concerns
	for _, m := range want.Mismatches {
		kind, subject := "digest_mismatch", "config"
		switch m.What {
		case "diff_id":
			kind = "diff_id_mismatch"
		case "layer_digest", "config":
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
				f.Image != nil && *f.Image == 0 && names(f.Subject, subject) && f.Declared == m.Claimed && f.Computed == m.Actual {
				found = true
				// The joined verdict carries the subject and both digests.
				msg := res.Err(-1).Error()
				for _, s := range []string{f.Subject, m.Claimed, m.Actual} {
					if !strings.Contains(msg, s) {
						t.Errorf("Err(-1) does not mention %q:\n%s", s, msg)
					}
				}
			}
		}
		if !found {
			t.Errorf("no %s error finding about %s declaring %s, computing %s; findings:\n%s", kind, subject, m.Claimed, m.Actual, csSummary(res))
		}
	}
	for _, f := range res.Findings {
		if f.Severity != tarball.SeverityError {
			continue
		}
		ok := f.Image != nil && *f.Image == 0 && errors.Is(f.Err, tarball.ErrMismatch) && slices.ContainsFunc(subjects, func(s string) bool { return names(f.Subject, s) })
		if !ok {
			t.Errorf("error finding %s %q (%s) concerns none of %v", f.Kind, f.Subject, f.Message, subjects)
		}
	}
}

// names reports whether subject (such as "image[0] layer[2]" or
// "manifest.json[0] config") names the position pos ("layer[2]", "config").
func names(subject, pos string) bool {
	return slices.Contains(strings.Fields(subject), pos)
}

// checkTruncated checks an archive cut short: Open fails with
// ErrMalformed (or the Result fails with it), naming the entry whose body
// is cut, found here with archive/tar.
func checkTruncated(t *testing.T, fx fixture, res *tarball.Result, err error) {
	t.Helper()
	entry := brokenEntry(t, fx.payload)
	if err != nil {
		if !errors.Is(err, tarball.ErrMalformed) || !strings.Contains(err.Error(), entry) || res != nil {
			t.Errorf("Open: %v (result %v), want only an error matching ErrMalformed naming %q", err, res != nil, entry)
		}
		return
	}
	if verdict := res.Err(-1); !errors.Is(verdict, tarball.ErrMalformed) || !strings.Contains(verdict.Error(), entry) {
		t.Errorf("Err(-1) = %v, want an error matching ErrMalformed naming %q", verdict, entry)
	}
}

// brokenEntry returns the name of the first entry of a tar whose header
// or body cannot be read in full.
func brokenEntry(t *testing.T, path string) string {
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

func walkNodes(nodes []*tarball.IndexNode, fn func(*tarball.IndexNode)) {
	for _, n := range nodes {
		fn(n)
		walkNodes(n.Children, fn)
	}
}

// TestStreamEqualsFile reads every archive file of both corpora through a
// reader that can neither seek nor read at an offset, as stdin would be,
// and compares with Open of the file: the same Images and the same kinds
// of findings, or errors of the same class.
func TestStreamEqualsFile(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		info, err := os.Stat(fx.payload)
		if err != nil {
			t.Fatal(err)
		}
		if info.IsDir() {
			continue // a layout directory cannot come through a pipe
		}
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fromFile, fileErr := tarball.Open(ctx, fx.payload, tarball.Options{})
			data, err := os.ReadFile(fx.payload)
			if err != nil {
				t.Fatal(err)
			}
			fromStream, streamErr := tarball.Read(ctx, onlyReader{bytes.NewReader(data)}, tarball.Options{})
			if fileErr != nil || streamErr != nil {
				fileClass, _ := tarball.ClassOf(fileErr)
				streamClass, _ := tarball.ClassOf(streamErr)
				if fileErr == nil || streamErr == nil || fileClass != streamClass {
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

// TestWorkersAgree reads every fixture with one worker and with eight:
// the results must be the same to the byte.
func TestWorkersAgree(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			one, err1 := tarball.Open(ctx, fx.payload, tarball.Options{Workers: 1})
			eight, err8 := tarball.Open(ctx, fx.payload, tarball.Options{Workers: 8})
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

// sourceImageID is the image ID of the source image every single-image
// positive fixture of testdata/archives holds (its README: "The source
// image").
const sourceImageID = "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0"

// TestSameImageEveryShape reads the source image as a docker save tar
// (plain, gzip, zstd), an OCI directory (gzip, zstd layers), an OCI tar
// and a Docker 25 archive: the same image ID and diffIDs everywhere, and
// the same blob digests wherever the stored bytes are identical.
func TestSameImageEveryShape(t *testing.T) {
	all := loadOwnFixtures(t)
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
	results := map[string]*tarball.Image{}
	for _, name := range shapes {
		res, err := tarball.Open(context.Background(), fixtureNamed(t, all, name).payload, tarball.Options{})
		if err != nil || res.Err(-1) != nil || len(res.Images) != 1 {
			t.Fatalf("%s: Open error %v, Err(-1) %v, want one image that verifies", name, err, res.Err(-1))
		}
		results[name] = res.Images[0]
	}
	ref := results[shapes[0]]
	refDiffIDs := layerField(ref, func(l tarball.Layer) string { return string(l.DiffID) })
	if ref.ImageID != sourceImageID || len(refDiffIDs) != 3 || slices.Contains(refDiffIDs, "") {
		t.Fatalf("%s: image ID %s, diffIDs %q; want the source image's %s and 3 computed diffIDs", shapes[0], ref.ImageID, refDiffIDs, sourceImageID)
	}
	for _, name := range shapes[1:] {
		img := results[name]
		if img.ImageID != ref.ImageID {
			t.Errorf("%s: image ID %s, %s has %s", name, img.ImageID, shapes[0], ref.ImageID)
		}
		if got := layerField(img, func(l tarball.Layer) string { return string(l.DiffID) }); !slices.Equal(got, refDiffIDs) {
			t.Errorf("%s: diffIDs %q, %s has %q", name, got, shapes[0], refDiffIDs)
		}
		for j, l := range img.Layers {
			if l.ConfigDiffID != l.DiffID {
				t.Errorf("%s layer[%d]: config diff_id %s, computed %s", name, j, l.ConfigDiffID, l.DiffID)
			}
		}
	}
	digests := func(img *tarball.Image) []string {
		return layerField(img, func(l tarball.Layer) string { return string(l.Digest) })
	}
	for _, group := range sameBytes {
		for _, name := range group[1:] {
			if got, want := digests(results[name]), digests(results[group[0]]); !slices.Equal(got, want) {
				t.Errorf("%s: layer digests %q, %s (same stored bytes) has %q", name, got, group[0], want)
			}
		}
	}
	// skopeo keeps umoci's manifest bytes when it copies to an OCI layout.
	if a, b := results["oci-gzip"].ManifestDigest, results["oci-archive.tar"].ManifestDigest; a == "" || a != b {
		t.Errorf("manifest digest: oci-gzip %q, oci-archive.tar %q, want the same", a, b)
	}
}

func layerField(img *tarball.Image, field func(tarball.Layer) string) []string {
	var out []string
	for _, l := range img.Layers {
		out = append(out, field(l))
	}
	return out
}
