package tree

import (
	"bytes"
	"strconv"
)

// header handles one non-zero header block: a meta header (PAX, GNU long
// name) is collected for the entry that follows; anything else is an
// entry, recorded once its extended headers are applied.
func (w *Walker) header(b []byte) {
	at := w.blockOff
	var err error
	w.nameBuf, err = parseBlock(b, &w.hdr, w.nameBuf)
	if err != nil {
		w.fail(at, "bad header block (checksum, magic or a numeric field)")
		return
	}
	h := &w.hdr
	h.offset = at
	if !headerOnly(h.typeflag) && h.size < 0 {
		w.fail(at, "negative size in header of %q", h.name)
		return
	}
	switch h.typeflag {
	case typePAX, typePAXG, typeLongName, typeLongLink:
		w.startSpecial(h.typeflag, h.size, at)
		return
	}
	w.entry(b, at)
}

// startSpecial begins collecting the data of a meta header.
func (w *Walker) startSpecial(flag byte, size, at int64) {
	if size > maxSpecialBytes {
		w.fail(at, "extended header of %d bytes, over the %d-byte limit", size, maxSpecialBytes)
		return
	}
	w.pending.has = true
	w.specialOff = at
	w.specialType = flag
	w.specialWant = size
	w.special = w.special[:0]
	w.state = stSpecial
	w.pad = -size & (blockSize - 1)
	if size == 0 {
		w.endSpecial()
	}
}

func (w *Walker) writeSpecial(p []byte) int {
	k := int(min(int64(len(p)), w.specialWant-int64(len(w.special))))
	w.special = append(w.special, p[:k]...)
	if int64(len(w.special)) == w.specialWant {
		w.endSpecial()
	}
	return k
}

// endSpecial applies a complete meta header.
func (w *Walker) endSpecial() {
	at := w.specialOff
	switch w.specialType {
	case typePAX, typePAXG:
		recs, err := parsePAX(w.special)
		if err != nil {
			w.fail(at, "bad PAX extended header")
			return
		}
		if w.specialType == typePAXG {
			// A global header is returned by archive/tar as an entry
			// of its own and applied to nothing; docker and containerd
			// skip it. It also ends what earlier meta headers said.
			w.pending = pending{}
		} else {
			w.pending.pax = recs
		}
	case typeLongName:
		w.pending.longName = append(w.pending.longName[:0], cString(w.special)...)
	case typeLongLink:
		w.pending.longLink = append(w.pending.longLink[:0], cString(w.special)...)
	}
	w.state = stHeader
	if w.pad > 0 {
		w.state = stPad
	}
}

// entry finishes the header of a real entry: extended headers, long
// names, the legacy regular type, and sparse maps, in archive/tar's order.
func (w *Walker) entry(b []byte, at int64) {
	h := &w.hdr
	recs := w.pending.pax
	if err := mergePAX(h, recs); err != nil {
		w.fail(at, "bad value in the PAX extended header of %q", h.name)
		return
	}
	if len(w.pending.longName) > 0 {
		h.name = w.pending.longName
	}
	if len(w.pending.longLink) > 0 {
		h.linkname = w.pending.longLink
	}
	if h.typeflag == typeRegA {
		h.typeflag = typeReg
		if bytes.HasSuffix(h.name, []byte("/")) {
			h.typeflag = typeDir
		}
	}
	physical := h.size
	if headerOnly(h.typeflag) {
		physical = 0
	}
	if physical < 0 {
		w.fail(at, "negative size in header of %q", h.name)
		return
	}
	w.pending.has = false
	if h.typeflag == typeSparse {
		w.oldSparse(b, at, physical)
		return
	}
	switch paxSparse(recs) {
	case 1:
		if !w.paxSparseHeader(recs, at) {
			return
		}
		if headerOnly(h.typeflag) || !checkSparseMap01(recs, h.size) {
			w.fail(at, "bad GNU sparse map for %q", h.name)
			return
		}
	case 2:
		if !w.paxSparseHeader(recs, at) {
			return
		}
		if headerOnly(h.typeflag) {
			w.fail(at, "bad GNU sparse map for %q", h.name)
			return
		}
		w.startSparseMap(physical)
		return
	}
	w.emit(physical)
}

// emit records the entry and starts its data section.
func (w *Walker) emit(physical int64) {
	h := &w.hdr
	if w.hook != nil {
		w.hook(h)
	}
	w.body = w.rec.add(h)
	w.pending = pending{longName: w.pending.longName[:0], longLink: w.pending.longLink[:0]}
	if w.rec.stopped {
		w.stop()
		return
	}
	w.startData(physical)
}

// paxSparseHeader applies a PAX sparse file's name and real size; it
// returns false when the size does not parse (and the walker stopped).
func (w *Walker) paxSparseHeader(recs map[string]string, at int64) bool {
	h := &w.hdr
	h.sparse = true
	if name := recs[sparseName]; name != "" {
		h.name = []byte(name)
	}
	size := recs[sparseSize]
	if size == "" {
		size = recs[sparseRealSize]
	}
	if size != "" {
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil {
			w.fail(at, "bad GNU sparse size for %q", h.name)
			return false
		}
		h.size = n
	}
	return true
}

// oldSparse starts an old GNU sparse entry ('S'): the map is in the
// header and in extension blocks that follow it, before the data.
func (w *Walker) oldSparse(b []byte, at, physical int64) {
	h := &w.hdr
	h.sparse = true
	if blockFormat(b) != formatGNU {
		w.fail(at, "sparse entry %q is not in GNU format", h.name)
		return
	}
	real, ok := parseNumeric(b[483:495])
	if !ok {
		w.fail(at, "bad real size of sparse entry %q", h.name)
		return
	}
	h.size = real
	w.sparse = sparseState{check: sparseCheck{size: real}, started: physical}
	if !w.sparseEntries(b[386:483], 4) {
		return
	}
	if b[482] != 0 {
		w.state = stSparseExt
		return
	}
	w.endOldSparse()
}

// sparseEntries reads up to n (offset, length) pairs of 24 bytes; it
// returns false when parsing failed (and the walker stopped).
func (w *Walker) sparseEntries(s []byte, n int) bool {
	for i := 0; i < n; i++ {
		e := s[i*24 : i*24+24]
		if e[0] == 0 {
			break
		}
		off, ok1 := parseNumeric(e[:12])
		length, ok2 := parseNumeric(e[12:])
		if !ok1 || !ok2 {
			w.fail(w.hdr.offset, "bad sparse map of %q", w.hdr.name)
			return false
		}
		w.sparse.check.add(sparseEntry{off, length})
	}
	return true
}

func (w *Walker) sparseExtBlock(b []byte) {
	w.sparse.ext++
	if 97+blockSize*w.sparse.ext >= maxSpecialBytes {
		w.fail(w.hdr.offset, "sparse map of %q over %d bytes", w.hdr.name, maxSpecialBytes)
		return
	}
	if !w.sparseEntries(b, 21) {
		return
	}
	if b[504] == 0 {
		w.endOldSparse()
	}
}

func (w *Walker) endOldSparse() {
	if w.sparse.check.bad || w.sparse.check.size < 0 {
		w.fail(w.hdr.offset, "bad sparse map of %q", w.hdr.name)
		return
	}
	w.state = stHeader
	w.emit(w.sparse.started)
}

// startSparseMap reads a GNU 1.0 sparse map: whole blocks at the start
// of the data, newline-separated decimal numbers.
func (w *Walker) startSparseMap(physical int64) {
	w.sparse = sparseState{started: physical}
	w.remaining = physical
	w.state = stSparseMap
}

func (w *Walker) writeSparseMap(p []byte) int {
	need := blockSize - len(w.sparse.buf)%blockSize
	if w.remaining < int64(need) {
		// The map runs past the entry's data: archive/tar reads whole
		// blocks of it and fails.
		k := int(min(int64(len(p)), w.remaining))
		w.remaining -= int64(k)
		if w.remaining == 0 {
			w.fail(w.hdr.offset, "bad GNU sparse map for %q", w.hdr.name)
		}
		return k
	}
	if len(w.sparse.buf)%blockSize == 0 && len(w.sparse.buf)+blockSize > maxSpecialBytes {
		w.fail(w.hdr.offset, "GNU sparse map of %q over %d bytes", w.hdr.name, maxSpecialBytes)
		return 0
	}
	k := min(len(p), need)
	w.sparse.buf = append(w.sparse.buf, p[:k]...)
	w.remaining -= int64(k)
	if len(w.sparse.buf)%blockSize != 0 {
		return k
	}
	more, ok := sparseMap10(w.sparse.buf, w.hdr.size)
	switch {
	case more:
		return k
	case !ok:
		w.fail(w.hdr.offset, "bad GNU sparse map for %q", w.hdr.name)
	default:
		// The map took whole blocks, so the padding after the rest is
		// the padding of the whole data section.
		rest := w.remaining
		w.sparse = sparseState{}
		w.emit(rest)
	}
	return k
}
