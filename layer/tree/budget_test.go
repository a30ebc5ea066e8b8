package tree

import (
	"archive/tar"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestBudgetShared walks layers concurrently with one Budget: together
// they record no more entries and names than it allows, each layer that
// ran out says so, and a budget that is not reached changes nothing.
func TestBudgetShared(t *testing.T) {
	layerOf := func(prefix string, n int) []byte {
		var hdrs []*tar.Header
		for i := range n {
			hdrs = append(hdrs, &tar.Header{Name: fmt.Sprintf("%s/f%04d", prefix, i), Size: 1})
		}
		return tarOf(t, hdrs...)
	}
	tars := [][]byte{layerOf("a", 300), layerOf("b", 300), layerOf("c", 300)}
	walk := func(b *Budget) []*Layer {
		out := make([]*Layer, len(tars))
		var wg sync.WaitGroup
		for i, data := range tars {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := NewWalker(Options{Budget: b})
				w.Write(data)
				out[i] = w.Finish()
			}()
		}
		wg.Wait()
		return out
	}
	tests := []struct {
		name               string
		entries, nameBytes int64
		wantTruncated      bool
	}{
		{"ample", 900, 1 << 20, false},
		{"entries", 500, 1 << 20, true},
		{"names", 900, 4000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBudget(tt.entries, tt.nameBytes)
			layers := walk(b)
			total, truncated := 0, 0
			for _, l := range layers {
				total += l.entries.len()
				if l.Facts.Truncated {
					truncated++
					if !hasKind(l, KindLimit) {
						t.Errorf("a truncated layer without a %s finding: %+v", KindLimit, l.Findings)
					}
				}
			}
			if int64(total) > tt.entries {
				t.Errorf("%d entries recorded, budget %d", total, tt.entries)
			}
			if got := truncated > 0; got != tt.wantTruncated {
				t.Errorf("truncated layers: %d, want some: %v", truncated, tt.wantTruncated)
			}
			if !tt.wantTruncated && total != 900 {
				t.Errorf("%d entries recorded, want all 900", total)
			}
			if _, names := b.Spent(); tt.name == "names" && names <= tt.nameBytes {
				t.Errorf("names budget: spent %d of %d, want it overrun", names, tt.nameBytes)
			}
		})
	}
	// A long name costs its bytes: one layer of one 3000-byte name spends
	// a 2000-byte budget.
	w := NewWalker(Options{Budget: NewBudget(10, 2000)})
	w.Write(tarOf(t, &tar.Header{Name: strings.Repeat("x", 3000), Size: 1}))
	if l := w.Finish(); !hasKind(l, KindLimit) {
		t.Errorf("a 3000-byte name within a 2000-byte budget: %+v", l.Findings)
	}
}
