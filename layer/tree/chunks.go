package tree

import "encoding/binary"

// A slice grown by append allocates about five times its final size on
// the way (Go grows a large slice by a quarter at a time), and every byte
// of it is memory the kernel must hand over and zero: for a layer of a
// million entries that was most of the cost of walking it. The per-entry
// and per-name records are therefore kept in chunks that never move once
// full, so a walk touches its memory once.

const (
	chunkBits = 14 // records per chunk: 16384
	chunkLen  = 1 << chunkBits
)

// chunked is an append-only list of records in chunks of chunkLen. The
// first chunk grows as a slice does, so a small layer stays small.
type chunked[T any] struct {
	c [][]T
	n int
}

func (s *chunked[T]) len() int { return s.n }

// at returns record i; it panics when i is out of range, as a slice does.
func (s *chunked[T]) at(i int) *T { return &s.c[i>>chunkBits][i&(chunkLen-1)] }

func (s *chunked[T]) push(v T) {
	k := len(s.c) - 1
	if k < 0 || len(s.c[k]) == chunkLen {
		capacity := chunkLen
		if k < 0 {
			capacity = 16
		}
		s.c = append(s.c, make([]T, 0, capacity))
		k++
	}
	s.c[k] = append(s.c[k], v)
	s.n++
}

// clip drops the spare capacity of the last chunk.
func (s *chunked[T]) clip() {
	if k := len(s.c) - 1; k >= 0 {
		s.c[k] = append([]T(nil), s.c[k]...)
	}
}

const (
	arenaBits  = 20 // bytes per arena chunk: 1 MiB, far more than one name (MaxPathBytes)
	arenaChunk = 1 << arenaBits
)

// arena holds strings, each prefixed with its length as a uvarint, in
// chunks of arenaChunk bytes. A string never spans two chunks, so its
// offset (chunk << arenaBits | position) names it for good, and a view
// of it stays valid: chunks are only appended to.
type arena struct {
	c [][]byte
}

// add stores s and returns its offset.
func (a *arena) add(s []byte) uint32 {
	var lenBuf [binary.MaxVarintLen64]byte
	prefix := binary.PutUvarint(lenBuf[:], uint64(len(s)))
	k := len(a.c) - 1
	if k < 0 || len(a.c[k])+prefix+len(s) > arenaChunk {
		capacity := arenaChunk
		if k < 0 {
			capacity = 256
		}
		a.c = append(a.c, make([]byte, 0, max(capacity, prefix+len(s))))
		k++
	}
	off := uint32(k<<arenaBits | len(a.c[k]))
	a.c[k] = append(append(a.c[k], lenBuf[:prefix]...), s...)
	return off
}

// str returns the string at off.
func (a *arena) str(off uint32) []byte {
	c := a.c[off>>arenaBits][off&(arenaChunk-1):]
	l, k := binary.Uvarint(c)
	return c[k : k+int(l)]
}

// clip drops the spare capacity of the last chunk.
func (a *arena) clip() {
	if k := len(a.c) - 1; k >= 0 {
		a.c[k] = append([]byte(nil), a.c[k]...)
	}
}
