package compare

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer/tree"
	"github.com/tardigest/tardigest/tarball"
)

// comparer holds what the walk of two filesystems found, and the file
// contents it still has to hash.
type comparer struct {
	sides [2]Side
	opts  Options
	// shared are the diffIDs both images hold.
	shared map[digest.Digest]bool
	sum    *summary
	// pending are the paths whose contents decide.
	pending []pendingChange
	// need are the entries to hash, per side, by layer then entry index.
	need [2]map[int]map[int]digest.Digest
}

func newComparer(a, b Side, opts Options) *comparer {
	c := &comparer{sides: [2]Side{a, b}, opts: opts, shared: map[digest.Digest]bool{}, sum: newSummary(opts.MaxListed)}
	inA := map[digest.Digest]bool{}
	for _, l := range a.Result.Images[a.Image].Layers {
		inA[l.DiffID] = l.DiffID != ""
	}
	for _, l := range b.Result.Images[b.Image].Layers {
		if inA[l.DiffID] {
			c.shared[l.DiffID] = true
		}
	}
	c.need = [2]map[int]map[int]digest.Digest{{}, {}}
	return c
}

func (c *comparer) add(ch FileChange) {
	if selected(ch.Path, c.opts.Paths) {
		c.sum.add(ch)
	}
}

// diffID is the content of layer j of side s.
func (c *comparer) diffID(s, j int) digest.Digest {
	layers := c.sides[s].Result.Images[c.sides[s].Image].Layers
	if j < 0 || j >= len(layers) {
		return ""
	}
	return layers[j].DiffID
}

// compare keeps a path both sides hold when it differs, or when its
// content must be hashed to tell.
func (c *comparer) compare(a, b tree.Entry) {
	if !selected(a.Path, c.opts.Paths) {
		return
	}
	ch := FileChange{Path: a.Path, Change: Modified, What: metadataChanges(a, b), A: info(a), B: info(b)}
	if len(ch.What) > 0 || !regular(a) || !regular(b) {
		if len(ch.What) > 0 {
			c.sum.add(ch)
		}
		return
	}
	da, db := c.diffID(0, a.ContentLayer), c.diffID(1, b.ContentLayer)
	if da != "" && da == db && a.ContentIndex == b.ContentIndex {
		return // the same entry of the same layer content
	}
	if a.Digest != "" && b.Digest != "" {
		if a.Digest != b.Digest {
			ch.What = []string{"content"}
			c.sum.add(ch)
		}
		return
	}
	if !c.hashable(0, a) || !c.hashable(1, b) {
		ch.Change = Rewritten
		c.sum.add(ch)
		return
	}
	c.ask(0, a)
	c.ask(1, b)
	c.pending = append(c.pending, pendingChange{change: ch, a: a, b: b})
}

// hashable reports whether side s can tell the digest of e's content
// without reading a shared layer.
func (c *comparer) hashable(s int, e tree.Entry) bool {
	if e.Digest != "" {
		return true
	}
	return c.sides[s].Name != "-" && !c.shared[c.diffID(s, e.ContentLayer)]
}

func (c *comparer) ask(s int, e tree.Entry) {
	if e.Digest != "" {
		return
	}
	m := c.need[s][e.ContentLayer]
	if m == nil {
		m = map[int]digest.Digest{}
		c.need[s][e.ContentLayer] = m
	}
	m[e.ContentIndex] = ""
}

// hash reads again the layers holding contents to compare, both sides
// at once, then settles the pending changes: equal contents are no
// change.
func (c *comparer) hash(ctx context.Context) ([]HashedLayer, error) {
	var errs [2]error
	var wg sync.WaitGroup
	for s := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[s] = c.hashSide(ctx, s)
		}()
	}
	wg.Wait()
	for s, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", "AB"[s:s+1], err)
		}
	}
	for _, p := range c.pending {
		ch := p.change
		da, db := c.digestOf(0, p.a), c.digestOf(1, p.b)
		switch {
		case da == "" || db == "":
			ch.Change = Rewritten // not hashed: a sparse file
		case da == db:
			continue
		default:
			ch.A.Digest, ch.B.Digest = da, db
			ch.What = []string{"content"}
		}
		c.sum.add(ch)
	}
	c.pending = nil
	hashed := []HashedLayer{}
	for s := range 2 {
		for _, j := range sortedKeys(c.need[s]) {
			hashed = append(hashed, HashedLayer{Side: "AB"[s : s+1], Layer: j, Files: len(c.need[s][j])})
		}
	}
	return hashed, nil
}

func (c *comparer) digestOf(s int, e tree.Entry) digest.Digest {
	if e.Digest != "" {
		return e.Digest
	}
	return c.need[s][e.ContentLayer][e.ContentIndex]
}

// hashSide reads each layer of side s that holds contents to compare,
// once, hashing only those entries, and checks the layer's diffID did
// not change since it was verified.
func (c *comparer) hashSide(ctx context.Context, s int) error {
	side := c.sides[s]
	for _, j := range sortedKeys(c.need[s]) {
		want := c.need[s][j]
		hashes := map[int]hash.Hash{}
		w := tree.NewWalker(tree.Options{
			Limits: tree.Limits{MaxEntries: c.opts.Read.Limits.MaxFiles},
			Body: func(i int) io.Writer {
				if _, ok := want[i]; !ok {
					return nil
				}
				h := sha256.New()
				hashes[i] = h
				return h
			},
		})
		again, err := side.Result.ReadLayer(ctx, side.Name, side.Image, j, c.opts.Read, w)
		w.Finish()
		if err != nil {
			return fmt.Errorf("layer %d: %w", j, err)
		}
		if was := c.diffID(s, j); again.DiffID != was {
			return fmt.Errorf("%w: layer %d changed since it was read: its diffID is now %s, was %s", tarball.ErrMismatch, j, again.DiffID, was)
		}
		for i := range want {
			if h, ok := hashes[i]; ok {
				want[i] = digest.NewDigest(digest.SHA256, h)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
