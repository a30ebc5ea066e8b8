package tarball_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/tarball"
)

// fzOptions keeps one fuzz execution cheap: a mutated bomb stops at
// 8 MiB, a zstd frame may ask for at most an 8 MiB window.
func fzOptions() tarball.Options {
	return tarball.Options{Workers: 2, Limits: tarball.Limits{Layer: layer.Limits{
		MaxUncompressedBytes: 8 << 20,
		MaxWindowBytes:       8 << 20,
	}}}
}

// fzSeedArchives adds every archive file under testdata/archives.
func fzSeedArchives(f *testing.F) int {
	n := 0
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "archives", "*.tar*"))
	for _, p := range paths {
		if strings.HasSuffix(p, ".json") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		n++
	}
	return n
}

// fzSeedCases adds the archive of every case that is not a directory.
func fzSeedCases(f *testing.F) int {
	n := 0
	for _, p := range archivetest.Glob(f, csDir) {
		c := archivetest.Load(f, p)
		if c.Container == "directory" {
			continue
		}
		b := c.MustArchive(f)
		if len(b) > 256<<10 || c.MaxIndexNodes > 0 {
			// Cost cases (bombs, fan-out) would make every execution
			// slow; the case test runs them.
			continue
		}
		f.Add(b)
		n++
	}
	return n
}

// FuzzRead reads arbitrary bytes as an archive stream, twice.
func FuzzRead(f *testing.F) {
	if fzSeedArchives(f) == 0 || fzSeedCases(f) == 0 {
		f.Fatal("no seeds: testdata/archives or testdata/cases is empty")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		res, err := tarball.Read(ctx, bytes.NewReader(data), fzOptions())
		fzCheck(t, res, err)
		res2, err2 := tarball.Read(ctx, bytes.NewReader(data), fzOptions())
		fzSame(t, res, err, res2, err2)
	})
}

// FuzzOpenDir builds a small OCI layout directory: index.json and two
// blobs stored under their digests. In index.json, {{d1}} {{s1}} {{d2}}
// {{s2}} become the digests and sizes of the blobs; in blob 1, {{d2}} and
// {{s2}}; so mutations keep reaching past the digest checks.
func FuzzOpenDir(f *testing.F) {
	n := 0
	for _, s := range fzDirSeeds {
		f.Add([]byte(s[0]), []byte(s[1]), []byte(s[2]))
		n++
	}
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "archives", "oci-*"))
	for _, d := range dirs {
		if info, err := os.Stat(d); err != nil || !info.IsDir() {
			continue
		}
		idx, err := os.ReadFile(filepath.Join(d, "index.json"))
		if err != nil {
			f.Fatal(err)
		}
		blobs, _ := filepath.Glob(filepath.Join(d, "blobs", "sha256", "*"))
		for i := range blobs {
			b1, _ := os.ReadFile(blobs[i])
			b2, _ := os.ReadFile(blobs[(i+1)%len(blobs)])
			f.Add(idx, b1, b2)
			n++
		}
	}
	if n == 0 {
		f.Fatal("no seeds")
	}
	f.Fuzz(func(t *testing.T, index, blob1, blob2 []byte) {
		d2, s2 := fzDigest(blob2), strconv.Itoa(len(blob2))
		blob1 = bytes.ReplaceAll(bytes.ReplaceAll(blob1, []byte("{{d2}}"), []byte(d2)), []byte("{{s2}}"), []byte(s2))
		d1, s1 := fzDigest(blob1), strconv.Itoa(len(blob1))
		for _, r := range [][2]string{{"{{d1}}", d1}, {"{{s1}}", s1}, {"{{d2}}", d2}, {"{{s2}}", s2}} {
			index = bytes.ReplaceAll(index, []byte(r[0]), []byte(r[1]))
		}
		dir := t.TempDir()
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755))
		must(os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
		must(os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644))
		must(os.WriteFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d1, "sha256:")), blob1, 0o644))
		must(os.WriteFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d2, "sha256:")), blob2, 0o644))
		ctx := context.Background()
		res, err := tarball.Open(ctx, dir, fzOptions())
		fzCheck(t, res, err)
		res2, err2 := tarball.Open(ctx, dir, fzOptions())
		fzSame(t, res, err, res2, err2)
	})
}

var fzDirSeeds = [][3]string{
	// index -> manifest -> config, no layers.
	{`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{d1}}","size":{{s1}}}]}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{d2}}","size":{{s2}}},"layers":[]}`,
		`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`},
	// index -> manifest -> one layer, config absent.
	{`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{d1}}","size":{{s1}}}]}`,
		`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{d2}}","size":{{s2}}}]}`,
		"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x62\x18\x05\xa3\x60\x14\x0c\x77\x00\x08\x00\x00\xff\xff\x4f\x4f\xb7\x00\x00\x04\x00\x00"},
	// index -> nested index -> manifest.
	{`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{{d1}}","size":{{s1}}},{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{{d1}}","size":{{s1}}}]}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{d2}}","size":{{s2}},"platform":{"os":"linux","architecture":"amd64"}}]}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{d1}}","size":1},"layers":[]}`},
	{`{"schemaVersion":2,"manifests":null}`, ``, ``},
	{`{"schemaVersion":2,"manifests":[{"digest":"sha256:{{d1}}","size":-1}]}`, `{}`, `[]`},
}

func fzDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// fzCheck asserts what must hold for any input.
func fzCheck(t *testing.T, res *tarball.Result, err error) {
	t.Helper()
	if err != nil {
		if res != nil {
			t.Errorf("a result with the error %q", err)
		}
		if name, _ := tarball.ClassOf(err); name == "" {
			t.Errorf("error %q (%T) has none of the five classes", err, errors.Unwrap(err))
		}
		return
	}
	if res == nil {
		t.Fatal("nil result and nil error")
	}
	checkKinds(t, res)
	errorFindings := 0
	for i, f := range res.Findings {
		if f.Kind == "" || f.Subject == "" || f.Class == "" || f.Message == "" {
			t.Errorf("finding %d has an empty field: %+v", i, f)
		}
		switch f.Severity {
		case tarball.SeverityError:
			errorFindings++
			class := tarball.ClassNamed(f.Class)
			if class == nil || f.Err == nil || !errors.Is(f.Err, class) {
				t.Errorf("error finding %d: class %q, Err %v do not agree", i, f.Class, f.Err)
			}
		case tarball.SeverityWarning, tarball.SeverityInfo:
			if f.Err != nil || f.Class != "info" {
				t.Errorf("%s finding %d carries class %q, Err %v", f.Severity, i, f.Class, f.Err)
			}
		default:
			t.Errorf("finding %d: severity %q", i, f.Severity)
		}
		if f.Image != nil && (*f.Image < 0 || *f.Image >= len(res.Images)) {
			t.Errorf("finding %d: image %d of %d", i, *f.Image, len(res.Images))
		}
	}
	if (res.Err(-1) == nil) != (errorFindings == 0) {
		t.Errorf("Err(-1) = %v with %d error findings", res.Err(-1), errorFindings)
	}
	for i, img := range res.Images {
		for j, l := range img.Layers {
			if !l.Present {
				continue
			}
			if _, err := digest.Parse(string(l.Digest)); err != nil || l.Size < 0 {
				t.Errorf("image %d layer %d: present with digest %q, size %d", i, j, l.Digest, l.Size)
			}
			if l.Compression == "none" && l.Digest.Algorithm() == digest.SHA256 && l.DiffID != l.Digest {
				t.Errorf("image %d layer %d: uncompressed, yet diff_id %s != digest %s", i, j, l.DiffID, l.Digest)
			}
			if l.DiffID != "" && l.UncompressedSize < 0 {
				t.Errorf("image %d layer %d: uncompressed size %d", i, j, l.UncompressedSize)
			}
		}
	}
	if _, err := json.Marshal(res); err != nil {
		t.Errorf("result does not marshal: %v", err)
	}
}

// fzSame asserts that two reads of the same input agree exactly.
func fzSame(t *testing.T, res *tarball.Result, err error, res2 *tarball.Result, err2 error) {
	t.Helper()
	if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
		t.Fatalf("two runs disagree: %v, then %v", err, err2)
	}
	if err != nil {
		return
	}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(res2)
	if !bytes.Equal(a, b) {
		t.Errorf("two runs disagree:\n%s\n%s", a, b)
	}
}
