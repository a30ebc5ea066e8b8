package compare

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/tarball"
)

// open reads an archive as diff does, failing the test on error.
func open(t *testing.T, path string) *tarball.Result {
	t.Helper()
	res, err := tarball.Open(context.Background(), path, tarball.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return res
}

// diffArchives compares the one image of each archive.
func diffArchives(t *testing.T, a, b string, opts Options) *ImageDiff {
	t.Helper()
	ra, rb := open(t, a), open(t, b)
	p := PairImages(ra, rb, -1, -1)
	if len(p.Pairs) != 1 {
		t.Fatalf("%s, %s: %d pairs, want 1", a, b, len(p.Pairs))
	}
	d, err := Images(context.Background(), Side{Name: a, Result: ra, Image: p.Pairs[0].A}, Side{Name: b, Result: rb, Image: p.Pairs[0].B}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// caseFile builds the archive of a diff case file.
func caseFile(t *testing.T, name string) string {
	t.Helper()
	return archivetest.Load(t, filepath.Join("..", "testdata", "diff", name)).File(t)
}

// changeLines are the changes as "CHANGE PATH WHAT..." lines.
func changeLines(f *Files) []string {
	var out []string
	for _, c := range f.Changes {
		out = append(out, strings.TrimSpace(c.Change+" "+c.Path+" "+strings.Join(c.What, ",")))
	}
	return out
}

func configLines(cs []ConfigChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %q %q", c.Change, c.Key, c.A, c.B))
	}
	return out
}

// TestCases compares the generated archives of testdata/diff; every
// expected value was worked out by hand from the case files.
func TestCases(t *testing.T) {
	tests := []struct {
		name    string
		equal   bool
		layers  string // same recompressed only_a only_b moved shared_prefix first_differ
		changes []string
		config  []string
		hashed  []HashedLayer
	}{
		{name: "files", layers: "0 0 1 1 0 0 0",
			changes: []string{"modified etc/a content", "removed etc/b", "added etc/c", "modified etc/link link"},
			// etc/a and keep, whose layer differs: keep hashes the same.
			hashed: []HashedLayer{{Side: "A", Layer: 0, Files: 2}, {Side: "B", Layer: 0, Files: 2}}},
		{name: "whiteout", layers: "1 0 1 0 0 1 -1", changes: []string{"added app/x"}},
		{name: "config", layers: "1 0 0 0 0 1 -1",
			config: []string{`added env.MODE "" "prod"`, `modified cmd "[\"/bin/sh\"]" "[\"/bin/app\"]"`, `added labels.version "" "2"`}},
		// f holds the same size from shared layers: not read, rewritten.
		{name: "swap", layers: "2 0 0 0 2 0 0", changes: []string{"rewritten f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diffArchives(t, caseFile(t, tt.name+".a.txt"), caseFile(t, tt.name+".b.txt"), Options{})
			if d.Equal != tt.equal {
				t.Errorf("Equal = %v, want %v", d.Equal, tt.equal)
			}
			ls := d.Layers
			if got := fmt.Sprint(ls.Same, ls.Recompressed, ls.OnlyA, ls.OnlyB, ls.Moved, ls.SharedPrefix, ls.FirstDiffer); got != tt.layers {
				t.Errorf("layers = %s, want %s", got, tt.layers)
			}
			if d.Files == nil {
				t.Fatalf("no file diff: %s", d.FilesError)
			}
			if got := changeLines(d.Files); !slices.Equal(got, tt.changes) {
				t.Errorf("changes:\n got %q\nwant %q", got, tt.changes)
			}
			slices.SortFunc(tt.config, func(x, y string) int { return strings.Compare(strings.Fields(x)[1], strings.Fields(y)[1]) })
			if got := configLines(d.Config); !slices.Equal(got, tt.config) {
				t.Errorf("config:\n got %q\nwant %q", got, tt.config)
			}
			if tt.hashed == nil {
				tt.hashed = []HashedLayer{}
			}
			if !slices.Equal(d.Files.Hashed, tt.hashed) {
				t.Errorf("hashed = %v, want %v", d.Files.Hashed, tt.hashed)
			}
		})
	}
}

// expectedLayers reads the stored digests and sizes of the one image of
// a fixture's expected.json (computed with sha256sum and friends).
func expectedLayers(t *testing.T, fixture string) (digests []string, sizes []int64) {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Images []struct {
			Layers []struct {
				StoredDigest string `json:"stored_digest"`
				StoredSize   int64  `json:"stored_size"`
			} `json:"layers"`
		} `json:"images"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Images) != 1 {
		t.Fatalf("%s: %v, %d images", fixture, err, len(doc.Images))
	}
	for _, l := range doc.Images[0].Layers {
		digests, sizes = append(digests, l.StoredDigest), append(sizes, l.StoredSize)
	}
	return digests, sizes
}

// TestProducersSameContent pairs archives of one image written by
// different producers (docker-archive, OCI gzip, OCI zstd, OCI
// uncompressed, Docker 25, whole-archive zstd): identical in content,
// stored differently exactly where expected.json's stored digests
// differ, with nothing read again.
func TestProducersSameContent(t *testing.T) {
	groups := [][][2]string{
		{
			{fixtures + "docker-archive.tar", fixtures + "docker-archive.tar.expected.json"},
			{fixtures + "oci-gzip", fixtures + "oci-gzip.expected.json"},
			{fixtures + "oci-zstd", fixtures + "oci-zstd.expected.json"},
			{fixtures + "oci-archive.tar", fixtures + "oci-archive.tar.expected.json"},
			{fixtures + "docker25.tar", fixtures + "docker25.tar.expected.json"},
			{fixtures + "docker-archive.tar.zst", fixtures + "docker-archive.tar.zst.expected.json"},
		},
		{
			{real + "dive-oci-gzip/test-oci-gzip-image.tar", real + "dive-oci-gzip/expected.json"},
			{real + "dive-oci-zstd/test-oci-zstd-image.tar", real + "dive-oci-zstd/expected.json"},
			{real + "dive-oci-uncompressed/test-oci-uncompressed-image.tar", real + "dive-oci-uncompressed/expected.json"},
		},
	}
	for _, g := range groups {
		for _, a := range g {
			for _, b := range g {
				if a == b {
					continue
				}
				t.Run(path.Base(a[0])+"-vs-"+path.Base(b[0]), func(t *testing.T) {
					d := diffArchives(t, a[0], b[0], Options{})
					digA, _ := expectedLayers(t, a[1])
					digB, sizeB := expectedLayers(t, b[1])
					wantRecompressed, wantShared := 0, int64(0)
					for j := range digB {
						if digA[j] != digB[j] {
							wantRecompressed++
						}
						wantShared += sizeB[j]
					}
					ls := d.Layers
					if !d.Equal || ls.OnlyA+ls.OnlyB+ls.Moved != 0 || ls.FirstDiffer != -1 {
						t.Errorf("equal %v, layers %+v: want the same content", d.Equal, ls)
					}
					if ls.Recompressed != wantRecompressed || ls.Same != len(digB)-wantRecompressed || ls.SharedBytes != wantShared {
						t.Errorf("recompressed %d, same %d, shared bytes %d; want %d, %d, %d", ls.Recompressed, ls.Same, ls.SharedBytes, wantRecompressed, len(digB)-wantRecompressed, wantShared)
					}
					if d.Files == nil || len(d.Files.Changes) != 0 || len(d.Files.Hashed) != 0 || len(d.Config) != 0 {
						t.Errorf("files %+v (%s), config %v: want no change and nothing read again", d.Files, d.FilesError, d.Config)
					}
				})
			}
		}
	}
}

// TestLayerChangedSinceRead swaps a layer blob after the verifying pass:
// the second read that hashes files must notice the diffID changed and
// fail, rather than compare bytes it never verified.
func TestLayerChangedSinceRead(t *testing.T) {
	dirA := archivetest.Load(t, filepath.Join("..", "testdata", "diff", "files.a.txt")).Dir(t)
	fileB := caseFile(t, "files.b.txt")
	ra, rb := open(t, dirA), open(t, fileB)
	layerPath := filepath.Join(dirA, ra.Images[0].Layers[0].Path)
	other := archivetest.Load(t, filepath.Join("..", "testdata", "diff", "whiteout.b.txt")).Dir(t)
	data, err := os.ReadFile(filepath.Join(other, open(t, other).Images[0].Layers[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(layerPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Images(context.Background(), Side{Name: dirA, Result: ra, Image: 0}, Side{Name: fileB, Result: rb, Image: 0}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Files != nil || !strings.Contains(d.FilesError, "changed since it was read") {
		t.Errorf("files %+v, error %q: want the changed layer refused", d.Files, d.FilesError)
	}
}

// TestTamperedLayerNotEqual pairs an archive with a copy whose first
// layer had one byte of bin/hello altered (the config, so the image ID,
// unchanged; verify fails it): the image IDs are equal, the images are
// not, and the file diff finds bin/hello by its content alone.
func TestTamperedLayerNotEqual(t *testing.T) {
	d := diffArchives(t, fixtures+"docker-archive.tar", fixtures+"tampered-layer-byte.tar", Options{})
	if !d.Identities[0].Equal || d.Equal {
		t.Errorf("image IDs equal %v, images equal %v: want equal IDs, different images", d.Identities[0].Equal, d.Equal)
	}
	if ls := d.Layers; ls.OnlyA != 1 || ls.OnlyB != 1 || ls.FirstDiffer != 0 {
		t.Errorf("layers %+v: want layer 0 differing", ls)
	}
	if got := changeLines(d.Files); !slices.Equal(got, []string{"modified bin/hello content"}) {
		t.Errorf("changes %q, want bin/hello's content", got)
	}
}
