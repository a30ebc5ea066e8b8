package tree

import (
	"bytes"
	"fmt"
	"testing"
)

// TestChunked pushes across several chunks and reads every record back.
func TestChunked(t *testing.T) {
	var s chunked[uint64]
	const n = 3*chunkLen + 17
	for i := range n {
		s.push(uint64(i) * 3)
	}
	s.clip()
	if s.len() != n {
		t.Fatalf("len %d, want %d", s.len(), n)
	}
	for i := range n {
		if got := *s.at(i); got != uint64(i)*3 {
			t.Fatalf("record %d = %d", i, got)
		}
	}
}

// TestArena stores strings across chunks, some as long as a chunk allows,
// and reads every one back by its offset, after later additions too.
func TestArena(t *testing.T) {
	var a arena
	var offs []uint32
	var want [][]byte
	for i := range 5000 {
		s := bytes.Repeat([]byte(fmt.Sprint(i%10)), i%700)
		if i%1000 == 999 {
			s = bytes.Repeat([]byte("x"), arenaChunk-3) // the largest that fits with its length
		}
		offs = append(offs, a.add(s))
		want = append(want, s)
	}
	a.clip()
	for i, off := range offs {
		if got := a.str(off); !bytes.Equal(got, want[i]) {
			t.Fatalf("string %d: %d bytes, want %d", i, len(got), len(want[i]))
		}
	}
	if len(a.c) < 3 {
		t.Errorf("%d chunks: the strings did not cross chunks", len(a.c))
	}
}
