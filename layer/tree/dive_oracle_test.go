package tree

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"testing"
)

// A literal model of dive v0.13.1's analysis (its filetree package), on
// pointer trees and maps, written from reading dive's code: per-layer
// trees, stacking by a children-first walk in name order, and the
// efficiency walk that stacks the layers below again for every whiteout.
// Dive must agree with it exactly on random layer stacks.

type dvNode struct {
	name     string
	parent   *dvNode
	children map[string]*dvNode
	size     int64
	isDir    bool
}

func newDvTree() *dvNode { return &dvNode{children: map[string]*dvNode{}} }

func (n *dvNode) keys() []string {
	var ks []string
	for k := range n.children {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (n *dvNode) path() string {
	var parts []string
	for c := n; c.parent != nil; c = c.parent {
		name := c.name
		if c == n {
			name = strings.TrimPrefix(name, ".wh.")
		}
		parts = append([]string{name}, parts...)
	}
	return strings.ReplaceAll("/"+strings.Join(parts, "/"), "//", "/")
}

func dvSplit(p string) []string {
	var out []string
	for _, c := range strings.Split(strings.Trim(p, "/"), "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func (root *dvNode) add(p string, size int64, isDir bool) {
	n := root
	comps := dvSplit(path.Clean(p))
	for i, c := range comps {
		if n.children[c] == nil {
			if strings.HasPrefix(c, ".wh..wh.") {
				return
			}
			n.children[c] = &dvNode{name: c, parent: n, children: map[string]*dvNode{}}
		}
		n = n.children[c]
		if i == len(comps)-1 {
			n.size, n.isDir = size, isDir
		}
	}
}

func (root *dvNode) get(p string) *dvNode {
	n := root
	for _, c := range dvSplit(p) {
		if n = n.children[c]; n == nil {
			return nil
		}
	}
	return n
}

func (n *dvNode) walk(fn func(*dvNode) error) error {
	for _, k := range n.keys() {
		if err := n.children[k].walk(fn); err != nil {
			return err
		}
	}
	if n.parent == nil {
		return nil
	}
	return fn(n)
}

func (n *dvNode) copyTo(parent *dvNode) *dvNode {
	c := &dvNode{name: n.name, parent: parent, children: map[string]*dvNode{}, size: n.size, isDir: n.isDir}
	for k, ch := range n.children {
		c.children[k] = ch.copyTo(c)
	}
	return c
}

func (root *dvNode) stack(upper *dvNode) {
	upper.walk(func(n *dvNode) error {
		if strings.HasPrefix(n.name, ".wh.") {
			if t := root.get(n.path()); t != nil {
				delete(t.parent.children, t.name)
			}
		} else {
			root.add(n.path(), n.size, n.isDir)
		}
		return nil
	})
}

func dvStackRange(trees []*dvNode, stop int) *dvNode {
	t := trees[0].copyTo(nil)
	for i := 0; i <= stop; i++ {
		t.stack(trees[i])
	}
	return t
}

type dvData struct {
	count     int
	cum, minv int64
}

func dvOracle(tars [][]byte) (DiveReport, []DivePath) {
	var trees []*dvNode
	var rep DiveReport
	for k, data := range tars {
		t := newDvTree()
		tr := tar.NewReader(bytes.NewReader(data))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			io.Copy(io.Discard, tr)
			if path.Clean(h.Name) == "." {
				continue
			}
			rep.Size += h.Size
			if k > 0 {
				rep.UserSize += h.Size
			}
			t.add(path.Clean(h.Name), h.Size, h.FileInfo().IsDir())
		}
		trees = append(trees, t)
	}
	data := map[string]*dvData{}
	for k, t := range trees {
		t.walk(func(n *dvNode) error {
			if len(n.children) > 0 {
				return nil
			}
			p := n.path()
			d := data[p]
			if d == nil {
				d = &dvData{minv: -1}
				data[p] = d
			}
			size := n.size
			if strings.HasPrefix(n.name, ".wh.") {
				size = 0
				prev := dvStackRange(trees, k-1).get(p)
				if prev == nil {
					return errors.New("path does not exist")
				}
				if prev.isDir {
					prev.walk(func(c *dvNode) error { size += c.size; return nil })
					size += prev.size
				}
			}
			d.count++
			d.cum += size
			if d.minv < 0 || size < d.minv {
				d.minv = size
			}
			return nil
		})
	}
	var minSum, cumSum int64
	var ineff []DivePath
	for p, d := range data {
		minSum += d.minv
		cumSum += d.cum
		if d.count >= 2 {
			rep.Wasted += d.cum
			ineff = append(ineff, DivePath{p, d.count, d.cum})
		}
	}
	rep.Efficiency = 1
	if cumSum != 0 {
		rep.Efficiency = float64(minSum) / float64(cumSum)
	}
	if rep.UserSize != 0 {
		rep.UserWastedPercent = float64(rep.Wasted) / float64(rep.UserSize)
	}
	rep.InefficientCount = len(ineff)
	return rep, ineff
}

func sortDivePaths(ps []DivePath) {
	sort.Slice(ps, func(i, j int) bool {
		return ps[i].Size > ps[j].Size || ps[i].Size == ps[j].Size && ps[i].Path < ps[j].Path
	})
}

func checkDive(t *testing.T, name string, tars [][]byte) {
	t.Helper()
	got := Dive(walkAll(tars), Options{Limits: Limits{MaxListed: 1 << 20}})
	want, paths := dvOracle(tars)
	sortDivePaths(paths)
	want.InefficientPaths = append([]DivePath{}, paths...)
	if !equalDive(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", name, got, want)
	}
}

func TestDiveRandom(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 13))
		checkDive(t, fmt.Sprintf("seed %d", seed), randomStack(t, rng))
	}
}
