package tree

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path"
	"testing"
)

const realFixtures = "../../../shared/fixtures/real"

// archiveLayers reads a docker-archive (manifest.json naming the layer
// files, gzip or plain) and returns its first image's uncompressed layer
// tars, in order.
func archiveLayers(t testing.TB, file string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	links := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeSymlink {
			links[path.Clean(h.Name)] = path.Join(path.Dir(h.Name), h.Linkname)
		}
		b, _ := io.ReadAll(tr)
		files[path.Clean(h.Name)] = b
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) == 0 {
		t.Fatalf("%s: manifest.json: %v", file, err)
	}
	var out [][]byte
	for _, name := range manifest[0].Layers {
		name = path.Clean(name)
		if l, ok := links[name]; ok {
			name = l
		}
		out = append(out, maybeGunzip(t, files[name]))
	}
	return out
}

func maybeGunzip(t testing.TB, b []byte) []byte {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDiveOwnFixture compares with the numbers dive's own tests expect for
// its test image (dive v0.13.1: dive/image/docker/image_archive_analysis_test.go
// and runtime/export/export_test.go), the image in
// ../shared/fixtures/real/dive-docker-image.
func TestDiveOwnFixture(t *testing.T) {
	tars := archiveLayers(t, realFixtures+"/dive-docker-image/test-docker-image.tar")
	got := Dive(walkAll(tars), Options{})
	want := DiveReport{
		Efficiency: 0.9844212134184309, Size: 1220598, UserSize: 66237, Wasted: 32025, UserWastedPercent: 0.4834911001404049,
		InefficientCount: 3,
		InefficientPaths: []DivePath{{"/root/example/somefile1.txt", 2, 12810}, {"/root/saved.txt", 2, 12810}, {"/root/example/somefile3.txt", 2, 6405}},
	}
	if !equalDive(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func equalDive(a, b DiveReport) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}
