package tree

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDiveRecorded compares Dive with what dive v0.13.1 printed for the
// images in testdata/dive (see its README.md): --json for efficiency,
// wasted bytes, size and inefficient files, --ci for the user-wasted
// percent. Merge is checked on the same images against the oracle.
func TestDiveRecorded(t *testing.T) {
	for _, name := range []string{"overwrite", "deletes", "opaque", "hardlinks", "chains"} {
		tars := archiveLayers(t, "testdata/dive/"+name+".tar")
		got := Dive(walkAll(tars), Options{})
		var rec struct {
			Image struct {
				SizeBytes        int64   `json:"sizeBytes"`
				InefficientBytes int64   `json:"inefficientBytes"`
				EfficiencyScore  float64 `json:"efficiencyScore"`
				FileReference    []struct {
					Count     int    `json:"count"`
					SizeBytes int64  `json:"sizeBytes"`
					File      string `json:"file"`
				} `json:"fileReference"`
			} `json:"image"`
		}
		data, err := os.ReadFile("testdata/dive/" + name + ".dive.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		if got.Efficiency != rec.Image.EfficiencyScore || got.Wasted != rec.Image.InefficientBytes || got.Size != rec.Image.SizeBytes {
			t.Errorf("%s: efficiency %v wasted %d size %d; dive %v %d %d", name, got.Efficiency, got.Wasted, got.Size,
				rec.Image.EfficiencyScore, rec.Image.InefficientBytes, rec.Image.SizeBytes)
		}
		var want []DivePath
		for _, f := range rec.Image.FileReference {
			want = append(want, DivePath{f.File, f.Count, f.SizeBytes})
		}
		sortDivePaths(want) // dive's order of equal sizes is random
		if fmt.Sprint(got.InefficientPaths) != fmt.Sprint(want) || got.InefficientCount != len(want) {
			t.Errorf("%s: inefficient paths %v, dive %v", name, got.InefficientPaths, want)
		}
		ci, err := os.ReadFile("testdata/dive/" + name + ".ci.txt")
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`userWastedPercent: ([0-9.]+) %`).FindSubmatch(ci)
		if m == nil || fmt.Sprintf("%2.4f", got.UserWastedPercent*100) != string(m[1]) {
			t.Errorf("%s: user wasted %2.4f %%, dive says %q", name, got.UserWastedPercent*100, m)
		}
		if m := regexp.MustCompile(`%-user-wasted-bytes=([0-9.e+]+) `).FindSubmatch(ci); m != nil && fmt.Sprint(got.UserWastedPercent) != string(m[1]) {
			t.Errorf("%s: user wasted %v, dive says %s", name, got.UserWastedPercent, m[1])
		}
		checkAgainstOracle(t, name, tars)
	}
}

// TestWasteRecorded pins what squashing saves on the same images, worked
// out by hand from make.py (and equal to the oracle's brute force).
func TestWasteRecorded(t *testing.T) {
	want := map[string]string{
		// big: 2000 and the first 3000 overwritten.
		"overwrite": "reclaimable 5000 per layer [2000 3000 0]",
		// b (700) deleted, app and sub/c (900) deleted with app, a (500)
		// with app; x/y (40) under x replaced by a file, the file x (30)
		// deleted by .wh.x.
		"deletes": "reclaimable 2170 per layer [2140 0 30 0]",
		// 1, 2 and sub/3 hidden by the opaque directory.
		"opaque": "reclaimable 3300 per layer [3300 0]",
		// tool survives through alias until alias is rewritten; x lives on as y.
		"hardlinks": "reclaimable 1500 per layer [1500 0 0 0]",
		// log (2000) overwritten, then its second copy (2500) deleted;
		// links and whiteouts of paths never there hold no bytes.
		"chains": "reclaimable 4500 per layer [2000 2500 0 0]",
	}
	for name, w := range want {
		img := Merge(walkAll(archiveLayers(t, "testdata/dive/"+name+".tar")), Options{})
		var per []int64
		for _, l := range img.Layers {
			per = append(per, l.Reclaimable)
		}
		if got := fmt.Sprintf("reclaimable %d per layer %v", img.Waste.Reclaimable, per); got != w {
			t.Errorf("%s: %s, want %s", name, got, w)
		}
	}
	_ = strings.Contains
}
