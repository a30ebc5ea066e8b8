package tarball

import (
	"slices"
	"testing"
)

func TestPipelined(t *testing.T) {
	tests := []struct {
		name    string
		sizes   []int64
		workers int
		want    []bool
	}{
		{"one worker never pipelines", []int64{100, 10}, 1, []bool{false, false}},
		{"single blob", []int64{100}, 2, []bool{true}},
		{"largest outweighs the rest", []int64{100, 30, 20}, 2, []bool{true, true, true}},
		{"balanced", []int64{100, 60, 50, 10}, 2, []bool{false, false, true, true}},
		{"more workers share the rest", []int64{100, 60, 50, 10}, 3, []bool{true, true, true, true}},
		{"empty", nil, 2, []bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pipelined(tt.sizes, tt.workers)
			if !slices.Equal(got, tt.want) {
				t.Errorf("pipelined(%v, %d) = %v, want %v", tt.sizes, tt.workers, got, tt.want)
			}
		})
	}
}
