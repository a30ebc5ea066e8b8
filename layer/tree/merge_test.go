package tree

import (
	"archive/tar"
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// layerTar builds a layer from lines of a tiny language:
//
//	f NAME SIZE      regular file        d NAME           directory
//	s NAME TARGET    symbolic link       h NAME TARGET    hard link
//	c NAME           character device    p NAME           fifo
func layerTar(t testing.TB, spec string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, line := range strings.Split(strings.TrimSpace(spec), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		h := &tar.Header{Name: f[1], Mode: 0o644, Format: tar.FormatPAX}
		switch f[0] {
		case "f":
			h.Typeflag = tar.TypeReg
			h.Size, _ = strconv.ParseInt(f[2], 10, 64)
		case "d":
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case "s":
			h.Typeflag, h.Linkname = tar.TypeSymlink, f[2]
		case "h":
			h.Typeflag, h.Linkname = tar.TypeLink, f[2]
		case "c":
			h.Typeflag = tar.TypeChar
		case "p":
			h.Typeflag = tar.TypeFifo
		default:
			t.Fatalf("bad line %q", line)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(bytes.Repeat([]byte{'z'}, int(h.Size)))
	}
	tw.Close()
	return buf.Bytes()
}

func walkAll(tars [][]byte) []*Layer {
	var layers []*Layer
	for _, data := range tars {
		w := NewWalker(Options{})
		w.Write(data)
		layers = append(layers, w.Finish())
	}
	return layers
}

var mergeFindingKinds = map[Kind]bool{KindParentNotDir: true, KindThroughSymlink: true, KindHardlinkMissing: true, KindHardlinkDir: true, KindWhiteoutNothing: true}

// checkAgainstOracle merges tars and compares everything with the oracle.
func checkAgainstOracle(t *testing.T, name string, tars [][]byte) *Image {
	t.Helper()
	layers := walkAll(tars)
	img := Merge(layers, Options{})
	o := runOracle(tars)
	got, err := img.List("", true)
	if err != nil {
		t.Fatalf("%s: List: %v", name, err)
	}
	want := o.entries()
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
		t.Fatalf("%s: merged filesystem differs from the oracle\n got %v\nwant %v", name, g, w)
	}
	wantChanges, wantFacts := o.waste(img)
	for i := range wantChanges {
		wantChanges[i].Flagged = img.Layers[i].Flagged
	}
	if fmt.Sprint(img.Layers) != fmt.Sprint(wantChanges) {
		t.Fatalf("%s: layer changes\n got %+v\nwant %+v", name, img.Layers, wantChanges)
	}
	if img.Facts.Size != wantFacts.Size || img.Waste.Reclaimable != wantFacts.reclaimable || img.Waste.Stored != wantFacts.stored {
		t.Fatalf("%s: size %d reclaimable %d stored %d, oracle %+v", name, img.Facts.Size, img.Waste.Reclaimable, img.Waste.Stored, wantFacts)
	}
	gotFindings := map[string]bool{}
	for _, f := range img.Findings {
		if mergeFindingKinds[f.Kind] {
			gotFindings[string(f.Kind)+" "+string(rune('0'+f.Layer))+" "+f.Path] = true
		}
	}
	if fmt.Sprint(sortedSet(gotFindings)) != fmt.Sprint(sortedSet(o.findings)) {
		t.Fatalf("%s: findings\n got %v\nwant %v", name, sortedSet(gotFindings), sortedSet(o.findings))
	}
	return img
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// entries lists the oracle's filesystem as Entries (the fields compared).
func (o *oracle) entries() []Entry {
	var out []Entry
	for _, p := range o.sortedKeysByComponent() {
		n := o.fs[p]
		e := Entry{Path: p, Layer: n.layer, Index: n.index, ContentLayer: n.clayer, ContentIndex: n.cindex}
		switch n.typ {
		case 0:
			e.Type, e.Mode = TypeDir, 0o755
		default:
			le := o.layers[n.layer][n.index]
			e.Type = map[byte]Type{tar.TypeReg: TypeFile, tar.TypeDir: TypeDir, tar.TypeSymlink: TypeSymlink, tar.TypeLink: TypeHardlink, tar.TypeChar: TypeChar, tar.TypeBlock: TypeBlock, tar.TypeFifo: TypeFIFO}[n.typ]
			e.Mode, e.ModTime = uint32(le.mode)&0o7777, le.mtime
			e.Size = le.size
			if n.typ == tar.TypeSymlink || n.typ == tar.TypeLink {
				e.Linkname = le.link
			}
			e.ContentPath = strings.Join(oclean(le.name), "/")
			if n.typ == tar.TypeLink {
				c := o.layers[n.clayer][n.cindex]
				e.Size, e.ContentPath = c.size, strings.Join(oclean(c.name), "/")
			}
		}
		out = append(out, e)
	}
	return out
}

// sortedKeysByComponent orders paths as a recursive listing does: each
// directory's children by name, each followed by its own contents.
func (o *oracle) sortedKeysByComponent() []string {
	var keys []string
	for k := range o.fs {
		if k != "" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := strings.Split(keys[i], "/"), strings.Split(keys[j], "/")
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	return keys
}

type oracleTotals struct{ Size, reclaimable, stored int64 }

// waste computes reclaimable bytes by brute force: a regular entry is
// live when some visible path's content is it.
func (o *oracle) waste(img *Image) ([]LayerChange, oracleTotals) {
	live := map[[2]int]bool{}
	for _, n := range o.fs {
		if n.typ == tar.TypeReg || n.typ == tar.TypeLink {
			if o.layers[n.clayer][n.cindex].typ == tar.TypeReg {
				live[[2]int{n.clayer, n.cindex}] = true
			}
		}
	}
	var tot oracleTotals
	changes := append([]LayerChange(nil), o.changes...)
	for li, es := range o.layers {
		for i, e := range es {
			if e.typ != tar.TypeReg || isWhiteoutName(e.name) {
				continue
			}
			tot.stored += e.size
			if live[[2]int{li, i}] {
				tot.Size += e.size
			} else {
				tot.reclaimable += e.size
				changes[li].Reclaimable += e.size
			}
		}
	}
	return changes, tot
}

func isWhiteoutName(name string) bool {
	c := oclean(name)
	return len(c) > 0 && strings.HasPrefix(c[len(c)-1], ".wh.")
}

// randomStack draws a few layers over a small namespace, so that paths
// collide: overwrites, whiteouts, opaque directories, hard links across
// layers, symlink chains, loops and escapes.
func randomStack(t testing.TB, rng *rand.Rand) [][]byte {
	names := []string{"a", "b", "c", "-d"}
	randPath := func() string {
		var p []string
		for range 1 + rng.IntN(3) {
			p = append(p, names[rng.IntN(len(names))])
		}
		return strings.Join(p, "/")
	}
	var tars [][]byte
	for range 1 + rng.IntN(4) {
		var lines []string
		for range rng.IntN(9) {
			p := randPath()
			if rng.IntN(4) == 0 {
				p = "./" + p
			}
			switch rng.IntN(10) {
			case 0, 1, 2:
				lines = append(lines, fmt.Sprintf("f %s %d", p, rng.IntN(50)))
			case 3:
				lines = append(lines, "d "+p)
			case 4:
				targets := []string{"a", "../a", "/b", "c/..", "../../..", randPath(), "/" + randPath(), "."}
				lines = append(lines, "s "+p+" "+targets[rng.IntN(len(targets))])
			case 5:
				lines = append(lines, "h "+p+" "+randPath())
			case 6, 7:
				dir := p[:max(0, strings.LastIndexByte(p, '/'))]
				lines = append(lines, fmt.Sprintf("f %s 0", strings.TrimPrefix(dir+"/.wh."+names[rng.IntN(len(names))], "/")))
			case 8:
				lines = append(lines, fmt.Sprintf("f %s/.wh..wh..opq 0", p))
			case 9:
				lines = append(lines, "c "+p)
			}
		}
		tars = append(tars, layerTar(t, strings.Join(lines, "\n")))
	}
	return tars
}

func TestMergeRandom(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 11))
		checkAgainstOracle(t, fmt.Sprintf("seed %d", seed), randomStack(t, rng))
	}
}

// FuzzMerge drives the random stack generator from fuzzed seeds and
// checks Merge and Dive against their oracles.
func FuzzMerge(f *testing.F) {
	for seed := range uint64(20) {
		f.Add(seed, seed*7)
	}
	f.Fuzz(func(t *testing.T, a, b uint64) {
		tars := randomStack(t, rand.New(rand.NewPCG(a, b)))
		checkAgainstOracle(t, "fuzz", tars)
		checkDive(t, "fuzz", tars)
	})
}
