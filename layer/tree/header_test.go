package tree

import (
	"math/rand/v2"
	"testing"
)

// TestBlockSum compares the word-wise sum with a byte-by-byte one, on
// the extremes and on random blocks.
func TestBlockSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	blocks := [][]byte{make([]byte, blockSize), make([]byte, blockSize)}
	for i := range blocks[1] {
		blocks[1][i] = 0xff
	}
	for range 1000 {
		b := make([]byte, blockSize)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		blocks = append(blocks, b)
	}
	for k, b := range blocks {
		var want int64
		for _, c := range b {
			want += int64(c)
		}
		if got := blockSum(b); got != want {
			t.Fatalf("block %d: blockSum %d, want %d", k, got, want)
		}
	}
}

// TestParseOctal compares parseOctal with the rules of archive/tar on
// the shapes numeric fields take.
func TestParseOctal(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0000644\x00", 0o644, true}, {"     17 ", 0o17, true}, {"\x00\x00\x00", 0, true}, {"", 0, true},
		{"   ", 0, true}, {"0001750\x00junk", 0o1750, true}, {"00008", 0, false}, {"12 34", 0, false},
		{"77777777777\x00", 0o77777777777, true}, {"7777777777777777777777", 0, false}, {"777777777777777777777", 1<<63 - 1, true},
		// 2^64-1: strconv.ParseUint takes it, and archive/tar converts it
		// to int64 as it is.
		{"1777777777777777777777", -1, true}, {"2000000000000000000000", 0, false},
		{"-1", 0, false}, {" \x00 12\x00 ", 0o12, true},
	}
	for _, tt := range tests {
		got, ok := parseOctal([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseOctal(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
