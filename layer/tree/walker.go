package tree

import (
	"fmt"
	"io"
)

// header is one tar entry as archive/tar would return it from Next:
// extended headers, GNU long names and sparse names already applied.
// Its byte slices point into the walker's buffers and are valid only
// while the entry is being recorded.
type header struct {
	name, linkname []byte
	uname, gname   []byte
	typeflag       byte
	format         int
	size           int64 // logical size (for a sparse file, its expanded size)
	mode           int64
	uid, gid       int64
	mtime          int64
	nsec           int32
	xattrs         []xattr
	sparse         bool
	offset         int64 // stream offset of the entry's first header block
}

// xattr is one SCHILY.xattr.* or LIBARCHIVE.xattr.* record, key as written.
type xattr struct{ key, value string }

// Walker states.
const (
	stHeader    = iota // reading a header block
	stZero             // one zero block seen: the next must be zero too
	stData             // skipping (and maybe hashing) an entry's data
	stPad              // skipping the padding after data
	stSpecial          // collecting a PAX header or GNU long name
	stSparseExt        // reading old GNU sparse extension blocks
	stSparseMap        // reading a GNU sparse 1.0 map at the start of the data
	stEnd              // after the end-of-archive marker
	stStopped          // invalid tar or over a limit: the rest is only counted
)

// Walker parses a tar stream pushed to it in chunks of any size, in the
// same pass that hashes the stream, without copying or buffering file
// bodies: header blocks are parsed, data is skipped by counting. Write
// always consumes everything and returns len(p), nil, so a broken tar
// never disturbs the caller's digest; it becomes a finding of the layer
// and parsing stops there. Call Finish once after the last Write. A
// Walker is used by one goroutine at a time.
type Walker struct {
	opts  Options
	rec   *recorder
	state int
	off   int64 // bytes consumed so far

	blk      [blockSize]byte // a header block split across writes
	nblk     int
	blockOff int64 // stream offset of the block being handled

	remaining int64 // data bytes left in the current entry
	pad       int64 // padding bytes left after it
	body      io.Writer

	special     []byte // PAX header or GNU long name being collected
	specialWant int64
	specialType byte
	specialOff  int64
	pending     pending
	hdr         header
	nameBuf     []byte

	sparse   sparseState
	trailing int64 // non-zero bytes after the end marker
	hook     func(*header)
}

// pending holds what meta headers say about the next entry.
type pending struct {
	pax      map[string]string
	longName []byte
	longLink []byte
	has      bool // a meta header was seen since the last entry
}

// sparseState follows an old GNU sparse entry's extension blocks or a
// GNU 1.0 sparse map.
type sparseState struct {
	check   sparseCheck
	buf     []byte
	ext     int // extension blocks read so far
	started int64
}

// NewWalker returns a Walker for one layer.
func NewWalker(opts Options) *Walker {
	opts = opts.withDefaults()
	return &Walker{opts: opts, rec: newRecorder(opts)}
}

// Write parses p. It never fails: see Walker.
func (w *Walker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		var k int
		switch w.state {
		case stHeader, stZero, stSparseExt:
			k = w.writeBlock(p)
		case stData:
			k = w.writeData(p)
		case stPad:
			k = int(min(int64(len(p)), w.pad))
			if w.pad -= int64(k); w.pad == 0 {
				w.state = stHeader
			}
		case stSpecial:
			k = w.writeSpecial(p)
		case stSparseMap:
			k = w.writeSparseMap(p)
		case stEnd:
			k = len(p)
			w.countTrailing(p)
		default:
			k = len(p)
		}
		p = p[k:]
		w.off += int64(k)
	}
	return n, nil
}

// writeBlock feeds header-sized blocks, parsing straight from p when a
// whole block is there.
func (w *Walker) writeBlock(p []byte) int {
	if w.nblk == 0 && len(p) >= blockSize {
		w.blockOff = w.off
		w.block(p[:blockSize])
		return blockSize
	}
	if w.nblk == 0 {
		w.blockOff = w.off
	}
	k := copy(w.blk[w.nblk:], p)
	w.nblk += k
	if w.nblk == blockSize {
		w.nblk = 0
		w.block(w.blk[:])
	}
	return k
}

func (w *Walker) block(b []byte) {
	if w.state == stSparseExt {
		w.sparseExtBlock(b)
		return
	}
	if isZeroBlock(b) {
		if w.state == stZero {
			w.state = stEnd
			return
		}
		w.state = stZero
		return
	}
	if w.state == stZero {
		w.fail(w.blockOff, "a zero block followed by a non-zero block")
		return
	}
	w.header(b)
}

func (w *Walker) writeData(p []byte) int {
	k := int(min(int64(len(p)), w.remaining))
	if w.body != nil {
		w.body.Write(p[:k])
	}
	if w.remaining -= int64(k); w.remaining == 0 {
		w.endData()
	}
	return k
}

// endData finishes the data of an entry and moves to its padding.
func (w *Walker) endData() {
	w.rec.endBody()
	w.body = nil
	w.state = stHeader
	if w.pad > 0 {
		w.state = stPad
	}
}

// startData sets up the data section of n bytes that follows a header.
func (w *Walker) startData(n int64) {
	w.remaining = n
	w.pad = -n & (blockSize - 1)
	w.state = stData
	if n == 0 {
		w.endData()
	}
}

func (w *Walker) countTrailing(p []byte) {
	for _, c := range p {
		if c != 0 {
			w.trailing++
		}
	}
}

// fail stops parsing: the layer is not a valid tar from offset on.
func (w *Walker) fail(offset int64, format string, args ...any) {
	w.rec.invalid(offset, fmt.Sprintf(format, args...))
	w.stop()
}

func (w *Walker) stop() {
	w.state = stStopped
	w.body = nil
	w.special = nil
	w.sparse = sparseState{}
}

// Finish ends the stream and returns the layer. The Walker must not be
// used afterwards.
func (w *Walker) Finish() *Layer {
	switch w.state {
	case stHeader:
		if w.nblk > 0 {
			w.fail(w.off-int64(w.nblk), "the stream ends inside a header block")
		} else {
			w.rec.noEndMarker(w.off, w.pending.has)
		}
	case stZero:
		if w.nblk > 0 {
			w.fail(w.off-int64(w.nblk), "the stream ends inside the end-of-archive marker")
		} else {
			w.rec.noEndMarker(w.off, false)
		}
	case stPad:
		w.rec.noEndMarker(w.off, false)
	case stData, stSparseMap, stSparseExt:
		w.fail(w.off, "the stream ends inside the data of %q", w.rec.currentName())
	case stSpecial:
		w.fail(w.off, "the stream ends inside an extended header")
	case stEnd:
		w.rec.trailingData(w.off, w.trailing)
	}
	return w.rec.finish(w.off)
}
