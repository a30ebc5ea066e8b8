package tree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
)

// The tar format, as far as this package reads it. The rules below follow
// Go's archive/tar reader (which docker and containerd use to extract
// layers) decision for decision, so that a layer is valid here exactly
// when it is valid to them; the differential tests hold the two together.

const (
	blockSize = 512
	// maxSpecialBytes caps a PAX extended header, a GNU long name or link,
	// and a sparse map: 1 MiB, the limit of archive/tar and libarchive.
	maxSpecialBytes = 1 << 20
)

// Tar type flags.
const (
	typeReg      = '0'
	typeRegA     = '\x00'
	typeLink     = '1'
	typeSymlink  = '2'
	typeChar     = '3'
	typeBlock    = '4'
	typeDir      = '5'
	typeFifo     = '6'
	typePAX      = 'x'
	typePAXG     = 'g'
	typeLongName = 'L'
	typeLongLink = 'K'
	typeSparse   = 'S'
)

// Header formats as archive/tar detects them from the magic bytes.
const (
	formatV7 = iota
	formatUSTAR
	formatGNU
	formatSTAR
)

// errHeader is the one error of a header that does not parse; the walker
// turns it into a finding that names the entry and the offset.
var errHeader = errors.New("invalid tar header")

// headerOnly reports whether entries of this type have no data section,
// whatever their size field says.
func headerOnly(flag byte) bool {
	switch flag {
	case typeLink, typeSymlink, typeChar, typeBlock, typeDir, typeFifo:
		return true
	}
	return false
}

// cString returns b up to its first NUL.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// parseNumeric reads a numeric field: base-256 when the high bit of the
// first byte is set (GNU and star extension, two's complement), octal
// otherwise. ok is false on overflow or a bad digit.
func parseNumeric(b []byte) (int64, bool) {
	if len(b) == 0 || b[0]&0x80 == 0 {
		return parseOctal(b)
	}
	var inv byte
	if b[0]&0x40 != 0 {
		inv = 0xff
	}
	var x uint64
	for i, c := range b {
		c ^= inv
		if i == 0 {
			c &= 0x7f
		}
		if x>>56 > 0 {
			return 0, false
		}
		x = x<<8 | uint64(c)
	}
	if x>>63 > 0 {
		return 0, false
	}
	if inv == 0xff {
		return ^int64(x), true
	}
	return int64(x), true
}

// parseOctal trims spaces and NULs on both sides, stops at an inner NUL
// and reads the rest as an unsigned octal number, as archive/tar does
// (strconv.ParseUint, base 8, 64 bits). One pass: digits are read from
// the first one that is neither space nor NUL; after them only NULs may
// follow, or spaces and NULs once a NUL ended the string.
func parseOctal(b []byte) (int64, bool) {
	if len(b) == 8 {
		// The commonest fields: uid, gid and device numbers of 0.
		if w := binary.LittleEndian.Uint64(b); w == 0x0030303030303030 || w == 0 {
			return 0, true
		}
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == 0) {
		i++
	}
	// Leading zeros do not change the value (archive/tar writes
	// "00000000001"): count them eight bytes at a time.
	for i+8 <= len(b) {
		z := bits.TrailingZeros64(binary.LittleEndian.Uint64(b[i:]) ^ 0x3030303030303030)
		i += z >> 3
		if z < 64 {
			break
		}
	}
	for i < len(b) && b[i] == '0' {
		i++
	}
	var x uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '7' {
			break
		}
		if x>>61 != 0 {
			return 0, false
		}
		x = x<<3 | uint64(c-'0')
	}
	// What follows the digits: trailing spaces and NULs are trimmed, and
	// anything after a NUL is cut off; any other byte is a bad digit.
	cut := false
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == 0:
			cut = true
		case c == ' ':
			if !cut && !onlyPad(b[i:]) {
				return 0, false
			}
		case !cut:
			return 0, false
		}
	}
	return int64(x), true
}

// onlyPad reports whether b holds only spaces and NULs.
func onlyPad(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != 0 {
			return false
		}
	}
	return true
}

// checksumOK reports whether the checksum field matches the sum of the
// block's bytes with the field itself read as spaces, summed as unsigned
// bytes (POSIX) or as signed bytes (old Sun tar).
func checksumOK(b []byte) bool {
	want, ok := parseOctal(b[148:156])
	if !ok {
		return false
	}
	unsigned := blockSum(b)
	for _, c := range b[148:156] {
		unsigned -= int64(c)
	}
	unsigned += 8 * ' '
	if want == unsigned {
		return true
	}
	var high int64
	for i, c := range b {
		if c >= 0x80 && (i < 148 || i >= 156) {
			high++
		}
	}
	return want == unsigned-256*high
}

// blockSum adds the 512 bytes of a block 32 at a time, in four 16-bit
// lanes per word that cannot overflow (each lane of each of the four
// accumulators adds at most 32 values of 2*255).
func blockSum(b []byte) int64 {
	const lanes = 0x00ff00ff00ff00ff
	var a0, a1, a2, a3 uint64
	blk := (*[blockSize]byte)(b)
	for i := 0; i < blockSize; i += 32 {
		c := (*[32]byte)(blk[i : i+32])
		w0 := binary.LittleEndian.Uint64(c[0:8])
		w1 := binary.LittleEndian.Uint64(c[8:16])
		w2 := binary.LittleEndian.Uint64(c[16:24])
		w3 := binary.LittleEndian.Uint64(c[24:32])
		a0 += w0&lanes + (w0>>8)&lanes
		a1 += w1&lanes + (w1>>8)&lanes
		a2 += w2&lanes + (w2>>8)&lanes
		a3 += w3&lanes + (w3>>8)&lanes
	}
	fold := func(a uint64) int64 { return int64(a&0xffff + (a>>16)&0xffff + (a>>32)&0xffff + a>>48) }
	return fold(a0) + fold(a1) + fold(a2) + fold(a3)
}

// blockFormat returns the header format announced by the magic bytes.
func blockFormat(b []byte) int {
	magic, version, trailer := b[257:263], b[263:265], b[508:512]
	switch {
	case bytes.Equal(magic, magicUSTAR) && bytes.Equal(trailer, trailerSTAR):
		return formatSTAR
	case bytes.Equal(magic, magicUSTAR):
		return formatUSTAR
	case bytes.Equal(magic, magicGNU) && bytes.Equal(version, versionGNU):
		return formatGNU
	}
	return formatV7
}

var (
	magicUSTAR  = []byte("ustar\x00")
	trailerSTAR = []byte("tar\x00")
	magicGNU    = []byte("ustar ")
	versionGNU  = []byte(" \x00")
)

func isZeroBlock(b []byte) bool {
	return b[0] == 0 && bytes.Equal(b, zeroBlock[:])
}

var zeroBlock [blockSize]byte

// parseBlock fills h from one header block. The name is assembled in
// nameBuf (prefix + "/" + name) when the format has a prefix field.
func parseBlock(b []byte, h *header, nameBuf []byte) ([]byte, error) {
	if !checksumOK(b) {
		return nameBuf, errHeader
	}
	format := blockFormat(b)
	*h = header{typeflag: b[156], format: format}
	ok := true
	num := func(field []byte) int64 {
		v, good := parseNumeric(field)
		ok = ok && good
		return v
	}
	h.name = cString(b[0:100])
	h.linkname = cString(b[157:257])
	h.size = num(b[124:136])
	h.mode = num(b[100:108])
	h.uid = num(b[108:116])
	h.gid = num(b[116:124])
	h.mtime = num(b[136:148])
	if format == formatV7 {
		return nameBuf, okErr(ok)
	}
	h.uname = cString(b[265:297])
	h.gname = cString(b[297:329])
	num(b[329:337]) // device major and minor: parsed for validity only
	num(b[337:345])
	var prefix []byte
	switch format {
	case formatUSTAR:
		prefix = cString(b[345:500])
	case formatSTAR:
		prefix = cString(b[345:476])
		num(b[476:488])
		num(b[488:500])
	case formatGNU:
		prefix = gnuPrefix(b)
	}
	if len(prefix) > 0 {
		nameBuf = append(append(append(nameBuf[:0], prefix...), '/'), h.name...)
		h.name = nameBuf
	}
	return nameBuf, okErr(ok)
}

// gnuPrefix mirrors archive/tar's tolerance of tar files written by Go
// before 1.8, which put a USTAR prefix where GNU keeps atime and ctime:
// when those fields do not parse, an ASCII prefix there is the name's.
func gnuPrefix(b []byte) []byte {
	bad := false
	for _, f := range [][]byte{b[345:357], b[357:369]} {
		if f[0] != 0 {
			if _, ok := parseNumeric(f); !ok {
				bad = true
			}
		}
	}
	if !bad {
		return nil
	}
	p := cString(b[345:500])
	for _, c := range p {
		if c >= 0x80 {
			return nil
		}
	}
	return p
}

func okErr(ok bool) error {
	if ok {
		return nil
	}
	return errHeader
}
