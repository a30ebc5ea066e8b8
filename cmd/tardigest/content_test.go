package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/report"
)

// contentArchives are docker-archives whose layers GNU tar lists: the
// README's demo image, dive's five test images and the fixture of
// testdata/archives.
var contentArchives = []string{
	"../../testdata/content/demo.tar",
	"../../layer/tree/testdata/dive/overwrite.tar",
	"../../layer/tree/testdata/dive/deletes.tar",
	"../../layer/tree/testdata/dive/opaque.tar",
	"../../layer/tree/testdata/dive/hardlinks.tar",
	"../../layer/tree/testdata/dive/chains.tar",
	archives + "docker-archive.tar",
}

// decodeRun runs the CLI and decodes its JSON output into v.
func decodeRun(t *testing.T, v any, args ...string) {
	t.Helper()
	code, out, stderr := runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("tardigest %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("tardigest %s: %v", strings.Join(args, " "), err)
	}
}

// typeOf is the GNU tar type character of a listed row.
func typeOf(r report.FileRow) byte {
	switch r.Type {
	case "dir":
		return 'd'
	case "symlink":
		return 'l'
	case "hardlink":
		return 'h'
	case "char":
		return 'c'
	case "block":
		return 'b'
	case "fifo":
		return 'p'
	}
	return '-' // files, and whiteouts, which are empty files to tar
}

// TestLsLayerMatchesGNUTar: ls --layer N lists exactly what tar -tv lists
// of layer N, entry for entry.
func TestLsLayerMatchesGNUTar(t *testing.T) {
	for _, a := range contentArchives {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		for n, l := range dockerLayers(t, data) {
			want := gnuList(t, l)
			var got []report.FileRow
			decodeRun(t, &got, "ls", "-o", "json", "--layer", fmt.Sprint(n), a)
			if len(got) != len(want) {
				t.Fatalf("%s layer %d: ls lists %d entries, tar %d", a, n, len(got), len(want))
			}
			for i, w := range want {
				g := got[i]
				gotLine := fmt.Sprintf("%c %o %d/%d %d %d %s -> %s (layer %d)", typeOf(g), g.Mode, g.UID, g.GID, g.Size, g.ModTime, g.Path, g.Link, g.Layer)
				wantLine := fmt.Sprintf("%c %o %d/%d %d %d %s -> %s (layer %d)", w.Type, w.Mode, w.UID, w.GID, w.Size, w.MTime, w.Path, w.Link, n)
				if gotLine != wantLine {
					t.Errorf("%s layer %d entry %d:\n ls  %s\n tar %s", a, n, i, gotLine, wantLine)
				}
			}
		}
	}
}

// TestMergedMatchesOracle: ls -R, layers and waste agree with the naive
// merge of GNU tar's listings.
func TestMergedMatchesOracle(t *testing.T) {
	for _, a := range contentArchives {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		var lists [][]gnuEntry
		for _, l := range dockerLayers(t, data) {
			lists = append(lists, gnuList(t, l))
		}
		o := newOracle(lists)
		checkLs(t, a, o)
		checkLayers(t, a, o)
		checkWaste(t, a, o)
		checkFacts(t, a, o)
	}
}

// checkFacts compares the merged filesystem's counts in inspect -o json
// with the oracle's: paths by type, and the bytes of the files visible,
// each file's bytes once however many hard links name them.
func checkFacts(t *testing.T, a string, o *oracle) {
	t.Helper()
	var doc struct {
		Images []struct {
			Content struct {
				Paths, Files, Dirs, Symlinks, Hardlinks, Other int
				Size                                           int64
			}
		}
	}
	decodeRun(t, &doc, "inspect", "-o", "json", a)
	var w struct {
		Paths, Files, Dirs, Symlinks, Hardlinks, Other int
		Size                                           int64
	}
	seen := map[*gnuEntry]bool{}
	for _, n := range o.fs {
		w.Paths++
		switch {
		case n.implied || n.e.Type == 'd':
			w.Dirs++
		case n.e.Type == '-':
			w.Files++
		case n.e.Type == 'h':
			w.Hardlinks++
		case n.e.Type == 'l':
			w.Symlinks++
		default:
			w.Other++
		}
		if n.content != nil && (n.content.Type == '-') && !seen[n.content] {
			seen[n.content] = true
			w.Size += n.content.Size
		}
	}
	if got := doc.Images[0].Content; fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("%s: inspect counts %+v, the oracle %+v", a, got, w)
	}
}

// TestOSMatchesOSRelease: the OS inspect reports is what os-release says,
// read with GNU tar and a shell-like split of its lines.
func TestOSMatchesOSRelease(t *testing.T) {
	const demo = "../../testdata/content/demo.tar"
	data, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(gnuTar(t, dockerLayers(t, data)[0], "-xOf", "-", "etc/os-release")), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = strings.Trim(v, `"`)
		}
	}
	var doc struct {
		Images []struct {
			Content struct {
				OS struct {
					PrettyName string `json:"pretty_name"`
					ID         string `json:"id"`
					VersionID  string `json:"version_id"`
				}
			}
		}
	}
	decodeRun(t, &doc, "inspect", "-o", "json", demo)
	got := doc.Images[0].Content.OS
	if got.PrettyName != vars["PRETTY_NAME"] || got.ID != vars["ID"] || got.VersionID != vars["VERSION_ID"] || got.PrettyName == "" {
		t.Errorf("inspect says %+v; os-release says %v", got, vars)
	}
}

func checkLs(t *testing.T, a string, o *oracle) {
	t.Helper()
	var rows []report.FileRow
	decodeRun(t, &rows, "ls", "-R", "-o", "json", a)
	var got, want []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %c %o %d layer %d -> %s", r.Path, typeOf(r), r.Mode, r.Size, r.Layer, r.Link))
	}
	for _, p := range o.sortedPaths() {
		n := o.fs[p]
		if n.implied {
			want = append(want, fmt.Sprintf("%s d 755 0 layer %d -> ", p, n.layer))
			continue
		}
		want = append(want, fmt.Sprintf("%s %c %o %d layer %d -> %s", p, n.e.Type, n.e.Mode, n.content.Size, n.layer, n.e.Link))
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("%s: ls -R differs from the oracle:\n--- ls\n%s\n--- oracle\n%s", a, g, w)
	}
}

func checkLayers(t *testing.T, a string, o *oracle) {
	t.Helper()
	var rows []report.LayerRow
	decodeRun(t, &rows, "layers", "-o", "json", a)
	reclaim := o.reclaimable()
	for i, r := range rows {
		var size int64
		for _, e := range o.layers[i] {
			if e.Type == '-' && !strings.HasPrefix(path.Base(e.Path), ".wh.") {
				size += e.Size
			}
		}
		c := o.changes[i]
		got := fmt.Sprintf("size %d entries %d +%d ~%d -%d wh %d reclaimable %d", r.Size, r.Entries, *r.Added, *r.Changed, *r.Removed, r.Whiteouts, *r.Reclaimable)
		want := fmt.Sprintf("size %d entries %d +%d ~%d -%d wh %d reclaimable %d", size, len(o.layers[i]), c.added, c.changed, c.removed, c.whiteouts, reclaim[i])
		if got != want {
			t.Errorf("%s layer %d:\n layers %s\n oracle %s", a, i, got, want)
		}
	}
}

func checkWaste(t *testing.T, a string, o *oracle) {
	t.Helper()
	var doc report.WasteDoc
	decodeRun(t, &doc, "waste", "-o", "json", a)
	var stored, reclaimable int64
	for i, r := range o.reclaimable() {
		reclaimable += r
		for _, e := range o.layers[i] {
			if e.Type == '-' && !strings.HasPrefix(path.Base(e.Path), ".wh.") {
				stored += e.Size
			}
		}
	}
	if doc.Waste.Stored != stored || doc.Waste.Reclaimable != reclaimable {
		t.Errorf("%s: waste says %d of %d stored reclaimable, the oracle %d of %d", a, doc.Waste.Reclaimable, doc.Waste.Stored, reclaimable, stored)
	}
	var sum int64
	for _, p := range doc.Waste.Paths {
		sum += p.Reclaimable
	}
	if sum != reclaimable {
		t.Errorf("%s: the wasted paths add up to %d, not %d", a, sum, reclaimable)
	}
}

// TestCatMatchesGNUTar: cat prints, for every file of the merged
// filesystem, the bytes GNU tar extracts from the layer that holds them.
func TestCatMatchesGNUTar(t *testing.T) {
	for _, a := range contentArchives {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		layers := dockerLayers(t, data)
		var lists [][]gnuEntry
		for _, l := range layers {
			lists = append(lists, gnuList(t, l))
		}
		o := newOracle(lists)
		for _, p := range o.sortedPaths() {
			n := o.fs[p]
			if n.implied || (n.e.Type != '-' && n.e.Type != 'h') {
				continue
			}
			want := gnuTar(t, layers[n.conLayer], "-xOf", "-", n.content.Path)
			code, got, stderr := runCLI(t, nil, "cat", a, "/"+p)
			if code != 0 || got != string(want) {
				t.Errorf("%s: cat %s: exit %d, %d bytes (%s); tar -xO of layer %d gives %d", a, p, code, len(got), stderr, n.conLayer, len(want))
			}
		}
		checkCatLinks(t, a, layers, o)
	}
}

// checkCatLinks cats every symlink of the merged filesystem, and every
// name under a symlink to a directory, against the oracle's own
// resolution: the bytes of the file it reaches (tar -xO), else exit 1.
func checkCatLinks(t *testing.T, a string, layers [][]byte, o *oracle) {
	t.Helper()
	var names []string
	for _, p := range o.sortedPaths() {
		if n := o.fs[p]; n.implied || n.e.Type != 'l' {
			continue
		}
		names = append(names, p)
		if dir, ok := o.resolve(p); ok {
			for _, q := range o.sortedPaths() {
				if path.Dir(q) == dir {
					names = append(names, p+"/"+path.Base(q))
				}
			}
		}
	}
	for _, p := range names {
		code, got, stderr := runCLI(t, nil, "cat", a, "/"+p)
		target, ok := o.resolve(p)
		n := o.fs[target]
		if !ok || n == nil || n.implied || (n.e.Type != '-' && n.e.Type != 'h') {
			if code != 1 || got != "" {
				t.Errorf("%s: cat %s: exit %d, %d bytes; the oracle resolves it to %q %v: not a file", a, p, code, len(got), target, ok)
			}
			continue
		}
		want := gnuTar(t, layers[n.conLayer], "-xOf", "-", n.content.Path)
		if code != 0 || got != string(want) {
			t.Errorf("%s: cat %s (%s): exit %d, %d bytes (%s); tar -xO of layer %d gives %d", a, p, target, code, len(got), stderr, n.conLayer, len(want))
		}
	}
}

// ansi matches the colour sequences dive prints even with NO_COLOR.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestWasteMatchesDive: waste --ci prints dive's block exactly as dive
// --ci printed it for the same image (recorded beside each fixture), and
// with dive's CI file; waste -o json carries dive's --json numbers.
func TestWasteMatchesDive(t *testing.T) {
	type run struct{ archive, recorded, config string }
	runs := []run{{"../../testdata/content/demo.tar", "../../testdata/content/demo.ci.txt", ""},
		{"../../testdata/content/demo.tar", "../../testdata/content/demo.ci-config.txt", "../../testdata/content/dive-ci.yaml"}}
	for _, name := range []string{"overwrite", "deletes", "opaque", "hardlinks", "chains"} {
		runs = append(runs, run{"../../layer/tree/testdata/dive/" + name + ".tar", "../../layer/tree/testdata/dive/" + name + ".ci.txt", ""})
	}
	for _, r := range runs {
		rec, err := os.ReadFile(r.recorded)
		if err != nil {
			t.Fatal(err)
		}
		want := diveBlock(ansi.ReplaceAllString(string(rec), ""))
		args := []string{"waste", "--ci", r.archive}
		if r.config != "" {
			args = []string{"waste", "--ci-config", r.config, r.archive}
		}
		code, out, stderr := runCLI(t, nil, args...)
		wantCode := 0
		if strings.Contains(want, "Result:FAIL") {
			wantCode = 1
		}
		if code != wantCode {
			t.Errorf("%s: exit %d, want %d (%s)", r.recorded, code, wantCode, stderr)
		}
		if got := diveBlock(out); got != want {
			t.Errorf("%s: waste --ci differs from dive --ci:\n--- tardigest\n%s\n--- dive\n%s", r.recorded, got, want)
		}
	}
	checkDiveJSON(t, "../../testdata/content/demo.tar", "../../testdata/content/demo.dive.json")
}

// diveBlock is what follows dive's "Analyzing image..." line, or
// tardigest's "dive's numbers" line: the efficiency lines, the
// inefficient files and the rule results.
func diveBlock(s string) string {
	i := strings.Index(s, "  efficiency:")
	if i < 0 {
		return "(no dive block)\n" + s
	}
	return strings.TrimRight(s[i:], "\n") + "\n" // dive ends with a blank line
}

func checkDiveJSON(t *testing.T, archive, recorded string) {
	t.Helper()
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
	data, err := os.ReadFile(recorded)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	var doc report.WasteDoc
	decodeRun(t, &doc, "waste", "-o", "json", archive)
	d := doc.Dive
	if d.Efficiency != rec.Image.EfficiencyScore || d.Wasted != rec.Image.InefficientBytes || d.Size != rec.Image.SizeBytes ||
		d.InefficientCount != len(rec.Image.FileReference) {
		t.Errorf("%s: dive numbers %+v; dive --json %+v", archive, d, rec.Image)
	}
}
